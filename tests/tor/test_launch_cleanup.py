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


def _private_launcher() -> launch.TorLauncher:
    from pathprobe.lab.servers.tor import COMMON

    tor = launch.find_tor()
    if tor is None:
        pytest.skip("tor is not installed (scripts/setup.sh installs it)")
    return launch.TorLauncher(tor, [*COMMON.items(), ("DirAuthority", "x orport=1 127.0.0.1:2 " + "A" * 40)])


def _start_and_stop(launcher: launch.TorLauncher, seen: list[Path]) -> None:
    import asyncio

    async def run() -> None:
        try:
            await launcher.start()
            assert launcher.control is not None
            seen.append(launcher.control)
        finally:
            await launcher.stop()

    asyncio.run(run())


def test_a_deep_temporary_directory_gets_a_short_control_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Unix socket path has at most 107 bytes: tor's data directory may be deep (pytest's or a lab
    run's), its control socket then lives in a short directory of its own, removed with the rest."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv(launch.TMP_ENV, str(deep))
    seen: list[Path] = []
    _start_and_stop(_private_launcher(), seen)
    (control,) = seen
    assert len(str(control)) <= launch.MAX_SOCKET_PATH and not control.is_relative_to(deep)
    assert not control.parent.exists() and list(deep.iterdir()) == [] and launch.running_pids() == []


def test_a_too_deep_system_temporary_directory_is_a_clear_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv(launch.TMP_ENV, str(deep))
    monkeypatch.setattr(tempfile, "tempdir", str(deep))  # TMPDIR itself too deep: nowhere short to go
    with pytest.raises(RuntimeError, match="too deep for tor's control socket"):
        _start_and_stop(_private_launcher(), [])
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
