"""TorDialer: tor's own "general failure" is retried within the step deadline; other replies are not.

A real local SOCKS5 server stands in for tor's SocksPort (answering reply 1 to the first CONNECTs,
then forwarding), in front of a real local TLS server.
"""

from __future__ import annotations

import asyncio
import struct
import time
from pathlib import Path

from pathprobe.lab.servers.pki import CA
from pathprobe.model import HostPort, TargetMeasurement
from pathprobe.net.sitecheck import check_site
from pathprobe.tor.socks import TorDialer
from pathprobe.vocab import Failure, Role, Step

from ..servers import https_server


async def _socks_server(target_port: int, fail_first: int, reply: int) -> tuple[asyncio.Server, list[int]]:
    """SOCKS5 without authentication: ``reply`` to the first ``fail_first`` CONNECTs, then forward
    to 127.0.0.1:``target_port`` whatever was asked."""
    seen: list[int] = []

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            _, n = await r.readexactly(2)
            await r.readexactly(n)
            w.write(b"\x05\x00")
            _, _, _, atyp = await r.readexactly(4)
            if atyp == 3:
                await r.readexactly((await r.readexactly(1))[0])
            else:
                await r.readexactly(4 if atyp == 1 else 16)
            await r.readexactly(2)
            seen.append(1)
            if len(seen) <= fail_first:
                w.write(bytes([5, reply, 0, 1]) + b"\0" * 6)
                await w.drain()
                return
            ur, uw = await asyncio.open_connection("127.0.0.1", target_port)
            w.write(b"\x05\x00\x00\x01" + bytes(4) + struct.pack("!H", 0))

            async def pipe(a: asyncio.StreamReader, b: asyncio.StreamWriter) -> None:
                while data := await a.read(65536):
                    b.write(data)
                    await b.drain()
                b.close()

            await asyncio.gather(pipe(r, uw), pipe(ur, w), return_exceptions=True)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen


def _check(tmp_path: Path, fail_first: int, reply: int, timeout: float) -> tuple[TargetMeasurement, int, float]:
    ca = CA("Tor Dialer Root")
    with https_server(ca.issue("site.pp.test"), tmp_path) as port:

        async def main() -> tuple[TargetMeasurement, int, float]:
            server, seen = await _socks_server(port, fail_first, reply)
            socks_port = server.sockets[0].getsockname()[1]
            t = time.monotonic()
            try:
                m = await check_site(
                    TorDialer(socks_port), HostPort("site.pp.test", 443), Role.SITE, "tor:x", t, timeout, http=False
                )
            finally:
                server.close()
            return m, len(seen), time.monotonic() - t

        return asyncio.run(main())


def test_a_general_failure_from_tor_is_retried_and_the_site_reached(tmp_path: Path) -> None:
    m, attempts, _ = _check(tmp_path, fail_first=2, reply=1, timeout=8.0)
    assert m.failure is None and m.tls is not None, m
    assert attempts == 3
    proxy = [o.failure for o in m.observations if o.step == Step.PROXY]
    assert proxy == [Failure.SOCKS_GENERAL_FAILURE, Failure.SOCKS_GENERAL_FAILURE, None]


def test_retries_end_within_the_step_deadline(tmp_path: Path) -> None:
    m, attempts, took = _check(tmp_path, fail_first=1000, reply=1, timeout=2.0)
    assert m.failure == Failure.SOCKS_GENERAL_FAILURE
    assert attempts >= 2 and took < 2.0 + 0.5


def test_other_replies_are_answers_and_not_retried(tmp_path: Path) -> None:
    m, attempts, _ = _check(tmp_path, fail_first=1, reply=5, timeout=8.0)
    assert m.failure == Failure.CONNECTION_REFUSED and attempts == 1
