"""``pathprobe check`` as a person meets it: consent (exit 3), the table and advice, --quiet, --json,
the live progress display on a terminal — against a real TLS server on loopback."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_realnet import Pki, TlsServer  # type: ignore[import-not-found]
from rich.console import Console

from pathprobe.cli.main import main
from pathprobe.cli.progress import Progress

SRC = Path(__file__).resolve().parents[2] / "src"


class Setup:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.plan = folder / "plan.toml"
        self.public = folder / "public.pem"
        self.device = folder / "device.pem"

    def args(self, *extra: str) -> list[str]:
        return [
            "check",
            "--plan",
            str(self.plan),
            "--public-roots",
            str(self.public),
            "--device-roots",
            str(self.device),
            "--timeout",
            "5",
            *extra,
        ]


@pytest.fixture()
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    """A real TLS origin on 127.0.0.1 serving facebook.com and example.com under a lab public CA."""
    pki = Pki()
    server = TlsServer("127.0.0.1", {h: pki.genuine[h] for h in ("facebook.com", "example.com")}, tmp_path)
    port = _free_port_local()
    server.start(port)
    s = Setup(tmp_path, port)
    s.plan.write_text(
        f'[[probe]]\nkind = "direct"\nsites = ["facebook.com:{port}"]\ncontrols = ["example.com:{port}"]\n',
        "utf-8",
    )
    s.public.write_bytes(pki.public_root.cert_pem())
    s.device.write_bytes(pki.public_root.cert_pem())
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 facebook.com example.com\n", "utf-8")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(hosts))
    try:
        yield s
    finally:
        server.stop()


def _free_port_local() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_table_and_advice(lab: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(lab.args("--label", "Loopback"), capsys)
    assert code == 0, err
    assert "pathprobe — Loopback" in out
    assert "direct" in out and "✓ reachable" in out and "✓ intact" in out and "2/2 sites reached" in out
    assert "Recommended: the plain network (direct)" in out
    assert "No interception or blocking was seen" in out
    assert "\x1b[" not in out and "checking" not in err.lower()  # no colours, no progress without a TTY


def test_quiet_and_json(lab: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(lab.args("--quiet"), capsys)
    assert code == 0
    assert out.count("\n") == 1 and out.startswith("direct: No interception or blocking was seen")
    saved = tmp_path / "p.json"
    code, out, _ = run(lab.args("--json", "--out", str(saved)), capsys)
    profile = json.loads(out)
    assert code == 0 and profile == json.loads(saved.read_text("utf-8"))
    assert profile["recommendation"]["path"] == "direct" and profile["recommendation"]["cases"] == ["clean"]


def test_consent_needed_without_a_terminal(
    lab: Setup, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PATHPROBE_ACCEPT_RISK")
    code, out, err = run(lab.args(), capsys)
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "informed consent" in err and "--accept-risk" in err
    # Bad input is reported as such, consent or not.
    code, _, err = run(["check", "--plan", str(lab.folder / "nope.toml")], capsys)
    assert code == 2
    # --accept-risk for this run only: nothing stored.
    code, _, _ = run(lab.args("--accept-risk", "--quiet"), capsys)
    assert code == 0
    from pathprobe.cli.consent import consent_file

    assert not consent_file().exists()
    code, _, _ = run(lab.args("--quiet"), capsys)
    assert code == 3
    # Stored consent (the configuration setting) is enough.
    consent_file().parent.mkdir(parents=True, exist_ok=True)
    consent_file().write_text("accepted\n", "utf-8")
    code, _, _ = run(lab.args("--quiet"), capsys)
    assert code == 0


def _pty_run(argv: list[str], stdin_text: str | None = None) -> tuple[int, str, str]:
    """Run pathprobe with stdin and stderr on a terminal (a pty), stdout on a pipe."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pathprobe", *argv], stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    if stdin_text is not None:
        os.write(master, stdin_text.encode())
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(60)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


def test_live_progress_on_a_terminal(lab: Setup) -> None:
    code, out, term = _pty_run(lab.args())
    assert code == 0, term
    assert "Checking 1 path…" in term and "direct" in term  # the live display ran on the terminal
    assert "Recommended: the plain network (direct)" in out  # the answer went to stdout


def test_first_run_notice_and_stored_consent(lab: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHPROBE_ACCEPT_RISK")
    from pathprobe.cli.consent import consent_file

    code, out, term = _pty_run(lab.args("--quiet"), "no\n")
    assert code == 3 and out == "" and "What it sends" in term and "Who can see it" in term
    assert not consent_file().exists()
    code, out, term = _pty_run(lab.args("--quiet"), "yes\n")
    assert (
        code == 0 and out.startswith("direct:") and consent_file().read_text("utf-8").startswith("accepted")
    )
    code, out, term = _pty_run(lab.args("--quiet"))
    assert code == 0 and "What it sends" not in term  # asked once


def test_progress_display_lines() -> None:
    class P:
        def __init__(self, ids: list[str]) -> None:
            self.ids = ids

        def path_ids(self) -> list[str]:
            return self.ids

    console = Console(record=True, width=100, force_terminal=False)
    prog = Progress([P(["direct"]), P(["tor:obfs4", "tor:vanilla"]), P([])], console=console)
    prog.update("direct", 3, 4)
    prog.update("tor:obfs4", 2, 2)
    console.print(prog.renderable())
    text = console.export_text()
    assert "Checking 3 paths" in text
    assert "direct      ███████████████░░░░░ 3/4" in text
    assert "tor:obfs4   ████████████████████ 2/2  done" in text
    assert "tor:vanilla ░░░░░░░░░░░░░░░░░░░░ waiting" in text
