"""`pathprobe submit --tor` through the private Tor network: the collector's peer is the Tor exit."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pathprobe
from pathprobe.collector.synthetic import summary as synth
from pathprobe.tor import launch

from .conftest import World

COLLECTOR_PORT = 18595
SRC = Path(pathprobe.__file__).resolve().parents[1]


def socket_owner(local_port: int, remote_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` owns the loopback TCP socket 127.0.0.1:local_port -> :remote_port."""
    inode = None
    with open("/proc/net/tcp") as fh:
        for line in fh.readlines()[1:]:
            f = line.split()
            lport = int(f[1].split(":")[1], 16)
            rport = int(f[2].split(":")[1], 16)
            if lport == local_port and rport == remote_port:
                inode = f[9]
    if inode is None:
        return None
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
        except OSError:
            continue
    return None


def write_torrc(world: World, path: Path) -> None:
    lines = []
    for key, value in world.torrc().items():
        for v in value if isinstance(value, list) else [value]:
            lines.append(f"{key} {v}")
    path.write_text("\n".join(lines) + "\n")


def test_submit_over_a_private_tor_client(world: World, tmp_path: Path) -> None:
    owners: list[int | None] = []
    pids = world.net.pids()

    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            owners.append(socket_owner(self.client_address[1], COLLECTOR_PORT, pids))
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(201)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", COLLECTOR_PORT), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    summary = synth(random.Random(5))
    f = tmp_path / "s.json"
    f.write_text(json.dumps(summary))
    torrc = tmp_path / "torrc"
    write_torrc(world, torrc)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(SRC)}
    assert env[launch.PRIVATE_ONLY_ENV] == "1"  # a default torrc would be refused
    try:
        r = subprocess.run(
            [sys.executable, "-m", "pathprobe", "submit", str(f), "--collector",
             f"http://127.0.0.1:{COLLECTOR_PORT}", "--token", "t", "--tor", "--tor-config", str(torrc),
             "--timeout", "30"],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert r.returncode == 0, r.stderr
    assert f"{summary['id']}: stored" in r.stdout, (r.stdout, r.stderr)
    assert len(owners) == 1 and owners[0] in pids, "the collector's peer was not a relay of the Tor network"
    assert os.listdir(os.environ[launch.TMP_ENV]) == []  # the tor client's data directory is gone


def test_submit_tor_refuses_a_torrc_that_could_reach_the_public_network(tmp_path: Path) -> None:
    """Tests never start tor with a default configuration: without the private network's options,
    `--tor` is refused (PATHPROBE_TOR_PRIVATE_ONLY=1) before tor starts."""
    f = tmp_path / "s.json"
    f.write_text(json.dumps(synth(random.Random(6))))
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(SRC)}
    r = subprocess.run(
        [sys.executable, "-m", "pathprobe", "submit", str(f), "--collector", "http://127.0.0.1:1",
         "--token", "t", "--tor"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    if launch.find_tor() is None:
        assert r.returncode == 2 and "no tor program" in r.stderr
    else:
        assert r.returncode == 2 and launch.PRIVATE_ONLY_ENV in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
