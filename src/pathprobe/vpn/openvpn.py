"""OpenVPN without credentials: send P_CONTROL_HARD_RESET_CLIENT_V2, recognise the server's answer.

Packet (TLS mode, no tls-auth; ``../shared/data/vpn_probes.md``): opcode/key-id byte ``7 << 3``,
an 8-byte random session id, an empty ACK array, message packet-id 0; over TCP a 2-byte length
comes first. A server answers with P_CONTROL_HARD_RESET_SERVER_V2 (opcode 8) whose ACK array
acknowledges packet-id 0 and echoes our session id; a server already busy with one peer (p2p mode)
answers a P_ACK_V1 (opcode 5) with the same acknowledgement. Either proves an OpenVPN server.

What each outcome means (the verdicts the probe gives):

- answered -> ``reachable``;
- TCP refused, reset, or no TCP connection at all (filtered) -> ``blocked``; UDP port-unreachable
  -> ``blocked``;
- silence (UDP or TCP) or a TCP connection closed without an answer -> ``unknown``: a server with
  ``tls-auth`` or ``tls-crypt`` drops unauthenticated resets, so it looks the same as a filter.
"""

from __future__ import annotations

import asyncio
import os
import struct
from typing import Literal

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort, TargetMeasurement
from pathprobe.net import udp
from pathprobe.net.failures import classify
from pathprobe.net.sitecheck import Recorder, connect_any
from pathprobe.net.stream import ByteStream, recv_exactly
from pathprobe.vocab import Failure, Reachability, Step
from pathprobe.vpn import endpoint

Transport = Literal["udp", "tcp"]

P_ACK_V1 = 5
P_CONTROL_HARD_RESET_CLIENT_V2 = 7
P_CONTROL_HARD_RESET_SERVER_V2 = 8
OPCODE_NAMES = {P_ACK_V1: "P_ACK_V1", P_CONTROL_HARD_RESET_SERVER_V2: "P_CONTROL_HARD_RESET_SERVER_V2"}
MAX_TCP_PACKET = 2048

NOTE_UDP_SILENT = (
    "No answer over UDP. An OpenVPN server with tls-auth or tls-crypt stays silent to anyone without "
    "its key, so silence does not show that the endpoint is blocked; a filtered port looks the same "
    "and nothing measured here tells them apart."
)
NOTE_TCP_SILENT = (
    "The TCP port accepted the connection (so it is not filtered there), but no OpenVPN answer came: "
    "a server with tls-auth or tls-crypt behaves like this, and so would a middlebox that swallows "
    "OpenVPN; this cannot tell them apart."
)
NOTE_TCP_CLOSED = (
    "The TCP port accepted the connection and closed it without an OpenVPN answer. That is what a "
    "server with tls-auth or tls-crypt does to anyone without its key, so it is not evidence of "
    "blocking; a working server without them would have answered."
)
NOTE_TCP_FILTERED = "The TCP port did not accept a connection: it is filtered, or nothing listens there."
NOTE_REFUSED = (
    "The endpoint refused the connection: nothing listens there, or something on the way rejects it."
)
NOTE_RESET = (
    "The connection was reset after the OpenVPN reset packet was sent: something on the way cuts OpenVPN."
)
NOTE_INVALID = "Something answered, but not as an OpenVPN server does."


def client_reset(session_id: bytes) -> bytes:
    """P_CONTROL_HARD_RESET_CLIENT_V2 (key id 0), without the TCP length prefix."""
    if len(session_id) != 8:
        raise ValueError("the session id has 8 bytes")
    return bytes([P_CONTROL_HARD_RESET_CLIENT_V2 << 3]) + session_id + b"\x00" + struct.pack("!I", 0)


def parse_reply(data: bytes, session_id: bytes) -> str | None:
    """The answer's opcode name when ``data`` acknowledges our reset (packet-id 0, our session id)."""
    if len(data) < 10:
        return None
    opcode = data[0] >> 3
    if opcode not in OPCODE_NAMES:
        return None
    n_acks = data[9]
    if not 1 <= n_acks <= 8:
        return None
    off = 10
    end = off + 4 * n_acks + 8
    if len(data) < end:
        return None
    acks = [struct.unpack_from("!I", data, off + 4 * i)[0] for i in range(n_acks)]
    if 0 not in acks or data[end - 8 : end] != session_id:
        return None
    if opcode == P_CONTROL_HARD_RESET_SERVER_V2 and len(data) < end + 4:
        return None  # its own message packet-id follows
    return OPCODE_NAMES[opcode]


