"""The TLS client context is shared by every connection, and no session is ever resumed: each
handshake presents (and records) the whole chain, even to a server that hands out session tickets."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pathprobe.lab.servers.pki import CA
from pathprobe.model import HostPort
from pathprobe.net import tls
from pathprobe.net.sitecheck import FixedAddressDialer, check_site
from tests.servers import https_server


def test_every_handshake_sees_the_chain(tmp_path: Path) -> None:
    ca = CA("Reuse Root")
    issued = ca.issue("reuse.test")
    with https_server(issued, tmp_path) as port:
        hp = HostPort("reuse.test", port)
        dialer = FixedAddressDialer({"reuse.test": ("127.0.0.1",)})

        async def twice() -> list[object]:
            out = []
            for _ in range(3):  # one after the other: a ticket from the first could be offered later
                out.append(await check_site(dialer, hp, "site", "direct", time.monotonic(), 4.0))
            return out

        results = asyncio.run(twice())
    assert len(tls._CONTEXTS) >= 1
    for r in results:
        assert r.failure is None  # type: ignore[attr-defined]
        assert r.tls is not None and len(r.tls.chain) >= 1  # type: ignore[attr-defined]
        assert r.tls.chain[0].sha256 == results[0].tls.chain[0].sha256  # type: ignore[attr-defined]
