"""Quick depth: can this network reach a Tor path's first hops? Seconds, not minutes.

- Directory authorities and plain bridges: TCP, then a TLS handshake to the ORPort. ORPorts present
  random self-signed certificates (``CN=www.<random>.com``), so nothing is verified: a completed
  handshake is the evidence (as OONI's tor test does).
- obfs4 bridges: TCP to the bridge's port, and, when ``lyrebird`` or ``obfs4proxy`` is installed, a
  real obfs4 handshake: the binary runs as a managed client transport (``TOR_PT_*`` environment),
  pathprobe asks its SOCKS port to connect to the bridge with the bridge's ``cert``/``iat-mode`` as
  the SOCKS credentials (pt-spec), and then completes the ORPort's TLS handshake inside the tunnel.
- Fronted transports (snowflake, meek, webtunnel): their bridge addresses are placeholders; the real
  first hop is the domain front (snowflake's broker fronts, meek's ``front=``) or the webtunnel
  server: TCP and a TLS handshake to it.

Every step has the step deadline; all first hops run concurrently. A bridge's address never appears
in an observation (``[scrubbed]``); targets are named by the bridge's short hash id.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import string
from dataclasses import dataclass

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort, TargetMeasurement
from pathprobe.net.dns import system_resolve
from pathprobe.net.sitecheck import Recorder
from pathprobe.net.socks import socks5_connect
from pathprobe.net.stream import ByteStream, open_tcp
from pathprobe.net.tls import TlsStream
from pathprobe.tor import launch
from pathprobe.tor.bridges import Bridge
from pathprobe.vocab import Failure, Reachability, Role, Step

SCRUBBED = "[scrubbed]"


@dataclass(frozen=True)
class Authority:
    """A directory authority's ORPort (public: its address may be shown)."""

    name: str
    address: HostPort
    fingerprint: str | None = None

    @property
    def label(self) -> str:
        """``name host:port``, as the authority is shown in output."""
        return f"{self.name} {self.address}"


def _random_sni() -> str:
    letters = "".join(random.choice(string.ascii_lowercase) for _ in range(random.randint(6, 12)))
    return f"www.{letters}.com"


def _hp_text(hp: HostPort) -> str:
    return f"[{hp.host}]:{hp.port}" if ":" in hp.host else f"{hp.host}:{hp.port}"


def _result(rec: Recorder, label: str, failure: str | None, note: str | None = None) -> TargetMeasurement:
    lat = None
    if failure is None:
        lat = next((o.duration_ms for o in rec.observations if o.step == Step.TCP and o.failure is None), None)
    return TargetMeasurement(
        target=label,
        role=Role.ENDPOINT,
        observations=tuple(rec.observations),
        failure=failure,
        reachability=Reachability.BLOCKED if failure else Reachability.REACHABLE,
        note=note,
        latency_ms=lat,
    )


async def _tls_no_check(rec: Recorder, stream: ByteStream, detail: dict[str, str] | None = None) -> None:
    tls = TlsStream(stream, _random_sni())
    await rec.step(Step.TLS, tls.handshake, detail={"certificate_check": "none", **(detail or {})})


async def orport_check(
    path: str, label: str, hp: HostPort, t0: float, timeout: float, *, secret: bool
) -> TargetMeasurement:
    """TCP + TLS (no certificate check) to an ORPort."""
    rec = Recorder(path, label, t0, timeout)
    stream: ByteStream | None = None
    try:
        stream = await rec.step(
            Step.TCP, lambda: open_tcp(hp.host, hp.port), address=SCRUBBED if secret else _hp_text(hp)
        )
        await _tls_no_check(rec, stream)
    except NetFailure as exc:
        return _result(rec, label, exc.failure)
    finally:
        if stream is not None:
            stream.close()
    return _result(rec, label, None)


async def front_check(
    path: str, label: str, hp: HostPort, t0: float, timeout: float, *, secret: bool
) -> TargetMeasurement:
    """System DNS, TCP and a TLS handshake (SNI = the front) to a fronted transport's first hop."""
    rec = Recorder(path, label, t0, timeout)
    stream: ByteStream | None = None
    try:
        answer = await rec.step(
            Step.DNS, lambda: system_resolve(hp.host, timeout), detail={"resolver": "system"}
        )
        last: NetFailure | None = None
        for addr in answer.addresses[:4]:
            try:
                stream = await rec.step(
                    Step.TCP,
                    lambda a=addr: open_tcp(a, hp.port),  # type: ignore[misc]
                    address=SCRUBBED if secret else f"{addr}:{hp.port}",
                )
                break
            except NetFailure as exc:
                last = exc
        if stream is None:
            raise last or NetFailure(Failure.DNS_NO_ANSWER)
        tls = TlsStream(stream, hp.host, [b"http/1.1"])
        await rec.step(Step.TLS, tls.handshake, detail={"certificate_check": "none", "role": "front"})
    except NetFailure as exc:
        return _result(rec, label, exc.failure)
    finally:
        if stream is not None:
            stream.close()
    return _result(rec, label, None)


