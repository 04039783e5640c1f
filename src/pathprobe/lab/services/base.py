"""The one shape every lab service has, and the process handling they all share.

A service is a program the lab runs in one namespace. Its class says three things and nothing more:

- :meth:`Service.prepare` writes its explicit configuration into its own directory of the per-run
  state dir and returns the command line (never a default configuration: every file it reads is
  one the lab wrote);
- :meth:`Service.listens` names the sockets that must be open for it to count as ready (checked in
  ``/proc/<pid>/net``, i.e. inside the service's own namespace); :meth:`Service.ready` may add more;
- :meth:`Service.programs` lists the executables it needs (checked before anything starts).

Two optional hooks let services grow without touching the lifecycle: :meth:`Service.from_options`
reads the scenario's ``[options.<kind>]`` table (validate it there: raise ``ValueError`` with a
reason), and :meth:`Service.plan_values` publishes values known only once the service is prepared
(keys, fingerprints, bridge lines) for the scenario's plan, which names them ``{{instance.key}}``.

The lifecycle (:mod:`pathprobe.lab.lifecycle`) starts every service with :func:`start` (stdout and
stderr to ``<instance>/log``, kept after the lab is down), records its PID and start time in the
state file at once, waits for :meth:`Service.ready` while watching for a crash, and stops it with
:func:`stop` by that PID only — after checking that the PID is still the same process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pathprobe.errors import LabError
from pathprobe.lab import world as w
from pathprobe.lab.topology import nsexec

if TYPE_CHECKING:
    from pathprobe.lab.certs import Interceptor
    from pathprobe.lab.servers.pki import CA


@dataclass(frozen=True)
class Listen:
    """A socket that must be open: ``tcp`` listening or ``udp`` bound, on an address (or 0.0.0.0)."""

    proto: str
    address: str
    port: int


@dataclass(frozen=True)
class Launch:
    """How to start a prepared service: its argv (run inside its namespace) and extra environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


class ScenarioOptions(Protocol):
    """What services read of the scenario (a :class:`pathprobe.lab.scenario.Scenario` is one): its
    ``[options.<kind>]`` tables. Services never import the scenario module, which imports them."""

    @property
    def options(self) -> Mapping[str, Mapping[str, Any]]:
        """The scenario's ``[options.<kind>]`` tables, by kind."""
        ...


@dataclass
class LabContext:
    """What services get when they prepare: the run's directory, the lab CAs and the scenario."""

    run_dir: Path
    public: CA
    public_pem: Path
    """The lab public root (PEM), what origins chain to and what "public roots" means in the lab."""
    scenario: ScenarioOptions
    interceptor: Interceptor | None = None
    retired: CA | None = None
    """The lab's retired public root: what ``[options.origins] retired`` sites chain to."""

    @property
    def many(self) -> int:
        """How many generated sites the origins serve (``[options.origins] many``); resolvers know them."""
        value = self.scenario.options.get("origins", {}).get("many", 0)
        return value if isinstance(value, int) else 0


class Service(ABC):
    """A program the lab runs in one namespace (see the module docstring for the contract)."""

    kind: ClassVar[str]
    """Registry name, e.g. ``dns``; a scenario's ``services`` list names kinds."""
    about: ClassVar[str] = ""
    ready_timeout: ClassVar[float] = 20.0

    def __init__(self, instance: str | None = None, netns: str | None = None) -> None:
        self.instance = instance or self.kind
        """Unique name within one lab (its directory and log are named after it); default: the kind."""
        self.netns = netns or w.INET_NS
        """The namespace it runs in; default: the "internet"."""

    @abstractmethod
    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Write the configuration into ``workdir`` and return the command; no process is started."""

    @abstractmethod
    def listens(self) -> list[Listen]:
        """Sockets that must be open before the service counts as ready."""

    def programs(self) -> list[str]:
        """Executables this service needs (names on PATH or absolute paths)."""
        return []

    @classmethod
    def from_options(cls, options: dict[str, Any], where: str) -> Service:
        """Build the internet service from the scenario's ``[options.<kind>]`` (none by default)."""
        if options:
            raise ValueError(f"'{sorted(options)[0]}': the {cls.kind} service takes no options")
        return cls()

    def plan_values(self) -> dict[str, str]:
        """Values for the plan's ``{{<instance>.<key>}}`` placeholders (called after :meth:`prepare`)."""
        return {}

    def ready(self, pid: int) -> bool:
        """True once every socket of :meth:`listens` is open in the namespace of ``pid``; polled by the
        lifecycle until :attr:`ready_timeout`.
        """
        return all(is_listening(pid, lst) for lst in self.listens())


# --------------------------------------------------------------------------- processes


@dataclass
class Running:
    """A started service as the state file records it."""

    instance: str
    kind: str
    netns: str
    pid: int
    starttime: int
    """Field 22 of /proc/<pid>/stat: tells this process apart from a later one with the same PID."""
    log: str
    argv: list[str]

    def to_json(self) -> dict[str, Any]:
        """The state file's form of this record (every field)."""
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> Running:
        """Read :meth:`to_json`'s form; raises KeyError when a field is missing."""
        return Running(**{k: d[k] for k in ("instance", "kind", "netns", "pid", "starttime", "log", "argv")})


def proc_starttime(pid: int) -> int | None:
    """Field 22 of ``/proc/<pid>/stat`` (start time in clock ticks since boot), or None when there is
    no such process or it is a zombie.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(r: Running) -> bool:
    """The recorded process still runs (same PID and start time, not a zombie)."""
    return proc_starttime(r.pid) == r.starttime


def start(svc: Service, launch: Launch, workdir: Path) -> tuple[subprocess.Popen[bytes], Running]:
    """Start the prepared service inside its namespace, in its own session, output appended to
    ``<workdir>/log``; returns the process and its :class:`Running` record. Raises :class:`LabError`
    when the program cannot be started.
    """
    log = workdir / "log"
    argv = nsexec(svc.netns, *launch.argv)
    with open(log, "ab") as fh:
        fh.write(f"# pathprobe lab: {' '.join(argv)}\n".encode())
        fh.flush()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env={**os.environ, **launch.env},
                start_new_session=True,
            )
        except OSError as exc:
            raise LabError(f"service '{svc.instance}' could not start: {exc.strerror}") from None
    st = proc_starttime(proc.pid)
    return proc, Running(svc.instance, svc.kind, svc.netns, proc.pid, st or 0, str(log), launch.argv)


def stop(r: Running, proc: subprocess.Popen[bytes] | None = None, grace: float = 3.0) -> bool:
    """Stop the recorded process by PID (SIGTERM, then SIGKILL after ``grace``); True if it was running."""
    if not alive(r):
        if proc is not None:
            proc.poll()
        return False
    try:
        os.kill(r.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return True
        if not alive(r):
            return True
        time.sleep(0.02)
    if alive(r):
        with contextlib.suppress(ProcessLookupError):
            os.kill(r.pid, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    return True


def log_tail(path: str | Path, lines: int = 12) -> str:
    """The last ``lines`` non-blank lines of a log, indented four spaces, for error messages
    (``(no log)`` / ``(empty log)`` when there is nothing to quote).
    """
    try:
        text = Path(path).read_text("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return "\n".join("    " + ln for ln in tail) or "    (empty log)"


# --------------------------------------------------------------------------- readiness


def _hex_addr(addr: str) -> tuple[str, int]:
    host, port = addr.split(":")
    ip = ".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0)) if len(host) == 8 else host
    return ip, int(port, 16)


def sockets(pid: int, proto: str) -> list[tuple[str, int]]:
    """Listening TCP / bound UDP IPv4 sockets in the namespace of ``pid``."""
    want = "0A" if proto == "tcp" else "07"
    try:
        lines = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) > 3 and parts[3] == want:
            out.append(_hex_addr(parts[1]))
    return out


def is_listening(pid: int, lst: Listen) -> bool:
    """True when the socket ``lst`` is open in the namespace of ``pid`` (on its address or 0.0.0.0)."""
    return any(
        port == lst.port and addr in (lst.address, "0.0.0.0") for addr, port in sockets(pid, lst.proto)
    )