async def _tcp_exchange(stream: ByteStream, session_id: bytes) -> str:
    packet = client_reset(session_id)
    await stream.send(struct.pack("!H", len(packet)) + packet)
    (length,) = struct.unpack("!H", await recv_exactly(stream, 2))
    if not 10 <= length <= MAX_TCP_PACKET:
        raise NetFailure(Failure.OPENVPN_INVALID_REPLY, "not an OpenVPN packet length")
    reply = parse_reply(await recv_exactly(stream, length), session_id)
    if reply is None:
        raise NetFailure(Failure.OPENVPN_INVALID_REPLY, "not an answer to our reset")
    return reply


async def check_openvpn(
    hp: HostPort, transport: Transport, path: str, t0: float, timeout: float
) -> TargetMeasurement:
    """One endpoint: resolve it, send the reset, and say what the outcome shows."""
    target = endpoint.label(hp, transport)
    rec = Recorder(path, target, t0, timeout)

    def result(reach: Reachability, failure: str | None, note: str | None, latency: float | None = None) -> TargetMeasurement:
        return endpoint.outcome(rec, reach, failure, note, latency)

    try:
        addrs = await endpoint.resolve(hp, rec, "endpoint")
    except NetFailure as exc:
        return result(Reachability.BLOCKED, exc.failure, None)
    session_id = os.urandom(8)
    detail: dict[str, object] = {
        "protocol": "openvpn", "transport": transport, "sent": "P_CONTROL_HARD_RESET_CLIENT_V2"
    }
    if transport == "udp":
        stats = udp.ExchangeStats()
        addr = endpoint.address(addrs[0], hp.port)
        start = rec.now_ms()
        packet = client_reset(session_id)
        try:
            async with asyncio.timeout(timeout):
                reply = await udp.exchange(addrs[0], hp.port, lambda: packet,
                                           lambda d: parse_reply(d, session_id), stats)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = classify(exc)
            rec.add(Step.HANDSHAKE, start, failure, address=addr, detail={**detail, **_stats(stats)})
            if failure == Failure.CONNECTION_REFUSED:
                return result(Reachability.BLOCKED, failure, NOTE_REFUSED)
            if failure == Failure.GENERIC_TIMEOUT_ERROR and not stats.ignored:
                return result(Reachability.UNKNOWN, failure, NOTE_UDP_SILENT)
            return result(Reachability.BLOCKED, failure, NOTE_INVALID if stats.ignored else None)
        obs = rec.add(Step.HANDSHAKE, start, None, address=addr,
                      detail={**detail, "reply": reply, **_stats(stats)})
        return result(Reachability.REACHABLE, None, None, obs.duration_ms)

    try:
        stream = await connect_any(addrs, hp.port, rec)
    except NetFailure as exc:
        if exc.failure == Failure.GENERIC_TIMEOUT_ERROR:
            return result(Reachability.BLOCKED, exc.failure, NOTE_TCP_FILTERED)
        return result(Reachability.BLOCKED, exc.failure, NOTE_REFUSED if exc.failure == Failure.CONNECTION_REFUSED else None)
    tcp_addr = rec.observations[-1].address
    start = rec.now_ms()
    try:
        async with asyncio.timeout(timeout):
            tcp_reply = await _tcp_exchange(stream, session_id)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = classify(exc)
        rec.add(Step.HANDSHAKE, start, failure, address=tcp_addr, detail=detail)
        if failure == Failure.GENERIC_TIMEOUT_ERROR:
            return result(Reachability.UNKNOWN, failure, NOTE_TCP_SILENT)
        if failure == Failure.EOF_ERROR:
            return result(Reachability.UNKNOWN, failure, NOTE_TCP_CLOSED)
        if failure == Failure.CONNECTION_RESET:
            return result(Reachability.BLOCKED, failure, NOTE_RESET)
        return result(Reachability.BLOCKED, failure, NOTE_INVALID if failure == Failure.OPENVPN_INVALID_REPLY else None)
    finally:
        stream.close()
    obs = rec.add(Step.HANDSHAKE, start, None, address=tcp_addr, detail={**detail, "reply": tcp_reply})
    return result(Reachability.REACHABLE, None, None, obs.duration_ms)


def _stats(stats: udp.ExchangeStats) -> dict[str, object]:
    out: dict[str, object] = {"datagrams_sent": stats.sent}
    if stats.ignored:
        out["datagrams_ignored"] = stats.ignored
    return out
