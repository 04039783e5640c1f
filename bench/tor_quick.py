"""Bench: a tor quick check against 10 silent "authorities" costs about one step timeout, not ten.

    PYTHONPATH=src python bench/tor_quick.py [TIMEOUT]

Ten loopback listeners (ports 18560-18569) accept TCP and never answer, so every TLS handshake runs
into the step deadline. Sequential handshakes would take 10 x TIMEOUT; pathprobe's take ~TIMEOUT.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time

from pathprobe.probes.base import RunContext
from pathprobe.probes.tor import TorProbe
from pathprobe.runner import probe_budget, run_probes


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    listeners = []
    for port in range(18560, 18570):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(16)
        listeners.append(s)
    torrc = [("DirAuthority", f"a{i} orport={p} no-v2 127.0.0.1:{p + 1000} {'B' * 40}")
             for i, p in enumerate(range(18560, 18570))]
    probe = TorProbe("vanilla", "vanilla", [], torrc=torrc)
    ctx = RunContext(timeout=timeout)
    start = time.monotonic()
    paths, _ = asyncio.run(run_probes([probe], ctx))
    took = time.monotonic() - start
    for s in listeners:
        s.close()
    failures = sorted({t.failure or "-" for t in paths[0].targets})
    print(f"10 silent authorities, step timeout {timeout:.1f} s: {took:.2f} s "
          f"(budget {probe_budget(probe, ctx):.0f} s, sequential would be {10 * timeout:.0f} s); {failures}")


if __name__ == "__main__":
    main()
