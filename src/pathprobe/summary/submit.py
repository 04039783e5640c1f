"""Send summaries to a collector: retries with back-off, stop on 4xx, offline queue for the rest.

Only files that validate as summaries are ever sent (a profile is refused before any I/O). The token
goes in the ``Authorization`` header and is never printed or stored.

Each request has one overall deadline (``timeout``: connecting, the proxy, TLS, sending and the
whole answer), so a collector — or anything pretending to be one — that trickles its answer a byte
at a time cannot hold ``submit`` up; the answer's body is read up to :data:`MAX_ANSWER_BODY` bytes and
no more. The request can go through a proxy (``socks5h://``, ``socks5://`` or ``http://``; names
are resolved by the proxy) or through a private tor client started for the upload (:meth:`Submitter.
start_tor`), so the collector sees the proxy's or the Tor exit's address, never the submitter's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pathprobe.bounded import loads_json
from pathprobe.errors import BadInput, BadProxyUrl, NetFailure
from pathprobe.i18n import _, format_number
from pathprobe.model import HostPort
from pathprobe.net.http1 import HttpResponse, read_response
from pathprobe.net.socks import socks5_connect
from pathprobe.net.stream import TcpStream
from pathprobe.summary.queue import Queue, read_summary_file
from pathprobe.summary.schema import validate_summary
from pathprobe.version import __version__
from pathprobe.vocab import Failure
from pathprobe.vpn.proxyurl import ProxyUrl, parse_proxy_url

ACCEPTED, DUPLICATE, QUEUED, REJECTED = "accepted", "duplicate", "queued", "rejected"
MAX_ANSWER_BODY = 64 * 1024
"""The most of a collector's answer body that is read (its error message is in the first few bytes)."""
MAX_ANSWER_HEADER = 16 * 1024
TOR_BOOTSTRAP_TIMEOUT = 120.0
"""Seconds the private tor client of ``submit --tor`` has to connect to the Tor network."""


@dataclass(frozen=True)
class Outcome:
    """What became of one summary: ``status`` is :data:`ACCEPTED`, :data:`DUPLICATE` (the collector had it
    already), :data:`QUEUED` (to be sent later) or :data:`REJECTED` (refused for good); ``message`` says why
    when it was not taken, and ``http_status`` is the collector's status that decided it (None for a queued
    one).
    """

    summary_id: str
    status: str
    message: str = ""
    http_status: int | None = None


