"""Regenerate the analysis golden files from REAL handshakes against local servers.

    python -m tests.golden.make_analysis_goldens            # writes measurement.json for each case
    python -m tests.golden.make_analysis_goldens throttled-on-direct   # only the cases named
    UPDATE_GOLDEN=1 python -m pytest tests/analysis/test_pipeline_golden.py   # then rewrites expected.json

Each case is a set of paths measured with the real site check (net/sitecheck.check_site) against
real TLS servers on loopback, saved with the root sets and the validation time, so that the pure
analysis (validation, signals, verdicts, findings, recommendation) is pinned without a network.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pathprobe.analysis.roots import cert_sha256, spki_sha256
from pathprobe.lab.servers.pki import CA
from pathprobe.model import HostPort, PathMeasurement
from pathprobe.net.sitecheck import FixedAddressDialer, check_site
from tests.servers import body_server, https_server

HERE = Path(__file__).parent / "analysis"


async def measure(path: str, kind: str, sites: list[tuple[str, int, str]]) -> PathMeasurement:
    t0 = time.monotonic()
    targets = []
    for host, port, role in sites:
        dialer = FixedAddressDialer({host: ("127.0.0.1",)})
        targets.append(await check_site(dialer, HostPort(host, port), role, path, t0, 3.0))  # type: ignore[arg-type]
    return PathMeasurement(id=path, kind=kind, targets=tuple(targets))


def save(name: str, paths: list[PathMeasurement], public: list[CA], device: list[CA], known: list[CA],
         require_sct: bool = False) -> None:
    folder = HERE / name
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "now": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "require_sct": require_sct,
        "public_roots": [c.cert_pem().decode() for c in public],
        "device_roots": [c.cert_pem().decode() for c in device],
        "known": [{"name": "Golden Known Root", "year": "2026", "country": "ZZ", "sha256": cert_sha256(c.cert),
                   "spki_sha256": spki_sha256(c.cert)} for c in known],
        "paths": [p.to_json() for p in paths],
    }
    (folder / "measurement.json").write_text(json.dumps(data, indent=1) + "\n")


def main(only: list[str]) -> None:
    if only == ["throttled-on-direct"]:
        throttled(Path(tempfile.mkdtemp()))
        return
    if only:
        raise SystemExit(f"unknown case(s): {only}; the old cases are made together, throttled-on-direct alone")
    tmp = Path(tempfile.mkdtemp())
    public = CA("Golden Public Root", "Golden Web PKI")
    issuing = CA("Golden Issuing CA", "Golden Web PKI", parent=public)
    mitm = CA("Golden Middlebox Root", "Middlebox Inc")
    known = CA("Qaznet Trust Network", "Qaznet", "KZ")  # a look-alike; the known list names it below
    stray = CA("Stray Interceptor")
    with ExitStack() as st:
        real = st.enter_context(https_server(issuing.issue("site.test", "www.site.test"), tmp))
        real2 = st.enter_context(https_server(issuing.issue("other.test"), tmp))
        forged = st.enter_context(https_server(mitm.issue("site.test", "www.site.test"), tmp))
        forged_known = st.enter_context(https_server(known.issue("site.test"), tmp))
        untrusted = st.enter_context(https_server(stray.issue("site.test", "www.site.test"), tmp))
        rotated = st.enter_context(https_server(issuing.issue("site.test", "www.site.test"), tmp))

        async def run() -> None:
            # 1. Interception on direct only, the device trusts the middlebox; Tor sees the real chain.
            save("device-trusted-direct-only", [
                await measure("direct", "direct", [("site.test", forged, "site"), ("other.test", real2, "control")]),
                await measure("tor:obfs4", "tor", [("site.test", real, "site"), ("other.test", real2, "control")]),
            ], [public], [public, mitm], [])
            # 2. An untrusted interceptor on direct, a witness path sees the real one.
            save("untrusted-with-witness", [
                await measure("direct", "direct", [("site.test", untrusted, "site")]),
                await measure("vpn:office", "vpn", [("site.test", real, "site")]),
            ], [public], [public], [])
            # 3. The same untrusted interceptor with no witness: valid in neither store, no signal.
            save("untrusted-no-witness", [
                await measure("direct", "direct", [("site.test", untrusted, "site")]),
            ], [public], [public], [])
            # 4. A rotated but publicly valid leaf on another path: never interception.
            save("rotated-leaf-not-interception", [
                await measure("direct", "direct", [("site.test", rotated, "site")]),
                await measure("doh:quad9", "doh", [("site.test", real, "site")]),
                await measure("tor:vanilla", "tor", [("site.test", real, "site")]),
            ], [public], [public], [], require_sct=True)
            # 5. A known interception root (by certificate hash) trusted by the device.
            save("known-root", [
                await measure("direct", "direct", [("site.test", forged_known, "site")]),
            ], [public], [public, known], [known])

        asyncio.run(run())
    throttled(tmp)
    print(f"wrote {len(list(HERE.iterdir()))} cases to {HERE}")


def throttled(tmp: Path) -> None:
    """6. (issue 17) A site whose 256 KiB page comes at 64 kbit/s on direct while the control there and the
    same site through Tor come at full speed: ``throttled`` on direct only; a small page that comes slowly
    is never judged."""
    public = CA("Golden Public Root", "Golden Web PKI")
    with ExitStack() as st:
        slow = st.enter_context(body_server(tmp, "slow", public.issue("site.test")))
        fast = st.enter_context(body_server(tmp, "fast", public.issue("site.test")))
        control = st.enter_context(body_server(tmp, "fast", public.issue("other.test")))
        small = st.enter_context(body_server(tmp, "small-slow", public.issue("small.test")))
        small_fast = st.enter_context(body_server(tmp, "fast", public.issue("small.test")))

        async def run() -> None:
            direct, tor = await asyncio.gather(
                measure("direct", "direct", [("site.test", slow, "site"), ("small.test", small, "site"),
                                             ("other.test", control, "control")]),
                measure("tor:vanilla", "tor", [("site.test", fast, "site"), ("small.test", small_fast, "site"),
                                               ("other.test", control, "control")]),
            )
            save("throttled-on-direct", [direct, tor], [public], [public], [])

        asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1:])
