"""``origins``: HTTPS servers for the lab's made-up sites (one asyncio TLS server, names chosen by SNI).

Every site gets a fresh leaf from the lab public CA for each run. The server listens on each site's
own address (so a censor can filter by address) and serves every name on every address, as a CDN
would; a handshake without SNI gets the certificate of the address's own site. Any request gets
``200 OK`` and a tiny page naming the site, or for the sites listed in ``large`` a page of
:data:`LARGE_PAGE` bytes, sent in small TLS records (so its throughput can be measured, issue 17). Run as ``python -m pathprobe.lab.services.origins CONFIG``.

The same module serves the censor's block page (instance ``blockpage``, in pp-censor).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from pathlib import Path
from typing import Any

from pathprobe.lab import world as w
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service

PORT = 443
LARGE_PAGE = 256 * 1024
"""The size of a ``large`` site's page: large enough to judge throughput (at least 16 KiB read)."""
LARGE_WRITE = 1024
"""A large page is written in pieces of this size: one small TLS record each, as a shaper sees them."""
READ_CAP = 16 * 1024
STEP_TIMEOUT = 10.0


class Origins(Service):
    """HTTPS origins for the lab's sites (``sites``: name to address; default: every lab site) and
    ``many`` generated ones, in one server process; also the censor's block page (``blockpage``).
    """

    kind = "origins"
    about = "HTTPS origins for the lab's sites (lab public CA, one server, names by SNI)"

    def __init__(
        self,
        instance: str = "origins",
        netns: str = w.INET_NS,
        sites: dict[str, str] | None = None,
        many: int = 0,
        retired: tuple[str, ...] = (),
        large: tuple[str, ...] = (),
    ) -> None:
        super().__init__(instance, netns)
        self.sites = sites if sites is not None else {s.name: s.address for s in w.SITES}
        self.sites.update(w.many_sites(many))
        self.retired = retired
        self.large = large

    @classmethod
    def from_options(cls, options: dict[str, Any], where: str) -> Origins:
        """``many = N``: also serve N generated names (``site-0001.many.test`` ...) on one address.
        ``retired = [site, ...]``: these sites' certificates chain to the lab's retired public root.
        ``large = [site, ...]``: these sites serve a :data:`LARGE_PAGE` page (throughput, issue 17)."""
        opts = dict(options)
        many = opts.pop("many", 0)
        retired = opts.pop("retired", [])
        large = opts.pop("large", [])
        if opts:
            raise ValueError(f"'{sorted(opts)[0]}': unknown option (the origins service takes 'many', 'retired', "
                             "'large')")
        if not isinstance(large, list) or not all(isinstance(n, str) and n in w.SITE_BY_NAME for n in large):
            raise ValueError(f"'large' must list lab sites ({', '.join(w.SITE_BY_NAME)})")
        if isinstance(many, bool) or not isinstance(many, int) or not 0 <= many <= w.MANY_MAX:
            raise ValueError(f"'many' must be a whole number from 0 to {w.MANY_MAX}")
        if not isinstance(retired, list) or not all(isinstance(n, str) and n in w.SITE_BY_NAME for n in retired):
            raise ValueError(f"'retired' must list lab sites ({', '.join(w.SITE_BY_NAME)})")
        return cls(many=many, retired=tuple(retired), large=tuple(large))

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Issue a fresh leaf per site (from the retired root for ``retired`` sites when the lab has
        one), write them and ``origins.json``, and return the server's command.
        """
        names = {}
        for name in self.sites:
            issuer = ctx.retired if name in self.retired and ctx.retired is not None else ctx.public
            leaf = issuer.issue(name)
            chain, key = workdir / f"{name}.chain.pem", workdir / f"{name}.key.pem"
            chain.write_bytes(leaf.chain_pem())
            key.write_bytes(leaf.key_pem())
            key.chmod(0o600)
            names[name] = {"chain": str(chain), "key": str(key)}
        by_addr: dict[str, str] = {}
        for name, addr in self.sites.items():
            by_addr.setdefault(addr, name)
        config = {"port": PORT, "names": names, "addresses": by_addr, "large": list(self.large)}
        path = workdir / "origins.json"
        path.write_text(json.dumps(config, indent=2), "utf-8")
        return Launch([sys.executable, "-m", "pathprobe.lab.services.origins", str(path)])

    def listens(self) -> list[Listen]:
        """TCP port 443 on every site's address."""
        return [Listen("tcp", a, PORT) for a in dict.fromkeys(self.sites.values())]


# --------------------------------------------------------------------------- the server process


def _contexts(names: dict[str, dict[str, str]]) -> dict[str, ssl.SSLContext]:
    out = {}
    for name, files in names.items():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(files["chain"], files["key"])
        out[name] = ctx
    return out


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  large: frozenset[str] = frozenset()) -> None:
    try:
        data = b""
        while b"\r\n\r\n" not in data and len(data) < READ_CAP:
            chunk = await asyncio.wait_for(reader.read(4096), STEP_TIMEOUT)
            if not chunk:
                break
            data += chunk
        sslobj = writer.get_extra_info("ssl_object")
        name = (sslobj.server_hostname if sslobj else None) or "?"
        body = f"<!doctype html><title>{name}</title><p>{name}: pathprobe lab origin</p>\n".encode()
        sni = str(getattr(sslobj, "pp_server_name", None) or "")  # set by the SNI callback (server_hostname is None here)
        if sni.lower() in large:
            body = body.ljust(LARGE_PAGE, b" ")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        for i in range(0, len(body), LARGE_WRITE):
            writer.write(body[i : i + LARGE_WRITE])  # one small TLS record each
            await asyncio.wait_for(writer.drain(), STEP_TIMEOUT)
    except (OSError, TimeoutError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def serve(config: dict[str, Any]) -> None:
    """Serve every address of ``config`` (``origins.json``) until cancelled, each name's certificate
    chosen by SNI (the address's own site without SNI).
    """
    names = config["names"]
    assert isinstance(names, dict)
    ctxs = _contexts(names)
    servers = []
    addresses = config["addresses"]
    assert isinstance(addresses, dict)
    large = frozenset(str(n).lower() for n in config.get("large", []))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _handle(reader, writer, large)

    for addr, default in addresses.items():
        base = ctxs[default]
        listener = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        listener.load_cert_chain(names[default]["chain"], names[default]["key"])

        def pick(
            sslobj: ssl.SSLObject,
            server_name: str | None,
            _ctx: ssl.SSLContext,
            fallback: ssl.SSLContext = base,
        ) -> None:
            sslobj.context = ctxs.get((server_name or "").lower(), fallback)
            sslobj.pp_server_name = server_name  # type: ignore[attr-defined]  # for the handler (large pages)

        listener.sni_callback = pick
        servers.append(
            await asyncio.start_server(
                handle,
                addr,
                int(config["port"]),
                ssl=listener,
                ssl_handshake_timeout=STEP_TIMEOUT,
            )
        )
        print(f"origins: listening on {addr}:{config['port']} (default name {default})", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main(argv: list[str]) -> int:
    """``python -m pathprobe.lab.services.origins CONFIG``: serve until SIGTERM; returns 0."""
    import signal

    config = json.loads(Path(argv[1]).read_text("utf-8"))
    loop = asyncio.new_event_loop()
    task = loop.create_task(serve(config))
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        print("origins: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
