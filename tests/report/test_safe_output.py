"""Nothing from the network or a file reaches the terminal raw (issue 16, part 1, first step): escape
sequences, bells and bidirectional overrides planted in a profile and in a trusted root's name are
shown as visible escapes by `profile show`, `profile diff`, `profile render --format md` and
`trust audit`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pathprobe.analysis.roots import cert_sha256, spki_sha256
from pathprobe.lab.servers.pki import CA
from pathprobe.report.safe import term_safe

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "Evil\x1b[2J\x1b[31mCA\x07\u202egnp.exe\x9b0m\r\n"
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\r")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pathprobe", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def assert_safe(out: str) -> None:
    for ch in RAW:
        assert ch not in out, f"raw {ch!r} reached the output"
    assert "\\x1b" in out and "\\u202e" in out


def test_term_safe() -> None:
    assert term_safe("www.example.com — ok") == "www.example.com — ok"
    assert term_safe("a\x1b[31mb") == "a\\x1b[31mb"
    assert term_safe("x\u202ey\u2066z") == "x\\u202ey\\u2066z"
    assert term_safe("\x00\x7f\x85\n\t") == "\\x00\\x7f\\x85\\x0a\\x09"
    assert term_safe("Қазақша, по-русски") == "Қазақша, по-русски"


def hostile_profile(tmp: Path) -> Path:
    data = json.loads((REPO / "profiles" / "kz-2019.json").read_text("utf-8"))
    data["label"] = HOSTILE
    data["interception"][0]["issuer"] = f"CN={HOSTILE}"
    data["interception"][0]["root_subject"] = f"CN={HOSTILE}"
    data["paths"][0]["reason"] = HOSTILE
    data["paths"][0]["targets"][0]["note"] = HOSTILE
    data["recommendation"]["advice"] = HOSTILE
    path = tmp / "hostile.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_profile_show_diff_and_markdown_escape_control_characters(tmp_path: Path) -> None:
    bad = hostile_profile(tmp_path)
    show = run("profile", "show", str(bad))
    assert show.returncode == 0, show.stderr
    assert_safe(show.stdout)
    diff = run("profile", "diff", str(REPO / "profiles" / "clean.json"), str(bad))
    assert diff.returncode == 0, diff.stderr
    assert_safe(diff.stdout)
    md = run("profile", "render", str(bad), "--format", "md")
    assert md.returncode == 0, md.stderr
    for ch in RAW:
        assert ch not in md.stdout
    # The HTML report too: `cat report.html` must not act on a terminal, and a browser shows the
    # overrides as escapes instead of reordering a name with them.
    page = run("profile", "render", str(bad), "--format", "html")
    assert page.returncode == 0, page.stderr
    for ch in RAW:
        assert ch not in page.stdout
    assert "\\x1b" in page.stdout and "\\u202e" in page.stdout


def test_trust_audit_escapes_a_hostile_root_name(tmp_path: Path) -> None:
    evil = CA(HOSTILE.strip())
    (tmp_path / "device.pem").write_bytes(evil.cert_pem())
    (tmp_path / "known.tsv").write_text(
        "name\tyear\tsubject_cn\tcountry\tsha256\tspki_sha256\tnote\n"
        f"Evil\x1b[5mRoot\t2026\tx\tZZ\t{cert_sha256(evil.cert)}\t{spki_sha256(evil.cert)}\ttest\n"
    )
    out = run("trust", "audit", "--device-roots", str(tmp_path / "device.pem"), "--known-roots",
              str(tmp_path / "known.tsv"))
    assert out.returncode == 0, out.stderr
    assert "KNOWN INTERCEPTION ROOT" in out.stdout
    assert_safe(out.stdout)
