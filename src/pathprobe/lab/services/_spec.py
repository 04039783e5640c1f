"""Running a :class:`pathprobe.lab.servers.vpn.ServerSpec` as a lab service (shared by the VPN services).

The builders in :mod:`pathprobe.lab.servers.vpn` write each server's explicit configuration and say how
to tell it is ready: a line in its output, follow-up commands (``wg setconf`` ...), a command that
succeeds once it is up. The lab runs the spec's ``argv`` like any service (output to
``<instance>/log``); :class:`SpecReadiness` runs the follow-ups inside the service's namespace while
the lifecycle polls :meth:`~pathprobe.lab.services.base.Service.ready`, each once it succeeds, and
notes a failing one in the service's log (so a "not ready" error quotes it).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pathprobe.lab.servers.vpn import ServerSpec
from pathprobe.lab.topology import nsexec

_CMD_TIMEOUT = 5.0


class SpecReadiness:
    """The readiness of one started spec: its log line, its follow-up commands, its ready command."""

    def __init__(self, spec: ServerSpec, netns: str, log: Path) -> None:
        self.netns = netns
        self.log = log
        self.ready_log = spec.ready_log
        self.pending = [list(c) for c in spec.then]
        self.ready_cmd = list(spec.ready_cmd) if spec.ready_cmd else None
        self._noted: set[str] = set()

    def _run(self, argv: list[str]) -> bool:
        try:
            cp = subprocess.run(
                nsexec(self.netns, *argv), capture_output=True, text=True, timeout=_CMD_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self._note(argv, str(exc))
            return False
        if cp.returncode != 0:
            self._note(argv, (cp.stderr or cp.stdout).strip() or f"exit {cp.returncode}")
        return cp.returncode == 0

    def _note(self, argv: list[str], why: str) -> None:
        line = f"# pathprobe lab: '{' '.join(argv)}' failed (retrying): {why}"
        if line not in self._noted:
            self._noted.add(line)
            with open(self.log, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def ready(self) -> bool:
        if self.ready_log is not None:
            try:
                text = self.log.read_text("utf-8", errors="replace")
            except OSError:
                return False
            if self.ready_log not in text:
                return False
        while self.pending:
            if not self._run(self.pending[0]):
                return False
            self.pending.pop(0)
        return self.ready_cmd is None or self._run(self.ready_cmd)
