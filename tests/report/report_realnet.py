"""Real profiles from real measurements on loopback: a "clean" network and a "kz-2019" network.

Servers (all on 127.77.7.0/24, loopback only):

- the **origin** (127.77.7.1): real TLS, one certificate per site from a lab public CA (root + intermediate);
- the **ISP box** (127.77.7.2), kz-2019 only: like Kazakhstan's 2019 interceptor it presents, for the
  targeted names, a forged leaf from "Security Certificate" under a lab copy of "Qaznet Trust Network"
  (leaf + intermediate, no root) and passes other names through untouched (here: their real chain);
- a real SOCKS5 proxy, **microsocks** (127.77.7.3), that resolves names with its own hosts file
  (a private mount namespace: ``unshare --mount``) and so reaches the origin directly — a tunnel past
  the ISP, recorded as path ``vpn:lab-socks``.

The ``direct`` path resolves every name through ``PATHPROBE_HOSTS`` to the origin (clean) or to the ISP
box (kz-2019), and runs the real direct probe. The profile is built by the real ``analyse`` with
the lab public root as the public roots; in kz-2019 the device also trusts the lab Qaznet root, which is
on the known interception list (``--known-roots`` style), as the real one was in 2019.

``python tests/report/report_realnet.py OUTDIR`` writes ``clean.json`` and ``kz-2019.json`` (run as root:
microsocks is started in a private mount namespace).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import KnownRoot, KnownRoots, RootSet, cert_sha256, spki_sha256
from pathprobe.analysis.verdicts import Roots
from pathprobe.lab.servers.pki import CA, Issued
from pathprobe.model import HostPort, PathMeasurement
from pathprobe.net.sitecheck import check_site
from pathprobe.net.socks import SocksDialer
from pathprobe.probes.base import RunContext
from pathprobe.probes.direct import DirectProbe
from pathprobe.profile import Profile
from pathprobe.runner import run_probes
from pathprobe.trust import known_roots

ORIGIN, ISP, SOCKS = "127.77.7.1", "127.77.7.2", "127.77.7.3"
ADDRESSES = [ORIGIN, ISP, SOCKS]
SITES = ["facebook.com", "twitter.com", "www.google.com"]
CONTROLS = ["example.com"]
TARGETED = {"facebook.com", "twitter.com"}


def usable() -> str | None:
    """Why these fixtures cannot be built here, or None."""
    if shutil.which("microsocks") is None:
        return "microsocks is not installed"
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return "needs root and unshare (microsocks gets its own hosts file in a mount namespace)"
    return None


class Pki:
    def __init__(self) -> None:
        self.public_root = CA("Lab Public Root CA", "pathprobe lab")
        self.public_ca = CA("Lab Public Issuing CA", "pathprobe lab", parent=self.public_root)
        self.qaznet = CA("Qaznet Trust Network", "Lab copy", "KZ")
        self.security = CA("Security Certificate", parent=self.qaznet)
        self.genuine = {h: self.public_ca.issue(h) for h in SITES + CONTROLS}
        self.forged = {h: self.security.issue(h) for h in TARGETED}

    def known(self) -> KnownRoots:
        lab = KnownRoot(
            "Qaznet Trust Network (lab copy)",
            "2019",
            "KZ",
            cert_sha256(self.qaznet.cert),
            spki_sha256(self.qaznet.cert),
            "the lab's stand-in for the 2019 root",
        )
        return KnownRoots((*known_roots().entries, lab))


def _context(issued: Issued, folder: Path, name: str) -> ssl.SSLContext:
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    cert.write_bytes(issued.chain_pem())
    key.write_bytes(issued.key_pem())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class TlsServer:
    """A real TLS server that picks its chain by SNI and answers one HTTP request per connection."""

    def __init__(self, address: str, chains: dict[str, Issued], folder: Path) -> None:
        self.address = address
        self.contexts = {h: _context(i, folder, f"{address}-{h}") for h, i in chains.items()}
        default = next(iter(chains))
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(folder / f"{address}-{default}.crt", folder / f"{address}-{default}.key")

        def pick(sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            if name in self.contexts:
                sock.context = self.contexts[name]

        self.ctx.sni_callback = pick  # type: ignore[assignment]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    def start(self, port: int) -> None:
        self.thread.start()
        fut = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, self.address, port, ssl=self.ctx), self.loop
        )
        self.server = fut.result(10)

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _free_port() -> int:
    """A port free on every lab address (the origin and the ISP box share it, like port 443)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((ORIGIN, 0))
            port = int(s.getsockname()[1])
        ok = True
        for addr in (ISP, SOCKS):
            with socket.socket() as s:
                try:
                    s.bind((addr, port))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no free port on the lab addresses")


