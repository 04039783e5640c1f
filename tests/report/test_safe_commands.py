"""Nothing from the network or a file reaches the terminal raw, in every command (issue 16, part 1):
`summary`, `submit` (a collector whose error body is an escape-sequence bomb), `lab` (a scenario file
holding such text, its expectation lines), the progress display, `collector token list`, JSON on stdout,
and the CLI's one exit point (a bad-input message quoting a hostile value)."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from pathprobe.report.safe import Lines, clip, safe_format, safe_json, say, term_safe, term_safe_lines

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "Evil\x1b[2J\x1b]0;pwned\x07\x1b[31mCA\x07\u202egnp.exe\x9b0m\r\nPASS  fake line\u2066"
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\r", "\u2066")


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    import os

    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "pathprobe", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=e)


def assert_no_raw(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} reached the output: {text[:300]!r}"


# ---- the helpers ------------------------------------------------------------------------------------


def test_say_keeps_the_programs_newlines_and_escapes_the_values(capsys: pytest.CaptureFixture[str]) -> None:
    say("{:<8}|{}\n  second line", "a\x1bb", "x\ny")
    say("to stderr: {}", "\u202e", err=True)
    out, err = capsys.readouterr()
    assert out == "a\\x1bb  |x\\x0ay\n  second line\n"
    assert err == "to stderr: \\u202e\n"


def test_lines_value_keeps_its_line_breaks_only() -> None:
    text = safe_format("{}\n\n{}", "T\x1b", Lines("one\x07\ntwo\u202e"))
    assert text == "T\\x1b\n\none\\x07\ntwo\\u202e"
    assert term_safe_lines("a\r\nb\x9b") == "a\\x0d\nb\\x9b"


def test_clip_caps_before_escaping() -> None:
    assert clip("\x1b" * 1000, 10) == "\\x1b" * 10 + "…"
    assert clip("short", 10) == "short"


def test_term_safe_also_escapes_bidi_marks_and_separators() -> None:
    assert term_safe("a\u200fb\u2028c\u061c") == "a\\u200fb\\u2028c\\u061c"


def test_safe_json_is_the_same_json_without_raw_controls() -> None:
    data = {"k\u202e": [HOSTILE, "Қазақша", 1, None], "x": "\x7f\x85"}
    text = safe_json(data)
    assert_no_raw(text)
    assert "\x7f" not in text and "\x85" not in text
    assert json.loads(text) == data
    assert "Қазақша" in text  # readable text stays readable


# ---- profile show --json, summary ----------------------------------------------------------------------


def hostile_profile(tmp: Path) -> Path:
    data = json.loads((REPO / "profiles" / "kz-2019.json").read_text("utf-8"))
    data["label"] = HOSTILE
    data["interception"][0]["issuer"] = f"CN={HOSTILE}"
    data["paths"][0]["reason"] = HOSTILE
    data["paths"][0]["targets"][0]["note"] = HOSTILE
    data["recommendation"]["advice"] = HOSTILE
    path = tmp / "hostile.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_profile_show_and_diff_json_escape_c1_and_bidi(tmp_path: Path) -> None:
    bad = hostile_profile(tmp_path)
    show = run("profile", "show", "--json", str(bad))
    assert show.returncode == 0, show.stderr
    assert_no_raw(show.stdout)
    assert json.loads(show.stdout)["label"] == HOSTILE  # the same data, only written safely
    diff = run("profile", "diff", "--json", str(REPO / "profiles" / "clean.json"), str(bad))
    assert diff.returncode == 0, diff.stderr
    assert_no_raw(diff.stdout)


def test_summary_of_a_hostile_profile(tmp_path: Path) -> None:
    bad = hostile_profile(tmp_path)
    r = run("summary", str(bad))
    assert r.returncode == 0, r.stderr
    assert_no_raw(r.stdout + r.stderr)
    out_dir = tmp_path / "out\x1b[2J\u202e"
    out_dir.mkdir()
    r = run("summary", str(bad), "--out", str(out_dir / "s.json"))
    assert r.returncode == 0, r.stderr
    assert_no_raw(r.stderr)
    assert "\\x1b[2J\\u202e" in r.stderr  # "summary ID written to PATH", the path shown escaped


# ---- the exit point: bad input quoting a hostile value ---------------------------------------------------


def hostile_summary(tmp: Path) -> Path:
    import random

    from pathprobe.collector.synthetic import summary as synth

    s = synth(random.Random(7))
    s[HOSTILE] = 1  # an unknown key: the validator's message quotes it
    f = tmp / "summary.json"
    f.write_text(json.dumps(s), "utf-8")
    return f


def test_bad_input_message_quoting_a_hostile_value_is_one_escaped_line(tmp_path: Path) -> None:
    r = run("submit", str(hostile_summary(tmp_path)), "--collector", "http://127.0.0.1:9", "--token", "t",
            env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.returncode == 2, r.stderr
    assert "unknown key" in r.stderr and "Traceback" not in r.stderr
    assert_no_raw(r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1  # the value's "\r\nPASS  fake line" starts no line


def test_exit_point_for_each_kind_of_error(capsys: pytest.CaptureFixture[str]) -> None:
    from pathprobe.cli.main import _shown
    from pathprobe.errors import BadInput, LabError

    assert "\n" not in _shown(BadInput(f"plan: key {HOSTILE}"))
    assert_no_raw(_shown(BadInput(f"plan: key {HOSTILE}")))
    lab = _shown(LabError(f"service crashed; the end of its log:\n    {HOSTILE}\n    last"))
    assert lab.splitlines()[0] == "service crashed; the end of its log:"
    assert_no_raw(lab)


# ---- submit against a hostile collector ----------------------------------------------------------------


class Hostile:
    """A real HTTP server on loopback that answers every POST with ``status`` and a hostile body."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(status, "Bad\x1b[5m")
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile_server() -> Iterator[list[Hostile]]:
    made: list[Hostile] = []
    yield made
    for s in made:
        s.close()


def a_summary(tmp: Path) -> Path:
    import random

    from pathprobe.collector.synthetic import summary as synth

    f = tmp / "s.json"
    f.write_text(json.dumps(synth(random.Random(3))), "utf-8")
    return f


@pytest.mark.parametrize(
    "status,body,ctype",
    [
        (400, json.dumps({"error": HOSTILE * 200}).encode(), "application/json"),
        (422, (HOSTILE * 500).encode(), "text/plain; charset=utf-8"),
        (503, (HOSTILE * 500).encode(), "text/plain; charset=utf-8"),  # queued: the reason is shown too
    ],
)
def test_submit_shows_a_hostile_error_body_escaped_and_capped(
    tmp_path: Path, hostile_server: list[Hostile], status: int, body: bytes, ctype: str
) -> None:
    srv = Hostile(status, body, ctype)
    hostile_server.append(srv)
    r = run("submit", str(a_summary(tmp_path)), "--collector", srv.url, "--token", "t0k",
            "--attempts", "1", env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.returncode == (0 if status == 503 else 1), r.stderr
    assert "Traceback" not in r.stderr
    assert_no_raw(r.stdout + r.stderr)
    assert "\\x1b[2J" in r.stdout  # shown, visibly
    line = r.stdout.strip().splitlines()[0]
    assert len(line) < 2200  # 300 characters of the body at most, escapes included
    assert "PASS  fake line" not in r.stdout.splitlines()  # the body's newline does not start a line


# ---- lab: a scenario file with hostile text --------------------------------------------------------------


def hostile_scenario(tmp: Path) -> Path:
    text = (REPO / "src" / "pathprobe" / "lab" / "scenarios" / "clean.toml").read_text("utf-8")
    esc = json.dumps(HOSTILE)  # a TOML basic string: \u escapes for the control characters
    text = text.replace('title = "Clean: an honest network, nothing tampered with"', f"title = {esc}")
    text = text.replace('id = "direct"', f"id = {json.dumps('direct' + HOSTILE)}", 1)
    f = tmp / "hostile.toml"
    f.write_text(text, "utf-8")
    return f


def test_lab_expectation_lines_and_report_escape_hostile_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathprobe.cli.lab import _report
    from pathprobe.lab import scenario as sc
    from pathprobe.lab.expect import compare
    from pathprobe.profile import load_profile

    scn = sc.load(str(hostile_scenario(tmp_path)))
    assert scn.title == HOSTILE
    outcomes = compare(scn.expect, load_profile(REPO / "profiles" / "clean.json"))
    failed = [o for o in outcomes if not o.ok]
    assert failed and any(HOSTILE in o.what for o in failed)
    for o in outcomes:
        assert_no_raw(o.line())
    result = SimpleNamespace(outcomes=outcomes, scenario=SimpleNamespace(name=HOSTILE), seconds=1.0,
                             run_dir=tmp_path / "run\x1b")
    assert _report(result) == 1
    out = capsys.readouterr().out
    assert_no_raw(out)
    assert "expectations met" in out


def test_lab_list_escapes_a_scenario_title(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathprobe.cli import lab as cli_lab
    from pathprobe.lab import scenario as sc

    folder = tmp_path / "scenarios"
    folder.mkdir()
    hostile_scenario(tmp_path).rename(folder / "hostile.toml")
    monkeypatch.setattr(sc, "shipped_dir", lambda: folder)
    cli_lab.list_()
    out = capsys.readouterr().out
    assert out.startswith("hostile ") and out.count("\n") == 1
    assert_no_raw(out)


def test_lab_progress_messages_keep_lines_and_escape_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    from pathprobe.cli.lab import _say

    _say(f"service x crashed; the end of its log:\n    {HOSTILE}")
    out = capsys.readouterr().out
    assert out.startswith("service x crashed; the end of its log:\n    Evil\\x1b[2J")
    assert_no_raw(out)


# ---- the progress display -----------------------------------------------------------------------------


def test_progress_display_escapes_path_ids() -> None:
    from pathprobe.cli.progress import Progress

    probe = SimpleNamespace(path_ids=lambda: ["direct", f"vpn:{HOSTILE}"])
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, no_color=True, width=300)
    p = Progress([probe], console=console)
    p.update(f"vpn:{HOSTILE}", 1, 3)
    console.print(p.renderable())
    out = buf.getvalue()
    assert_no_raw(out)
    assert "vpn:Evil\\x1b[2J" in out and "1/3" in out


# ---- collector token list --------------------------------------------------------------------------------


def test_collector_token_list_escapes_names_read_from_the_database(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    r = run("collector", "token", "add", "campaign", "--db", str(db))
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(db) as con:  # a database file someone else wrote
        con.execute("UPDATE tokens SET name = ?, created = ?", (HOSTILE, HOSTILE))
    con.close()
    r = run("collector", "token", "list", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert_no_raw(r.stdout + r.stderr)
    assert "Evil\\x1b[2J" in r.stdout and len(r.stdout.strip().splitlines()) == 2
