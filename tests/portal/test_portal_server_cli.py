"""The portal server as the lab runs it: a process that prints ``ready`` and stops on SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from portal_helpers import EXTRA, run_probe

from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import qaznet_root_pem

SRC = Path(__file__).resolve().parents[2] / "src"


@contextmanager
def server(*args: str) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pathprobe.lab.servers.portal", "--listen", f"127.0.0.1:{EXTRA}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        proc.terminate()  # by the PID this test started
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()


def test_capture_and_certificate_page(tmp_path: Path) -> None:
    lab = CA("Lab Interception Root")
    (tmp_path / "lab.pem").write_bytes(lab.cert_pem())
    args = ["--name", "portal.test", "--redirect-others", f"http://portal.test:{EXTRA}/", "--offer-qaznet"]
    with server(*args, "--offer", f"lab={tmp_path / 'lab.pem'}") as proc:
        m = run_probe(f"http://detect.test:{EXTRA}/success.txt")
        assert proc.poll() is None
    assert proc.returncode == 0  # SIGTERM is a clean stop
    qaznet = x509.load_pem_x509_certificate(qaznet_root_pem()).public_bytes(Encoding.DER)
    assert (m.detected, m.host) == (True, "portal.test")
    assert [o["der"] for o in m.offered] == [qaznet, lab.cert.public_bytes(Encoding.DER)]


def test_honest_answer_mode() -> None:
    with server("--answer", "/success.txt=success"):
        m = run_probe(f"http://detect.test:{EXTRA}/success.txt")
    assert (m.detected, m.failure) == (False, None)


def test_login_mode_offers_nothing() -> None:
    with server("--name", "portal.test", "--redirect-others", f"http://portal.test:{EXTRA}/", "--login"):
        m = run_probe(f"http://detect.test:{EXTRA}/success.txt")
    assert (m.detected, m.host, m.offered) == (True, "portal.test", ())
