"""CLI contracts: --json prints only JSON, --out, consent, bad options, crash isolation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pathprobe.lab.servers.pki import CA
from tests.servers import https_server, write_roots


def pathprobe(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "PATHPROBE_ACCEPT_RISK"}
    return subprocess.run([sys.executable, "-m", "pathprobe", *args], capture_output=True, text=True,
                          env={**base, **(env or {})}, input=stdin, timeout=60, check=False)


def setup(tmp: Path) -> tuple[list[str], dict[str, str], CA]:
    ca = CA("CLI Test Root")
    write_roots(tmp / "roots.pem", ca)
    (tmp / "hosts").write_text("127.0.0.1 cli.test\n")
    return ["--public-roots", str(tmp / "roots.pem"), "--device-roots", str(tmp / "roots.pem")], \
        {"PATHPROBE_HOSTS": str(tmp / "hosts"), "XDG_CONFIG_HOME": str(tmp / "cfg")}, ca


def test_json_only_on_stdout_and_out_file(tmp_path: Path) -> None:
    roots, env, ca = setup(tmp_path)
    with https_server(ca.issue("cli.test"), tmp_path) as port:
        (tmp_path / "p.toml").write_text(f'[[probe]]\nkind = "direct"\nsites = ["cli.test:{port}"]\n')
        out = tmp_path / "profile.json"
        res = pathprobe("check", "--plan", str(tmp_path / "p.toml"), *roots, "--json", "--out", str(out),
                        "--accept-risk", "--label", "Test café", env=env)
    assert res.returncode == 0, res.stderr
    prof = json.loads(res.stdout)
    assert prof["schema"] == "pathprobe.profile/1" and prof["label"] == "Test café"
    assert json.loads(out.read_text()) == prof
    assert prof["paths"][0]["tls"] == "intact"
    shown = pathprobe("profile", "show", str(out))
    assert shown.returncode == 0 and "direct" in shown.stdout and "intact" in shown.stdout


def test_non_interactive_without_consent_exits_3_and_sends_nothing(tmp_path: Path) -> None:
    roots, env, _ = setup(tmp_path)
    (tmp_path / "p.toml").write_text('[[probe]]\nkind = "direct"\nsites = ["cli.test:1"]\n')
    res = pathprobe("check", "--plan", str(tmp_path / "p.toml"), *roots, env=env)
    assert res.returncode == 3
    assert "consent" in res.stderr and "Traceback" not in res.stderr
    # bad input is reported as such whether or not consent was given
    res = pathprobe("check", "--plan", str(tmp_path / "missing.toml"), env=env)
    assert res.returncode == 2 and "no such plan file" in res.stderr
    ok = pathprobe("check", "--plan", str(tmp_path / "p.toml"), *roots, "--json", "--timeout", "1",
                   env={**env, "PATHPROBE_ACCEPT_RISK": "1"})
    assert ok.returncode == 0, ok.stderr


def test_bad_options_exit_2(tmp_path: Path) -> None:
    _roots, env, _ = setup(tmp_path)
    (tmp_path / "p.toml").write_text('[[probe]]\nkind = "direct"\nsites = ["cli.test:1"]\n')
    for args, needle in (
        (["--timeout", "-1"], "--timeout"),
        (["--only", "nosuchkind"], "unknown probe kind 'nosuchkind'"),
        (["--public-roots", str(tmp_path / "nope.pem")], "cannot read"),
        (["--no-such-option"], "No such option"),
    ):
        res = pathprobe("check", "--plan", str(tmp_path / "p.toml"), *args, "--accept-risk", env=env)
        assert res.returncode == 2, (args, res.stderr)
        assert needle in res.stderr and "Traceback" not in res.stderr
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    res = pathprobe("check", "--plan", str(tmp_path / "p.toml"), "--device-roots", str(garbage), "--accept-risk", env=env)
    assert res.returncode == 2 and "not a PEM certificate bundle" in res.stderr


def test_bad_profile_files_exit_2(tmp_path: Path) -> None:
    for content, needle in (("{", "not valid JSON"), ('{"schema": "x"}', "'schema' must be"), ("[]", "JSON object")):
        f = tmp_path / "p.json"
        f.write_text(content)
        res = pathprobe("profile", "show", str(f))
        assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr
