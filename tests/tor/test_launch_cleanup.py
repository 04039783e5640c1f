"""Children of tor/launch.py never leave noise or secrets behind: no asyncio "Loop ... is closed"
warning on stderr when a child is killed at exit, and private files are 0600 in removed directories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pathprobe.tor import launch

SCRIPT = """
import asyncio, logging, sys, time
from pathprobe.tor import launch

async def main():
    proc = await asyncio.create_subprocess_exec("sleep", "60")
    launch.register(proc)  # left running: the loop closes before it ends

asyncio.run(main())
if sys.argv[1] == "unfiltered":
    logging.getLogger("asyncio").filters.clear()
launch._kill_leftovers()  # what atexit does
time.sleep(0.5)  # the child watcher thread sees the exit now, after its loop closed
"""


def _run(mode: str) -> str:
    r = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stderr


def test_a_child_that_outlives_its_loop_prints_nothing() -> None:
    assert "that handles pid" in _run("unfiltered")  # the warning is real without the filter
    assert _run("filtered") == ""


def test_private_files_and_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(launch.TMP_ENV, str(tmp_path))
    d = Path(launch.private_dir("pathprobe-x-"))
    assert d.parent == tmp_path and d.stat().st_mode & 0o777 == 0o700
    f = d / "torrc"
    launch.write_private(f, "Bridge obfs4 192.0.2.1:443 cert=secret\n")
    assert f.stat().st_mode & 0o777 == 0o600
    launch._kill_leftovers()  # at exit every private directory goes, whoever forgot it
    assert not d.exists()
    launch.remove_dir(d)  # twice is fine


def test_a_too_deep_temporary_directory_is_a_clear_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tor cannot bind a control socket whose path is over 107 bytes: say so, start nothing, leave nothing."""
    import asyncio

    from pathprobe.lab.servers.tor import COMMON

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv(launch.TMP_ENV, str(deep))
    tor = launch.find_tor()
    if tor is None:
        pytest.skip("tor is not installed (scripts/setup.sh installs it)")
    launcher = launch.TorLauncher(tor, [*COMMON.items(), ("DirAuthority", "x orport=1 127.0.0.1:2 " + "A" * 40)])

    async def run() -> None:
        try:
            await launcher.start()
        finally:
            await launcher.stop()

    with pytest.raises(RuntimeError, match="too deep for tor's control socket"):
        asyncio.run(run())
    assert list(deep.iterdir()) == [] and launch.running_pids() == []


def test_tor_log_lines_keep_no_address_in_any_form() -> None:
    line = (
        "[warn] Proxy Client: unable to connect to 2001:db8::5 port 443 via 192.0.2.7:9001 "
        "(fe80::1%eth0, c0a80001, aa:bb:cc:dd:ee:ff) Bridge obfs4 cert=AbC123 iat-mode=0 "
        "$0123456789ABCDEF0123456789ABCDEF01234567~relay"
    )
    out = launch.scrub_log(line)
    for secret in ("2001:db8", "192.0.2.7", "fe80", "c0a80001", "aa:bb", "AbC123", "0123456789ABCDEF"):
        assert secret not in out, out
    assert out.startswith("[warn] Proxy Client: unable to connect to")
