"""Hostile or broken far ends: every step ends at its deadline or cap, with a failure string.

These fake servers (asyncio, on 127.0.0.1) stand in for what real servers never do on purpose:
garbage, huge lengths, endless headers, floods. The real servers are in test_vpn_live.py.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable

from pathprobe.lab.servers import vpn as servers
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import Recorder, check_site
from pathprobe.vpn import shadowsocks
from pathprobe.vpn.httpconnect import HttpConnectDialer
from pathprobe.vpn.openvpn import check_openvpn

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(port: int, handler: Handler) -> asyncio.Server:
    return await asyncio.start_server(handler, "127.0.0.1", port)


def test_shadowsocks_server_sending_garbage_fails_cleanly() -> None:
    async def garbage(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await r.read(100)
        w.write(os.urandom(4096))
        await w.drain()
        await asyncio.sleep(5)

    async def main() -> None:
        srv = await _serve(18670, garbage)
        cfg = shadowsocks.parse_ss_url(servers.ss_url("127.0.0.1", 18670, "aes-256-gcm", "pw"))
        t = await check_site(
            shadowsocks.ShadowsocksDialer(cfg), HostPort("a.test"), "site", "vpn:x", time.monotonic(), 2.0
        )
        srv.close()
        assert t.failure == "shadowsocks_invalid_reply" and t.tls is None

    asyncio.run(main())


def test_shadowsocks_silent_server_ends_at_the_deadline() -> None:
    async def silent(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)

    async def main() -> None:
        srv = await _serve(18671, silent)
        cfg = shadowsocks.parse_ss_url(servers.ss_url("127.0.0.1", 18671, "chacha20-ietf-poly1305", "pw"))
        dialer = shadowsocks.ShadowsocksDialer(cfg)
        t = await check_site(dialer, HostPort("a.test"), "site", "vpn:x", time.monotonic(), 0.5)
        srv.close()
        assert t.failure == "generic_timeout_error"
        assert dialer.streams["a.test"].bytes_received == 0

    asyncio.run(main())


def test_http_proxy_with_endless_headers_is_capped() -> None:
    async def endless(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await r.readuntil(b"\r\n\r\n")
        w.write(b"HTTP/1.1 200 OK\r\n")
        try:
            for _ in range(10_000):
                w.write(b"X-Filler: " + b"a" * 100 + b"\r\n")
                await w.drain()
        except OSError:
            pass

    async def main() -> None:
        srv = await _serve(18672, endless)
        rec = Recorder("vpn:x", "a.test", time.monotonic(), 2.0)
        dialer = HttpConnectDialer(HostPort("127.0.0.1", 18672))
        try:
            await dialer.dial(HostPort("a.test"), rec)
        except Exception as exc:
            assert getattr(exc, "failure", None) == "http_proxy_invalid_reply"
        else:
            raise AssertionError("an endless header block was accepted")
        srv.close()

    asyncio.run(main())


def test_http_proxy_refusing_connect() -> None:
    async def refuse(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await r.readuntil(b"\r\n\r\n")
        w.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await w.drain()

    async def main() -> None:
        srv = await _serve(18673, refuse)
        t = await check_site(
            HttpConnectDialer(HostPort("127.0.0.1", 18673)),
            HostPort("a.test"),
            "site",
            "vpn:x",
            time.monotonic(),
            2.0,
        )
        srv.close()
        assert t.failure == "http_proxy_refused"

    asyncio.run(main())


def test_openvpn_tcp_answer_with_a_huge_length_is_invalid() -> None:
    async def huge(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await r.read(16)
        w.write(b"\xff\xff" + os.urandom(1000))
        await w.drain()
        await asyncio.sleep(5)

    async def main() -> None:
        srv = await _serve(18674, huge)
        t = await check_openvpn(HostPort("127.0.0.1", 18674), "tcp", "vpn:x", time.monotonic(), 2.0)
        srv.close()
        assert (t.reachability, t.failure) == ("blocked", "openvpn_invalid_reply")

    asyncio.run(main())


def test_openvpn_udp_flood_of_garbage_is_not_an_answer() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 18675))
    sock.setblocking(False)

    async def main() -> None:
        loop = asyncio.get_running_loop()

        async def flood() -> None:
            _data, addr = await loop.sock_recvfrom(sock, 2048)
            for _ in range(300):
                await loop.sock_sendto(sock, b"\x40" + os.urandom(30), addr)

        task = asyncio.create_task(flood())
        t = await check_openvpn(HostPort("127.0.0.1", 18675), "udp", "vpn:x", time.monotonic(), 2.0)
        task.cancel()
        assert t.reachability == "blocked" and t.failure == "udp_flooded"

    try:
        asyncio.run(main())
    finally:
        sock.close()
