"""Golden files pin the pure analysis: measurement.json (real handshakes) -> expected.json."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from pathprobe.analysis import pipeline
from pathprobe.analysis.roots import KnownRoot, KnownRoots, RootSet
from pathprobe.analysis.verdicts import Roots
from pathprobe.model import PathMeasurement

CASES = sorted(p for p in (Path(__file__).resolve().parents[1] / "golden" / "analysis").iterdir() if p.is_dir())


def analysed(folder: Path) -> dict[str, Any]:
    m = json.loads((folder / "measurement.json").read_text())

    def roots(name: str) -> RootSet:
        certs = [x509.load_pem_x509_certificate(p.encode()) for p in m[f"{name}_roots"]]
        return RootSet.of(name, certs, f"golden {name}")

    known = KnownRoots(tuple(KnownRoot(k["name"], k["year"], k["country"], k["sha256"], k["spki_sha256"], "")
                             for k in m["known"]))
    paths = [PathMeasurement.from_json(p) for p in m["paths"]]
    now = dt.datetime.fromisoformat(m["now"])
    prof = pipeline.analyse(paths, None, Roots(roots("public"), roots("device"), known, m["require_sct"]), now=now)
    return {k: v for k, v in prof.to_dict().items() if k in ("paths", "interception", "trust_store", "recommendation")}


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_golden(folder: Path) -> None:
    got = analysed(folder)
    expected_file = folder / "expected.json"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not expected_file.exists():
        expected_file.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            pytest.fail(f"{expected_file} was missing and has been written: review it, then run again")
    assert got == json.loads(expected_file.read_text())