@contextlib.contextmanager
def microsocks(folder: Path, port: int, hosts: str) -> Iterator[HostPort]:
    """microsocks in a private mount namespace whose /etc/hosts names the origin (and no other DNS)."""
    (folder / "hosts").write_text(hosts, "utf-8")
    (folder / "resolv.conf").write_text("nameserver 127.0.0.1\n", "utf-8")
    script = (
        f"mount --bind {folder / 'hosts'} /etc/hosts && mount --bind {folder / 'resolv.conf'} "
        f"/etc/resolv.conf && exec microsocks -i {SOCKS} -p {port}"
    )
    proc = subprocess.Popen(
        ["unshare", "--mount", "sh", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex((SOCKS, port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("microsocks did not start")
            time.sleep(0.05)
        yield HostPort(SOCKS, port)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def build(
    scenario: str, pki: Pki | None = None, *, port: int | None = None, timeout: float = 5.0
) -> Profile:
    """Measure the scenario ("clean" or "kz-2019") for real and return its profile."""
    assert scenario in ("clean", "kz-2019")
    pki = pki or Pki()
    with tempfile.TemporaryDirectory(prefix="pp-report-") as tmp:
        folder = Path(tmp)
        port = port or _free_port()
        sites = [HostPort(h, port) for h in SITES]
        controls = [HostPort(h, port) for h in CONTROLS]
        origin = TlsServer(ORIGIN, pki.genuine, folder)
        servers = [origin]
        direct_to = ORIGIN
        if scenario == "kz-2019":
            isp = TlsServer(ISP, {**pki.genuine, **pki.forged}, folder)
            servers.append(isp)
            direct_to = ISP
        hosts = "".join(f"{ORIGIN} {h}\n" for h in SITES + CONTROLS)
        (folder / "direct-hosts").write_text("".join(f"{direct_to} {h}\n" for h in SITES + CONTROLS), "utf-8")
        old = os.environ.get("PATHPROBE_HOSTS")
        os.environ["PATHPROBE_HOSTS"] = str(folder / "direct-hosts")
        try:
            for s in servers:
                s.start(port)
            with microsocks(folder, _free_port(), hosts) as proxy:
                paths = asyncio.run(_measure(sites, controls, proxy, timeout))
        finally:
            for s in servers:
                s.stop()
            if old is None:
                os.environ.pop("PATHPROBE_HOSTS", None)
            else:
                os.environ["PATHPROBE_HOSTS"] = old
    public = RootSet.of("public", [pki.public_root.cert], "lab public roots")
    device_certs = [pki.public_root.cert] + ([pki.qaznet.cert] if scenario == "kz-2019" else [])
    device = RootSet.of("device", device_certs, "/etc/ssl/certs/ca-certificates.crt")
    roots = Roots(public=public, device=device, known=pki.known())
    label = {"clean": "Lab: clean network", "kz-2019": "Lab: Kazakhstan 2019 (root installed)"}[scenario]
    return analyse(paths, None, roots, label=label)


async def _measure(
    sites: list[HostPort], controls: list[HostPort], proxy: HostPort, timeout: float
) -> list[PathMeasurement]:
    ctx = RunContext(timeout=timeout, sites=sites, controls=controls, t0=time.monotonic())
    direct, _portal = await run_probes([DirectProbe(sites, controls)], ctx)
    dialer = SocksDialer(proxy, label="socks5")
    targets = [(s, "site") for s in sites] + [(c, "control") for c in controls]
    results = await asyncio.gather(
        *(
            check_site(dialer, hp, role, "vpn:lab-socks", ctx.t0, timeout)  # type: ignore[arg-type]
            for hp, role in targets
        )
    )
    socks = PathMeasurement(
        id="vpn:lab-socks", kind="vpn", targets=tuple(results), detail={"protocol": "socks5"}
    )
    return [*direct, socks]


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    shared = Pki()
    for name in ("clean", "kz-2019"):
        (out / f"{name}.json").write_text(build(name, shared, port=8443).to_json(), "utf-8")
        print("wrote", out / f"{name}.json")