class PtClient:
    """A pluggable-transport binary run as a managed client transport, as tor runs it."""

    def __init__(self, binary: str, transports: list[str]) -> None:
        self.binary = binary
        self.transports = transports
        self.proc: asyncio.subprocess.Process | None = None
        self.dir: str | None = None
        self.socks: dict[str, HostPort] = {}
        self.error: str | None = None

    async def start(self, timeout: float) -> None:
        """Start it and read its ``CMETHOD`` lines; on failure ``error`` says why (no exception)."""
        self.dir = launch.private_dir("pathprobe-pt-")
        env = {
            **os.environ,
            "TOR_PT_MANAGED_TRANSPORT_VER": "1",
            "TOR_PT_STATE_LOCATION": os.path.join(self.dir, "state"),
            "TOR_PT_CLIENT_TRANSPORTS": ",".join(self.transports),
            "TOR_PT_EXIT_ON_STDIN_CLOSE": "1",
        }
        try:
            self.proc = await asyncio.create_subprocess_exec(
                self.binary,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            self.error = f"could not start {os.path.basename(self.binary)}: {exc.strerror}"
            return
        launch.register(self.proc)
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await self.proc.stdout.readline()
                    if not raw:
                        self.error = f"{os.path.basename(self.binary)} exited before it was ready"
                        return
                    words = raw.decode("utf-8", "replace").split()
                    if not words:
                        continue
                    if words[0] == "CMETHOD" and len(words) >= 4 and words[2] == "socks5":
                        host, _, port = words[3].rpartition(":")
                        self.socks[words[1]] = HostPort(host.strip("[]"), int(port))
                    elif words[0] in ("CMETHOD-ERROR", "ENV-ERROR", "VERSION-ERROR", "PROXY-ERROR"):
                        self.error = f"{os.path.basename(self.binary)}: {' '.join(words)[:200]}"
                    elif words[0] == "CMETHODS" and words[1:2] == ["DONE"]:
                        return
        except TimeoutError:
            self.error = f"{os.path.basename(self.binary)} did not start within {timeout:.0f} s"

    async def stop(self) -> None:
        """Close the transport's stdin, stop it by PID (SIGTERM, then SIGKILL), remove its state directory."""
        try:
            if self.proc is not None:
                if self.proc.stdin is not None:
                    with contextlib.suppress(Exception):
                        self.proc.stdin.close()
                await launch.terminate(self.proc, grace=2.0)
        finally:
            launch.remove_dir(self.dir)


def _socks_credentials(args: str) -> tuple[str, str]:
    """pt-spec: the arguments go in the SOCKS5 user name, overflowing into the password (NUL if none)."""
    raw = args.encode()
    if len(raw) <= 255:
        return args, "\x00"
    return raw[:255].decode("utf-8", "replace"), raw[255:510].decode("utf-8", "replace")


async def obfs4_check(
    path: str,
    bridge: Bridge,
    pt: asyncio.Future[PtClient] | None,
    pt_hint: str | None,
    t0: float,
    timeout: float,
) -> TargetMeasurement:
    """TCP to the bridge, then (with the transport binary) a real obfs4 handshake and TLS inside it."""
    rec = Recorder(path, bridge.label, t0, timeout)
    hp = bridge.address
    stream: ByteStream | None = None
    try:
        stream = await rec.step(Step.TCP, lambda: open_tcp(hp.host, hp.port), address=SCRUBBED)
    except NetFailure as exc:
        return _result(rec, bridge.label, exc.failure)
    finally:
        if stream is not None:
            stream.close()
            stream = None
    if pt is None:
        return _result(rec, bridge.label, None, note=f"TCP only: obfs4 handshake not tried ({pt_hint})")
    client = await pt
    socks = client.socks.get("obfs4")
    if socks is None:
        return _result(
            rec,
            bridge.label,
            None,
            note=f"TCP only: obfs4 handshake not tried ({client.error or 'no obfs4 method'})",
        )
    user, password = _socks_credentials(bridge.pt_args())
    try:
        stream = await open_tcp(socks.host, socks.port)
        await rec.step(
            Step.HANDSHAKE,
            lambda: socks5_connect(stream, hp, user, password),
            address=SCRUBBED,
            detail={"transport": "obfs4", "via": os.path.basename(client.binary)},
        )
        await _tls_no_check(rec, stream, {"inside": "obfs4"})
    except OSError:
        return _result(
            rec, bridge.label, None, note="TCP only: the local obfs4 client did not accept a connection"
        )
    except NetFailure as exc:
        return _result(rec, bridge.label, exc.failure)
    finally:
        if stream is not None:
            stream.close()
    return _result(rec, bridge.label, None)
