"""``pathprobe ui``'s command line: loopback only, bad options and a missing web stack are one clear
message with exit code 2; the command is registered with its exit codes in its help."""

from __future__ import annotations

import socket
import sys

import pytest

from pathprobe.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "::1", "example.org", "127.0.0.1.evil"])
def test_only_loopback(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["ui", "--no-browser", "--host", host], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--host must be a loopback address" in err


@pytest.mark.parametrize(("args", "words"), [
    (["--lang", "de"], "choose one of: en, ru, kk"),
    (["--timeout", "0"], "--timeout must be"),
    (["--port", "70000"], "--port must be"),
])
def test_bad_options(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["ui", "--no-browser", *args], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err


def test_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 19320))
        s.listen(1)
        code, out, err = run(["ui", "--no-browser", "--port", "19320"], capsys)
    assert code == 2 and out == "" and "cannot listen on 127.0.0.1:19320" in err


def test_without_the_web_stack(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # an install without the ui extra
    code, out, err = run(["ui", "--no-browser"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "pip install 'pathprobe[ui]'" in err and "uvicorn" in err


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ui", "--help"], capsys)
    assert code == 0
    assert "Exit codes" in out and "--no-browser" in out and "--public-roots" in out
    code, out, _ = run(["--help"], capsys)
    assert " ui " in out
