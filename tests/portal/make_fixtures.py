"""Regenerate the fixed certificates behind the portal analysis golden test (run by hand, then commit).

    PYTHONPATH=src python tests/portal/make_fixtures.py

Validity 2025-01-01 .. 2045-01-01; the golden test validates at 2026-06-01.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from pathprobe.lab.servers.pki import CA

OUT = Path(__file__).parent / "data"
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def main() -> None:
    public = CA("Lab Public Root", "pathprobe lab", not_before=START, days=7305)
    origin = public.issue("site.test", "control.test", not_before=START, days=7305)
    censor = CA("Lab Interception Root", "Censor", "KZ", not_before=START, days=7305)
    inter = CA("Security Certificate", parent=censor, not_before=START, days=7305)
    forged = inter.issue("site.test", not_before=START, days=7305)
    impostor = CA(
        "Lab Interception Root", "Censor", "KZ", not_before=START, days=7305
    )  # same name, other key
    files = {
        "public-root.pem": public.cert,
        "origin-leaf.pem": origin.cert,
        "censor-root.pem": censor.cert,
        "censor-inter.pem": inter.cert,
        "forged-leaf.pem": forged.cert,
        "impostor-root.pem": impostor.cert,
    }
    OUT.mkdir(exist_ok=True)
    for name, cert in files.items():
        (OUT / name).write_bytes(cert.public_bytes(Encoding.PEM))


if __name__ == "__main__":
    main()
