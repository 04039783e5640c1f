"""SOCKS5 client (RFC 1928/1929) as a :class:`~pathprobe.net.sitecheck.Dialer`.

Names are sent to the proxy unresolved (socks5h semantics): the far side resolves them, never the
local resolver. Used by the SOCKS5 VPN/proxy path and by Tor's SocksPort.
"""

from __future__ import annotations

import ipaddress
import struct

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import Recorder, connect_any, resolve_step
from pathprobe.net.stream import ByteStream, recv_exactly
from pathprobe.vocab import Failure, Step

_REPLIES = {
    1: Failure.SOCKS_GENERAL_FAILURE,
    2: Failure.SOCKS_CONNECTION_NOT_ALLOWED,
    3: Failure.NETWORK_UNREACHABLE,
    4: Failure.HOST_UNREACHABLE,
    5: Failure.CONNECTION_REFUSED,
    6: Failure.GENERIC_TIMEOUT_ERROR,
    7: Failure.SOCKS_COMMAND_NOT_SUPPORTED,
    8: Failure.SOCKS_ADDRESS_TYPE_NOT_SUPPORTED,
}


async def socks5_connect(
    stream: ByteStream, hp: HostPort, username: str | None = None, password: str | None = None
) -> None:
    """Ask the proxy on ``stream`` to CONNECT to ``hp``; raises :class:`NetFailure` on refusal."""
    methods = b"\x00\x02" if username is not None else b"\x00"
    await stream.send(bytes([5, len(methods)]) + methods)
    ver, method = await recv_exactly(stream, 2)
    if ver != 5:
        raise NetFailure(Failure.SOCKS_INVALID_REPLY, "not a SOCKS5 proxy")
    if method == 2:
        u = (username or "").encode()[:255]
        p = (password or "").encode()[:255]
        await stream.send(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
        _, status = await recv_exactly(stream, 2)
        if status != 0:
            raise NetFailure(Failure.SOCKS_AUTH_FAILED, "the proxy refused the credentials")
    elif method != 0:
        raise NetFailure(Failure.SOCKS_AUTH_FAILED, "the proxy accepts none of our authentication methods")
    try:
        ip = ipaddress.ip_address(hp.host)
        addr = (b"\x01" if ip.version == 4 else b"\x04") + ip.packed
    except ValueError:
        name = hp.host.encode("idna")[:255]
        addr = b"\x03" + bytes([len(name)]) + name
    await stream.send(b"\x05\x01\x00" + addr + struct.pack("!H", hp.port))
    ver, rep, _, atyp = await recv_exactly(stream, 4)
    if ver != 5:
        raise NetFailure(Failure.SOCKS_INVALID_REPLY, "not a SOCKS5 reply")
    if rep != 0:
        raise NetFailure(_REPLIES.get(rep, Failure.SOCKS_GENERAL_FAILURE), f"SOCKS reply {rep}")
    if atyp == 1:
        await recv_exactly(stream, 4 + 2)
    elif atyp == 4:
        await recv_exactly(stream, 16 + 2)
    elif atyp == 3:
        (n,) = await recv_exactly(stream, 1)
        await recv_exactly(stream, n + 2)
    else:
        raise NetFailure(Failure.SOCKS_INVALID_REPLY, "bad address type in reply")


class SocksDialer:
    """Reach sites through a SOCKS5 proxy at fixed addresses (no local DNS for the sites)."""

    def __init__(
        self, proxy: HostPort, username: str | None = None, password: str | None = None,
        *, label: str = "socks5",
    ) -> None:
        self.proxy = proxy
        self.username = username
        self.password = password
        self.label = label

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """TCP to the proxy (its name resolved locally), then a SOCKS5 CONNECT to ``hp`` by name;
        raises :class:`NetFailure` and closes the connection when the proxy refuses.
        """
        stream = await connect_any(await resolve_step(self.proxy.host, rec, "proxy"), self.proxy.port, rec)
        try:
            await rec.step(Step.PROXY, lambda: socks5_connect(stream, hp, self.username, self.password),
                           detail={"proxy": self.label})
        except NetFailure:
            stream.close()
            raise
        return stream
