"""Blocking diagnosis of an unreached target: a control name at the same address, and evasion.

When a target's TLS handshake failed after TCP connected (DESIGN "Blocking diagnosis, evasion and
throttling"), this module sends, each on a fresh connection **to the same address** and all at once:

- the **control** handshake: the same ClientHello shape with another server name (a control site's
  name, or the plan's ``diagnosis_name``). The server answering (a ServerHello, or a TLS alert for a
  name it does not serve) shows that the target's own name is what the network reacts to;
- the two **evasion** handshakes, with the target's real name: ``tcp_segments`` writes the ClientHello
  in TCP segments cut inside the server name (TCP_NODELAY, a short pause between the writes), and
  ``tls_records`` re-frames the ClientHello into two TLS records cut inside the server name. After the
  hello, both continue the handshake normally, so a reached one captures the whole presented chain
  for the usual two-store validation (:mod:`pathprobe.analysis.blocking`).

Each is one ``diagnosis`` observation on the target (``detail.diagnosis`` says which, ``detail.sni``
the name sent, ``detail.spoke`` whether the server sent anything; ``tls`` the chain when the
handshake completed). Every attempt has the check's step ``timeout``; they run concurrently, so the
diagnosis adds at most one timeout to the target. Pure helpers (:func:`find_sni`,
:func:`split_segments`, :func:`reframe_records`) cut the ClientHello bytes.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pathprobe.model import HostPort, Observation, TargetMeasurement, TlsEvidence
from pathprobe.net.failures import classify
from pathprobe.net.stream import ByteStream, TcpStream, open_tcp
from pathprobe.net.tls import TlsStream
from pathprobe.vocab import Evasion, Step

CONTROL = "control_sni"
"""``detail.diagnosis`` of the control-name handshake."""
SEGMENT_PAUSE = 0.02
"""Seconds between the TCP segments of a split hello (each leaves as its own packet)."""
_HANDSHAKE = 0x16
_CLIENT_HELLO = 0x01
_SNI_EXT = 0x0000


@dataclass(frozen=True)
class SniPlace:
    """Where the server name sits in a ClientHello record: its first byte's offset in the bytes given
    (record header included) and its length."""

    offset: int
    length: int


def find_sni(data: bytes) -> SniPlace | None:
    """The server name's place in ``data``, the first TLS record of a client's stream (a ClientHello
    in one record); None when ``data`` is not one or has no server name. Never raises."""
    try:
        if len(data) < 9 or data[0] != _HANDSHAKE or data[5] != _CLIENT_HELLO:
            return None
        rec_len = int.from_bytes(data[3:5], "big")
        end = min(len(data), 5 + rec_len)
        i = 5 + 4 + 2 + 32  # handshake header, client_version, random
        i += 1 + data[i]  # session id
        i += 2 + int.from_bytes(data[i : i + 2], "big")  # cipher suites
        i += 1 + data[i]  # compression methods
        ext_end = min(end, i + 2 + int.from_bytes(data[i : i + 2], "big"))
        i += 2
        while i + 4 <= ext_end:
            etype = int.from_bytes(data[i : i + 2], "big")
            elen = int.from_bytes(data[i + 2 : i + 4], "big")
            body = i + 4
            if etype == _SNI_EXT:
                # server_name_list length (2), name_type (1), name length (2), name
                if data[body + 2] != 0:
                    return None
                nlen = int.from_bytes(data[body + 3 : body + 5], "big")
                start = body + 5
                if nlen == 0 or start + nlen > ext_end:
                    return None
                return SniPlace(start, nlen)
            i = body + elen
    except IndexError:
        return None
    return None


def _cut(place: SniPlace) -> int:
    """Where to cut: inside the name, after its first half (at least one byte in)."""
    return place.offset + max(1, place.length // 2)


def split_segments(hello: bytes) -> list[bytes]:
    """``hello`` (the client's first bytes) as TCP writes cut inside the server name: up to the first
    byte of the name, up to its middle, the rest. ``[hello]`` when it holds no server name."""
    place = find_sni(hello)
    if place is None or place.length < 2:
        return [hello]
    cuts = sorted({place.offset + 1, _cut(place)})
    out, last = [], 0
    for c in cuts:
        out.append(hello[last:c])
        last = c
    out.append(hello[last:])
    return [p for p in out if p]


def reframe_records(hello: bytes) -> bytes:
    """``hello`` with its first record (the ClientHello) re-framed into two handshake records cut
    inside the server name (TLS lets a handshake message span records); anything after the first
    record is kept as it is. ``hello`` unchanged when it holds no server name."""
    place = find_sni(hello)
    if place is None or place.length < 2:
        return hello
    rec_len = int.from_bytes(hello[3:5], "big")
    header, body, rest = hello[:3], hello[5 : 5 + rec_len], hello[5 + rec_len :]
    cut = _cut(place) - 5
    first, second = body[:cut], body[cut:]
    return (header + len(first).to_bytes(2, "big") + first + header + len(second).to_bytes(2, "big") + second
            + rest)


class SplitHelloTls(TlsStream):
    """A :class:`TlsStream` whose first flight (the ClientHello) is sent split by ``strategy``; the
    rest of the handshake goes on normally."""

    def __init__(self, inner: ByteStream, sni: str, alpn: list[bytes] | None, strategy: Evasion) -> None:
        super().__init__(inner, sni, alpn)
        self.strategy = strategy
        self.hello_sent = False

    async def _flush(self) -> None:
        if self.hello_sent:
            await super()._flush()
            return
        from OpenSSL import SSL

        hello = b""
        while True:
            try:
                out = self.conn.bio_read(65536)
            except SSL.WantReadError:
                break
            if not out:
                break
            hello += out
        if not hello:
            return
        self.hello_sent = True
        if self.strategy == Evasion.TLS_RECORDS:
            await self.inner.send(reframe_records(hello))
            return
        _nodelay(self.inner)
        pieces = split_segments(hello)
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(SEGMENT_PAUSE)
            await self.inner.send(piece)


def _nodelay(stream: ByteStream) -> None:
    """Each write its own segment (asyncio sets TCP_NODELAY already; say so explicitly)."""
    if isinstance(stream, TcpStream):
        sock = stream.writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass


@dataclass(frozen=True)
class Attempt:
    """One diagnosis handshake's outcome."""

    failure: str | None
    spoke: bool
    """The server sent something (a ServerHello or an alert)."""
    tls: TlsEvidence | None


async def attempt(
    address: str, port: int, sni: str, strategy: Evasion | None, alpn: Sequence[bytes], timeout: float
) -> Attempt:
    """TCP to ``address:port`` and one TLS handshake with ``sni`` (a plain hello when ``strategy`` is
    None), both within ``timeout``. Never raises a network error: a failure is in the result."""
    stream: TcpStream | None = None
    tls: TlsStream | None = None
    try:
        async with asyncio.timeout(timeout):
            stream = await open_tcp(address, port)
            tls = (TlsStream(stream, sni, list(alpn)) if strategy is None
                   else SplitHelloTls(stream, sni, list(alpn), strategy))
            evidence = await tls.handshake()
        return Attempt(None, True, evidence)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return Attempt(classify(exc), tls is not None and tls.received > 0, None)
    finally:
        if stream is not None:
            stream.close()


def _is_diag(o: Observation) -> bool:
    return o.step == Step.DIAGNOSIS


def tls_failure_address(tm: TargetMeasurement) -> tuple[str, int] | None:
    """The address and port a target connected to before its TLS step failed; None when its failure
    was not at the TLS step (or it was reached)."""
    if tm.failure is None or tm.tls is not None:
        return None
    steps = [o for o in tm.observations if not _is_diag(o)]
    tls_failed = any(o.step == Step.TLS and o.failure is not None for o in steps)
    tcp_ok = [o for o in steps if o.step == Step.TCP and o.failure is None and o.address]
    if not tls_failed or not tcp_ok:
        return None
    addr = tcp_ok[-1].address or ""
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        return None
    return host, int(port)


async def diagnose(
    tm: TargetMeasurement,
    hp: HostPort,
    control_names: Sequence[str],
    rec_now: Callable[[], float],
    timeout: float,
    *,
    alpn: Sequence[bytes] = (b"http/1.1",),
) -> TargetMeasurement:
    """``tm`` with its diagnosis observations added: when its TLS step failed after TCP connected, the
    control handshake (the first of ``control_names`` other than the target's own name) and both
    evasion handshakes, concurrently, each within ``timeout`` (``rec_now``: the recorder's clock, in ms). Anything else: ``tm`` unchanged."""
    where = tls_failure_address(tm)
    if where is None:
        return tm
    address, port = where
    control = next((n for n in control_names if n.lower() != hp.host.lower()), None)
    jobs: list[tuple[str, str, Evasion | None]] = []
    if control is not None:
        jobs.append((CONTROL, control, None))
    jobs += [(Evasion.TCP_SEGMENTS, hp.host, Evasion.TCP_SEGMENTS), (Evasion.TLS_RECORDS, hp.host, Evasion.TLS_RECORDS)]
    shown = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

    async def one(kind: str, sni: str, strategy: Evasion | None) -> Observation:
        start = rec_now()
        result = await attempt(address, port, sni, strategy, alpn, timeout)
        return Observation(
            path="", target=tm.target, step=Step.DIAGNOSIS, started_ms=start, duration_ms=rec_now() - start,
            failure=result.failure, address=shown,
            detail={"diagnosis": kind, "sni": sni, "spoke": result.spoke}, tls=result.tls,
        )

    found = await asyncio.gather(*(one(k, s, st) for k, s, st in jobs))
    path = next((o.path for o in tm.observations), "")
    return replace(tm, observations=tm.observations + tuple(replace(o, path=path) for o in found))
