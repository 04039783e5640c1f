"""A small HTTP(S) server that plays a captive or certificate-install portal (tests and the lab).

It answers from a table of routes (path -> status, type, body, behaviour). Requests whose ``Host`` is
not one of the portal's own names get a ``302`` to the portal page: put it behind a censor's
transparent redirect of port 80 and every plain-HTTP request of the client lands on the portal, as in
Kazakhstan in 2019. Hostile behaviours (``slow``, ``huge``, ``silent``) exist for tests.

Run it in the lab (inside a namespace)::

    python -m pathprobe.lab.servers.portal --listen 10.0.0.1:80 --name portal.lab \\
        --redirect-others http://portal.lab/ --offer-qaznet --offer lab-root=/path/lab-root.pem
    python -m pathprobe.lab.servers.portal --listen 10.0.0.1:80 --answer /success.txt=success

It prints ``ready`` on stdout once listening and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import signal
import ssl
import sys
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

QAZNET_SHA256 = "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"
"""The real Qaznet Trust Network root (Kazakhstan, 2019), shipped in ``data/interception_roots``."""
Mode = Literal["normal", "slow", "huge", "silent"]
MAX_REQUEST = 16 * 1024


@dataclass(frozen=True)
class Route:
    """One answer: status, media type, body and how it is sent."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    mode: Mode = "normal"
    """``slow``: headers, then one body byte every half second; ``huge``: an endless body (no length);
    ``silent``: read the request, never answer."""
    delay: float = 0.0
    """Seconds to wait before answering (a slow but working server)."""


@dataclass
class Site:
    """What the server answers. ``names``: the portal's own host names (empty: every ``Host``)."""

    routes: dict[str, Route]
    names: frozenset[str] = frozenset()
    redirect_to: str | None = None
    """Where requests for other hosts are sent (the censor's capture); 404 when None."""
    hits: list[tuple[str, str]] = field(default_factory=list)
    """``(host, path)`` of every request served (tests read it)."""


_REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
}


def qaznet_root_pem() -> bytes:
    """The real Qaznet root's public certificate (PEM), as shipped with pathprobe."""
    item = resources.files("pathprobe") / "data" / "interception_roots" / f"{QAZNET_SHA256}.pem"
    return item.read_bytes()


def _certs(pem_or_der: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN" in pem_or_der:
        return x509.load_pem_x509_certificates(pem_or_der)
    return [x509.load_der_x509_certificate(pem_or_der)]


def certificate_portal(
    offers: list[tuple[str, bytes]], *, title: str = "Security certificate"
) -> dict[str, Route]:
    """Routes of a certificate-install portal: ``/`` links each offer as ``.cer`` (DER), ``.pem`` and
    ``.p7b`` (PKCS#7), like the 2019 pages did; ``offers`` are ``(name, PEM or DER bytes)``."""
    routes: dict[str, Route] = {}
    items = []
    for name, data in offers:
        cert = _certs(data)[0]
        der = cert.public_bytes(Encoding.DER)
        routes[f"/certs/{name}.cer"] = Route(body=der, content_type="application/x-x509-ca-cert")
        routes[f"/certs/{name}.pem"] = Route(
            body=cert.public_bytes(Encoding.PEM), content_type="application/x-pem-file"
        )
        routes[f"/certs/{name}.p7b"] = Route(
            body=pkcs7.serialize_certificates([cert], Encoding.DER),
            content_type="application/x-pkcs7-certificates",
        )
        label = html.escape(cert.subject.rfc4514_string())
        items.append(
            f'<li>{label}: <a href="/certs/{name}.cer">Windows (.cer)</a>, '
            f'<a href="/certs/{name}.pem">macOS / Linux (.pem)</a>, '
            f'<a href="/certs/{name}.p7b">Android / iOS (.p7b)</a></li>'
        )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>To keep using the Internet, install the security certificate "
        "on every device and browser.</p><ul>" + "".join(items) + "</ul></body></html>"
    )
    routes["/"] = Route(body=page.encode("utf-8"))
    return routes


def login_portal() -> dict[str, Route]:
    """Routes of an ordinary captive portal: a login page, no certificate."""
    page = (
        "<!doctype html><html><head><title>Guest Wi-Fi</title></head><body><h1>Welcome</h1>"
        "<form method='post' action='/login'><input name='room'><button>Connect</button></form>"
        "<p><a href='/terms.html'>Terms of use</a> <a href='/style.css'>style</a></p></body></html>"
    )
    return {"/": Route(body=page.encode()), "/terms.html": Route(body=b"<p>Be nice.</p>")}


def honest_answer(path: str = "/success.txt", text: str = "success") -> dict[str, Route]:
    """Routes of a detection server answering as it should (Firefox's ``success.txt``)."""
    return {path: Route(body=(text + "\n").encode(), content_type="text/plain")}