def check_collector_url(url: str) -> str:
    """An http(s) base URL; plain http only to this machine (summaries must not cross a network in clear)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            _("--collector must be an http(s) URL such as https://collector.example.org (got {url})",
              url=repr(url[:80]))
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadInput(_("--collector must not carry a user name, password, query or fragment (use --token)"))
    if parts.scheme == "http" and not _loopback(parts.hostname) and not parts.hostname.endswith(".onion"):
        raise BadInput(
            _("--collector must use https:// (plain http is allowed only to this machine or an .onion address)")
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise BadInput(_("--collector has a bad port")) from None
    return url.strip().rstrip("/")


def check_proxy(url: str) -> ProxyUrl:
    """A ``socks5h://``, ``socks5://`` or ``http://`` proxy URL (``host:port``, optional credentials);
    :class:`BadInput` otherwise. Names are always left to the proxy to resolve.
    """
    scheme = url.partition("://")[0].lower()
    try:
        return parse_proxy_url(url.strip(), "http" if scheme == "http" else "socks5")
    except BadProxyUrl as exc:
        raise BadInput(_("--proxy: {reason} (e.g. socks5h://127.0.0.1:9050 for Tor)", reason=exc)) from None


def tor_options(path: Path) -> list[tuple[str, str]]:
    """Extra torrc options for ``submit --tor`` from a file: ``Option value`` per line, ``#`` comments
    (e.g. ``UseBridges 1``, ``Bridge obfs4 ...``, ``ClientTransportPlugin ...``). Options pathprobe sets
    itself (data directory, control and SOCKS ports, logging) are refused.
    """
    from pathprobe.tor.launch import MANAGED_KEYS

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(_("--tor-config {path}: cannot read: {reason}", path=path, reason=exc)) from None
    if len(text) > 1 << 20:
        raise BadInput(_("--tor-config {path}: too large", path=path))
    allowed = {"usebridges", "bridge"}
    out: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _sep, value = line.partition(" ")
        if not key.isalnum() and not key.startswith("__"):
            raise BadInput(_("--tor-config {path}, line {n}: not a torrc option", path=path, n=n))
        if key.lower() in MANAGED_KEYS - allowed or "\n" in value:
            raise BadInput(_("--tor-config {path}, line {n}: pathprobe sets {key} itself", path=path, n=n, key=key))
        out.append((key, value.strip()))
    return out


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(token: str) -> str:
    """The token without surrounding whitespace; :class:`BadInput` unless it is 1 to 200 printable ASCII
    characters, none of them a space.
    """
    t = token.strip()
    if not t or len(t) > 200 or not all(33 <= ord(c) < 127 for c in t):
        raise BadInput(_("--token must be the printable token the collector's operator gave you"))
    return t


def load_summary_file(path: Path) -> dict[str, Any]:
    """Read and validate a summary; a profile (or anything else) is refused with a clear message."""
    try:
        data = read_summary_file(path)
    except FileNotFoundError:
        raise BadInput(_("{path}: no such summary file", path=path)) from None
    except OSError as exc:
        raise BadInput(_("{path}: cannot read: {reason}", path=path, reason=exc.strerror or exc)) from None
    if isinstance(data, dict) and data.get("schema") == "pathprobe.profile/1":
        raise BadInput(
            _("{path}: this is a profile, not a summary; make one with `pathprobe summary {path}`"
              " (only summaries are ever sent)", path=path)
        )
    return validate_summary(data, str(path))


class Submitter:
    """POST one summary with retries. ``sleep`` is the seam tests use; ``proxy`` sends every request
    through a SOCKS5 or HTTP proxy; :meth:`start_tor` through a private tor client.
    """

    def __init__(
        self,
        collector: str,
        token: str,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float = 10.0,
        sleep: Callable[[float], None] | None = None,
        proxy: str | None = None,
    ) -> None:
        base = check_collector_url(collector)
        parts = urlsplit(base)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.tls else 80)
        self.target = (parts.path or "") + "/v1/summaries"
        default_port = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = host if self.port == default_port else f"{host}:{self.port}"
        self.token = check_token(token)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.proxy = check_proxy(proxy) if proxy else None
        self._sleep = sleep
        self._runner = asyncio.Runner()
        self._tor: Any = None
        self.unavailable: str | None = None
        """Set when the way out could not be opened (tor did not connect): every send is queued."""
        self._ssl: ssl.SSLContext | None = None

    # -- the way out ------------------------------------------------------------------------------
    def start_tor(self, options: list[tuple[str, str]] | None = None,
                  bootstrap_timeout: float = TOR_BOOTSTRAP_TIMEOUT) -> int:
        """Start a private tor client (fresh data directory, stopped by :meth:`close`), wait for it to
        connect to the Tor network (at most ``bootstrap_timeout`` seconds) and send every request
        through its SOCKS port. Returns the bootstrap percentage reached; below 100 every summary is
        queued (:attr:`unavailable` says why). :class:`BadInput` when there is no tor binary.
        """
        from pathprobe.tor.launch import TOR_ENV, TorLauncher, find_tor

        binary = find_tor()
        if binary is None:
            raise BadInput(_("--tor: no tor program found; install tor (Debian/Ubuntu: apt install tor; macOS: brew"
                             " install tor) or set {env} to the tor binary", env=TOR_ENV))
        self._tor = TorLauncher(binary, list(options or []))
        return self._runner.run(self._boot_tor(bootstrap_timeout))

    async def _boot_tor(self, bootstrap_timeout: float) -> int:
        tor = self._tor
        try:
            await tor.start()
        except RuntimeError as exc:
            await tor.stop()
            self._tor = None
            raise BadInput(f"--tor: {exc}") from None
        res = await tor.bootstrap(bootstrap_timeout)
        port = await tor.socks_port() if res.progress >= 100 else None
        if port is None:
            self.unavailable = _(
                "tor did not connect to the Tor network within {seconds} s (reached {percent}%)",
                seconds=format_number(bootstrap_timeout, 0 if float(bootstrap_timeout).is_integer() else 1),
                percent=res.progress,
            )
        else:
            self.proxy = ProxyUrl("socks5", HostPort("127.0.0.1", port), None, None)
        return int(res.progress)

    def close(self) -> None:
        """Stop the tor client (when one was started); nothing can be sent after this."""
        try:
            if self._tor is not None:
                self._runner.run(self._tor.stop())
                self._tor = None
        finally:
            self._runner.close()

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import certifi

            self._ssl = ssl.create_default_context(cafile=certifi.where())
        return self._ssl

    async def _open(self) -> TcpStream:
        ctx = self._context() if self.tls else None
        if self.proxy is None:
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=ctx, server_hostname=self.host if ctx else None, limit=2**16
            )
            return TcpStream(reader, writer)
        reader, writer = await asyncio.open_connection(self.proxy.proxy.host, self.proxy.proxy.port, limit=2**16)
        stream = TcpStream(reader, writer)
        try:
            dest = HostPort(self.host, self.port)
            if self.proxy.scheme == "http":
                from pathprobe.vpn.httpconnect import http_connect

                _reply, extra = await http_connect(stream, dest, self.proxy.username, self.proxy.password)
                if extra:
                    raise NetFailure(Failure.HTTP_PROXY_INVALID_REPLY, "the proxy sent data before the tunnel was open")
            else:
                await socks5_connect(stream, dest, self.proxy.username, self.proxy.password)
            if ctx is not None:
                await writer.start_tls(ctx, server_hostname=self.host)
        except BaseException:
            stream.close()
            raise
        return stream

    async def _exchange(self, body: bytes) -> HttpResponse:
        stream = await self._open()
        try:
            head = (
                f"POST {self.target} HTTP/1.1\r\nHost: {self.authority}\r\n"
                f"Authorization: Bearer {self.token}\r\nUser-Agent: pathprobe/{__version__}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Accept-Encoding: identity\r\nConnection: close\r\n\r\n"
            ).encode("ascii")
            await stream.send(head + body)
            return await read_response(
                stream, max_body=MAX_ANSWER_BODY, strict=False, max_header=MAX_ANSWER_HEADER
            )
        finally:
            stream.close()

    def _post(self, body: bytes) -> HttpResponse | str:
        """One request and its answer within ``timeout`` seconds in all, or why there was none (a
        network error, a proxy's refusal, the deadline, an answer that is not HTTP).
        """
        try:
            return self._runner.run(asyncio.wait_for(self._exchange(body), self.timeout))
        except TimeoutError:
            return _("no whole answer within {seconds} s",
                     seconds=format_number(self.timeout, 0 if float(self.timeout).is_integer() else 1))
        except NetFailure as exc:
            return exc.failure
        except ssl.SSLError as exc:
            return _("TLS failed ({reason})", reason=exc.reason or type(exc).__name__)
        except (OSError, EOFError, ValueError) as exc:
            return type(exc).__name__

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.max_backoff, self.backoff * (2**attempt))
        delay *= 0.5 + random.random() / 2  # jitter: clients queued offline must not all return at once
        if retry_after and retry_after.strip().isdigit():
            delay = min(self.max_backoff, max(delay, float(retry_after)))
        if self._sleep is not None:
            self._sleep(delay)
        else:  # on the loop, so a tor client started for the upload keeps running meanwhile
            self._runner.run(asyncio.sleep(delay))

    def send(self, summary: dict[str, Any]) -> Outcome:
        """POST one valid summary. 201 is :data:`ACCEPTED`, 200 :data:`DUPLICATE`, and any other 4xx but 408
        and 429 :data:`REJECTED` at once. Anything else (a network error, no whole answer within the
        deadline, 408, 429, a redirect, a 5xx) is tried again, up to ``attempts`` tries in all, after an
        exponential back-off with jitter (raised to a numeric ``Retry-After``, in seconds; at most
        ``max_backoff``); then :data:`QUEUED`, for the caller to queue. Network errors never raise.
        """
        sid = summary["id"]
        if self.unavailable is not None:
            return Outcome(sid, QUEUED, self.unavailable)
        body = json.dumps(summary, ensure_ascii=False).encode()
        last = _("no answer")
        for attempt in range(self.attempts):
            retry_after = None
            r = self._post(body)
            if isinstance(r, str):
                last = _("collector not reachable ({reason})", reason=r)
            else:
                if r.status in (200, 201):
                    return Outcome(sid, DUPLICATE if r.status == 200 else ACCEPTED, http_status=r.status)
                msg = _message(r)
                if 400 <= r.status < 500 and r.status not in (408, 429):
                    return Outcome(sid, REJECTED, msg, r.status)
                last = f"HTTP {r.status}: {msg}"
                retry_after = r.header("retry-after")
            if attempt + 1 < self.attempts:
                self._wait(attempt, retry_after)
        return Outcome(sid, QUEUED, last)


def _message(r: HttpResponse) -> str:
    """The collector's error message: the ``error`` of a JSON answer, else the (capped) text."""
    text: Any = None
    if r.content_type == "application/json" and not r.truncated:
        try:
            data = loads_json(r.body, "answer", max_bytes=MAX_ANSWER_BODY)
            text = data.get("error") if isinstance(data, dict) else None
        except BadInput:
            text = None
    if not isinstance(text, str):
        text = r.body[:2000].decode("utf-8", "replace")
    return " ".join(text.split())[:300] or f"HTTP {r.status}"


def submit_all(
    summaries: Sequence[dict[str, Any]],
    submitter: Submitter,
    queue: Queue,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    """Queued summaries first, then the given ones. Returns every outcome.

    After one summary exhausts its retries the collector is taken as unreachable and the rest are
    queued without further attempts; a 401/403 (bad token) queues the rest too and stops.
    """
    pending = queue.items()
    queued_ids = {s["id"] for s in pending}
    pending += [s for s in summaries if s["id"] not in queued_ids]
    outcomes: list[Outcome] = []
    give_up: str | None = None
    for s in pending:
        if give_up is not None:
            queue.put(s)
            o = Outcome(s["id"], QUEUED, give_up)
        else:
            o = submitter.send(s)
            if o.status in (ACCEPTED, DUPLICATE):
                queue.remove(s["id"])
            elif o.status == QUEUED:
                queue.put(s)
                give_up = o.message
            elif o.http_status in (401, 403):
                queue.put(s)
                o = Outcome(s["id"], REJECTED, _("the collector refused the token: {message}", message=o.message),
                            o.http_status)
                give_up = _("not sent: the token was refused")
            elif s["id"] in queued_ids:
                queue.reject(s)
        report(o)
        outcomes.append(o)
    return outcomes