class PortalServer:
    """Serves a :class:`Site` on one address, plain or TLS; start in a loop or in its own thread."""

    def __init__(
        self, site: Site, host: str = "127.0.0.1", port: int = 80, tls: ssl.SSLContext | None = None
    ) -> None:
        self.site = site
        self.host = host
        self.port = port
        self.tls = tls
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start listening (plain or TLS) on the running loop."""
        self._server = await asyncio.start_server(
            self._handle,
            self.host,
            self.port,
            ssl=self.tls,
            reuse_address=True,
            ssl_handshake_timeout=10 if self.tls else None,
        )

    async def stop(self) -> None:
        """Stop listening, cancel the connections being served and wait until the server is closed."""
        if self._server is not None:
            self._server.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    def start_in_thread(self) -> PortalServer:
        """Run in a background thread with its own event loop (returns once listening)."""
        ready = threading.Event()
        errors: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"portal-server-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop_thread(self) -> None:
        """Stop a server started by :meth:`start_in_thread` and wait (at most 10 s) for its thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ssl.SSLError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_REQUEST:
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            return
        target = parts[1]
        host = ""
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "host":
                host = v.strip().lower()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        path = target.split("?", 1)[0]
        if "://" in path:  # absolute-form request (a proxy-style client)
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        self.site.hits.append((name, path))
        if self.site.names and name not in self.site.names and self.site.redirect_to:
            route = Route(
                status=302,
                location=self.site.redirect_to,
                body=b"<html><body>Redirecting to the portal</body></html>",
            )
        else:
            route = self.site.routes.get(
                path, Route(status=404, body=b"not found", content_type="text/plain")
            )
        await self._answer(route, reader, writer)

    async def _answer(self, route: Route, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.mode == "silent":
            await reader.read()  # until the client gives up
            return
        head = [
            f"HTTP/1.1 {route.status} {_REASONS.get(route.status, 'Status')}",
            f"Content-Type: {route.content_type}",
            "Connection: close",
            "Cache-Control: no-store",
        ]
        if route.location:
            head.append(f"Location: {route.location}")
        if route.mode == "normal":
            head.append(f"Content-Length: {len(route.body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        if route.mode == "normal":
            writer.write(route.body)
            await writer.drain()
        elif route.mode == "slow":
            for i in range(240):  # at most two minutes
                writer.write(route.body[i : i + 1] or b" ")
                await writer.drain()
                await asyncio.sleep(0.5)
        elif route.mode == "huge":
            chunk = (route.body or b"0") * (65536 // max(1, len(route.body or b"0")))
            for _ in range(1024):  # 64 MiB at most
                writer.write(chunk)
                await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST:PORT")
    return host.strip("[]"), int(port)


def build_site(args: argparse.Namespace) -> Site:
    """The :class:`Site` the command-line arguments describe; raises SystemExit on a malformed
    ``--offer`` or ``--answer``.
    """
    routes: dict[str, Route] = {}
    offers: list[tuple[str, bytes]] = []
    if args.offer_qaznet:
        offers.append(("qaznet", qaznet_root_pem()))
    for item in args.offer or []:
        name, sep, file = item.partition("=")
        if not sep or not name.isidentifier():
            raise SystemExit(f"portal_server: --offer wants NAME=FILE, got '{item}'")
        offers.append((name, Path(file).read_bytes()))
    if offers:
        routes.update(certificate_portal(offers))
    elif args.login:
        routes.update(login_portal())
    for item in args.answer or []:
        path, sep, text = item.partition("=")
        if not sep or not path.startswith("/"):
            raise SystemExit(f"portal_server: --answer wants /PATH=TEXT, got '{item}'")
        routes.update(honest_answer(path, text))
    names = frozenset(n.lower() for n in (args.name or []))
    return Site(routes=routes, names=names, redirect_to=args.redirect_others)


async def _serve_forever(servers: list[PortalServer]) -> None:
    for s in servers:
        await s.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        await s.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m pathprobe.lab.servers.portal``: serve until SIGTERM or SIGINT; exits 1 when it
    cannot listen.
    """
    ap = argparse.ArgumentParser(prog="python -m pathprobe.lab.servers.portal", description=__doc__.split("\n")[0])
    ap.add_argument("--listen", type=_hostport, action="append", default=[], help="HOST:PORT for plain HTTP")
    ap.add_argument("--tls-listen", type=_hostport, action="append", default=[], help="HOST:PORT for HTTPS")
    ap.add_argument("--tls-cert", help="PEM certificate chain for HTTPS (leaf first)")
    ap.add_argument("--tls-key", help="PEM private key for HTTPS")
    ap.add_argument("--name", action="append", help="the portal's own host name(s)")
    ap.add_argument("--redirect-others", help="send requests for other hosts to this URL (302)")
    ap.add_argument("--offer", action="append", help="NAME=FILE: offer this certificate (PEM or DER)")
    ap.add_argument("--offer-qaznet", action="store_true", help="offer the real Qaznet root (KZ 2019)")
    ap.add_argument("--login", action="store_true", help="a login page without certificates")
    ap.add_argument("--answer", action="append", help="/PATH=TEXT: answer honestly (a detection URL)")
    args = ap.parse_args(argv)
    if not args.listen and not args.tls_listen:
        ap.error("give --listen and/or --tls-listen")
    site = build_site(args)
    servers = [PortalServer(site, h, p) for h, p in args.listen]
    if args.tls_listen:
        if not (args.tls_cert and args.tls_key):
            ap.error("--tls-listen needs --tls-cert and --tls-key")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        servers += [PortalServer(site, h, p, tls=ctx) for h, p in args.tls_listen]
    try:
        asyncio.run(_serve_forever(servers))
    except OSError as exc:
        print(f"portal_server: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
