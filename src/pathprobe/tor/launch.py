"""Full depth: start tor with a torrc built from the plan, follow its bootstrap, stop it by PID.

Each launch gets a fresh temporary ``DataDirectory`` and its own explicit torrc (never a system
torrc: ``--defaults-torrc`` points at an empty file). Tor is driven through stem over a control
socket in that directory: pathprobe authenticates, sends ``TAKEOWNERSHIP`` (tor exits as soon as
the control connection closes, even if pathprobe is killed) and asks for the SOCKS port tor chose.
``__OwningControllerProcess`` is set too, so tor also watches pathprobe's PID.

The process itself is spawned with asyncio rather than ``stem.process.launch_tor``: that call blocks
a thread until a bootstrap percentage is reached, times out with ``SIGALRM`` (main thread only) and
hands back the process only at the end, so it could not be stopped by PID at a deadline or on Ctrl-C.
Here the PID is known from the first instant, and :meth:`TorLauncher.stop` runs on success, at the
deadline, on any exception and on cancellation (Ctrl-C): SIGTERM, then SIGKILL after a grace period.
An ``atexit`` hook kills anything left as a last resort.

The fields recorded follow OONI's vanilla_tor (ts-016): ``bootstrap_time``, ``tor_progress``,
``tor_progress_tag``, ``tor_progress_summary``, ``tor_logs`` (scrubbed of addresses and bridge data).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pathprobe.addresses import scrub_addresses
from pathprobe.i18n import _
from pathprobe.vocab import Failure

TOR_ENV = "PATHPROBE_TOR"
"""Path of the tor binary to use (tests point it at a missing file)."""
PRIVATE_ONLY_ENV = "PATHPROBE_TOR_PRIVATE_ONLY"
"""When ``1``, refuse to start a tor whose torrc would let it reach the public Tor network (tests)."""
TMP_ENV = "PATHPROBE_TOR_TMPDIR"
MAX_SOCKET_PATH = 107
"""The longest Unix socket path Linux takes (sun_path is 108 bytes with its NUL)."""
"""Where the temporary data directories go (default: the system's temporary directory)."""

TOR_HINT = (
    "install tor (Debian/Ubuntu: apt install tor; macOS: brew install tor) "
    f"or set {TOR_ENV} to the tor binary"
)
PT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "obfs4": ("lyrebird", "obfs4proxy"),
    "meek": ("lyrebird", "obfs4proxy"),
    "webtunnel": ("lyrebird", "webtunnel-client"),
    "snowflake": ("snowflake-client", "lyrebird"),
}
PT_HINTS: dict[str, str] = {
    "obfs4": "install lyrebird or obfs4proxy (Debian/Ubuntu: apt install obfs4proxy)",
    "meek": "install lyrebird or obfs4proxy, which provide meek_lite (Debian/Ubuntu: apt install obfs4proxy)",
    "webtunnel": "install lyrebird (from the Tor Expert Bundle) or webtunnel-client",
    "snowflake": "install snowflake-client (Debian/Ubuntu: apt install snowflake-client) or a lyrebird "
    "with snowflake",
}
MANAGED_KEYS = frozenset(
    {
        "datadirectory",
        "controlsocket",
        "controlport",
        "socksport",
        "cookieauthentication",
        "cookieauthfile",
        "hashedcontrolpassword",
        "runasdaemon",
        "log",
        "pidfile",
        "usebridges",
        "bridge",
        "safelogging",
        "user",
        "sandbox",
    }
)
"""torrc options pathprobe sets itself (a plan may not)."""

_BOOT_RE = re.compile(r"Bootstrapped (\d+)% \(([^)]*)\): (.*)$")
_PHASE_RE = re.compile(r'PROGRESS=(\d+) TAG=(\S+) SUMMARY="((?:[^"\\]|\\.)*)"')
_SCRUB_RES = [
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "[scrubbed]"),
    (re.compile(r"\[[0-9A-Fa-f:]{2,}\](?::\d+)?"), "[scrubbed]"),
    (re.compile(r"\$?\b[0-9A-Fa-f]{40}\b(?:~\w+)?"), "[scrubbed]"),
    (re.compile(r"\b(cert|url|front|fronts|ice|fingerprint|node-id|public-key)=\S+"), r"\1=[scrubbed]"),
    (re.compile(r"https?://\S+"), "[scrubbed]"),
]
MAX_LOG_LINES = 40
_PT_FAILED = ("failed", "could not launch", "method error", "terminated", "exited")

_LIVE: dict[int, asyncio.subprocess.Process] = {}
_DIRS: set[str] = set()


def running_pids() -> list[int]:
    """PIDs of tor (and transport) processes this module started and has not yet reaped."""
    return [pid for pid, p in _LIVE.items() if p.returncode is None]


def _kill_leftovers() -> None:
    for pid, proc in list(_LIVE.items()):
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    for d in list(_DIRS):  # torrc and tor's state name the bridges: never leave them behind
        shutil.rmtree(d, ignore_errors=True)
        _DIRS.discard(d)


def private_dir(prefix: str) -> str:
    """A fresh 0700 temporary directory (under ``PATHPROBE_TOR_TMPDIR`` when set) for tor or a
    transport: it may hold bridge lines, so it is removed by :func:`remove_dir` and, whatever else
    happens, at interpreter exit."""
    d = tempfile.mkdtemp(prefix=prefix, dir=os.environ.get(TMP_ENV) or None)
    _DIRS.add(d)
    return d


def remove_dir(d: str | Path | None) -> None:
    """Remove a directory made by :func:`private_dir` (safe to call twice)."""
    if d is not None:
        shutil.rmtree(d, ignore_errors=True)
        _DIRS.discard(str(d))


def write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only (0600) before anything is written into it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


atexit.register(_kill_leftovers)


class _ClosedLoopNotice(logging.Filter):
    """Drops asyncio's "Loop ... that handles pid ... is closed" warning: a child killed at exit (by
    :func:`_kill_leftovers`) ends after its loop did; that is expected, and not the person's concern."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Loop %r that handles pid"))


logging.getLogger("asyncio").addFilter(_ClosedLoopNotice())


def register(proc: asyncio.subprocess.Process) -> None:
    """Track a started child (tor or a transport) until :func:`terminate` reaps it: it is listed by
    :func:`running_pids` and killed at interpreter exit if still running.
    """
    _LIVE[proc.pid] = proc


async def terminate(proc: asyncio.subprocess.Process, grace: float = 3.0) -> None:
    """Stop one child by PID: SIGTERM, then SIGKILL after ``grace`` seconds; always reaped, even when
    the caller is cancelled meanwhile (so no child outlives the event loop that watches it)."""
    try:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await asyncio.wait_for(proc.wait(), 5.0)
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5.0)
        raise
    finally:
        if proc.returncode is None:  # cancelled while waiting: make sure it dies anyway
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        else:
            _LIVE.pop(proc.pid, None)


def scrub_log(line: str) -> str:
    """A tor log line without addresses, fingerprints or bridge arguments."""
    for rx, repl in _SCRUB_RES:
        line = rx.sub(repl, line)
    return scrub_addresses(line)[:300]  # and every other form of address (IPv6 unbracketed, hex, MAC)


def find_tor() -> str | None:
    """The tor binary: ``$PATHPROBE_TOR`` if set (and only then), else ``tor`` on PATH or in /usr/sbin."""
    env = os.environ.get(TOR_ENV)
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    found = shutil.which("tor")
    if found:
        return found
    for path in ("/usr/sbin/tor", "/usr/local/sbin/tor", "/usr/local/bin/tor", "/opt/homebrew/bin/tor"):
        if os.access(path, os.X_OK):
            return path
    return None


def find_transport(transport: str) -> str | None:
    """The binary for a pluggable transport: ``$PATHPROBE_PT_<NAME>`` if set, else the usual names."""
    env = os.environ.get(f"PATHPROBE_PT_{transport.upper()}")
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    for name in PT_CANDIDATES.get(transport, ()):
        found = shutil.which(name)
        if found:
            return found
    return None


def torrc_lines(table: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """The plan's ``[probe.torrc]`` table as torrc lines; raises ValueError naming the bad key."""
    out: list[tuple[str, str]] = []
    for key, value in table.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            raise ValueError(_("'{key}' is not a torrc option name", key=key))
        if key.lower() in MANAGED_KEYS or key.startswith("_"):
            raise ValueError(_("'{key}' is set by pathprobe itself (use the probe's 'bridges' for bridges)", key=key))
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ValueError(_("'{key}': an empty list", key=key))
        for v in values:
            if isinstance(v, bool):
                text = "1" if v else "0"
            elif isinstance(v, int | float):
                text = str(v)
            elif isinstance(v, str):
                text = v
            else:
                raise ValueError(_("'{key}': values must be strings, numbers or booleans", key=key))
            if any(c in text for c in "\r\n\x00"):
                raise ValueError(_("'{key}': a value may not contain a line break", key=key))
            out.append((key, text))
    return out


def is_private_network(options: list[tuple[str, str]]) -> bool:
    """True when the torrc confines tor to its own test network (no public authorities or fallbacks)."""
    opts = {(k.lower(), v.strip()) for k, v in options}
    keys = {k for k, _ in opts}
    return (
        ("testingtornetwork", "1") in opts
        and ("usedefaultfallbackdirs", "0") in opts
        and "dirauthority" in keys
    )


@dataclass
class BootstrapResult:
    """What one bootstrap attempt showed (OONI vanilla_tor's fields)."""

    progress: int = 0
    tag: str | None = None
    summary: str | None = None
    bootstrap_time: float | None = None
    """Seconds from tor's start to 100 %, ``None`` if it did not get there."""
    failure: str | None = None
    """``generic_timeout_error`` at the deadline, ``tor_exited`` if tor stopped, ``tor_transport_failed``
    if its transport binary failed, ``None`` on success."""
    error: str | None = None
    """Why tor could not do its work at all, e.g. its transport binary failed (not a network verdict)."""
    logs: list[str] = field(default_factory=list)
    version: str | None = None

    def to_detail(self) -> dict[str, Any]:
        """The observation ``detail`` fields (OONI vanilla_tor's names); the bootstrap time is rounded
        to 0.01 s and the logs are copied.
        """
        return {
            "bootstrap_time": None if self.bootstrap_time is None else round(self.bootstrap_time, 2),
            "tor_progress": self.progress,
            "tor_progress_tag": self.tag,
            "tor_progress_summary": self.summary,
            "tor_version": self.version,
            "tor_logs": list(self.logs),
        }


class TorLauncher:
    """One tor client process for one probe: start, bootstrap, SOCKS port, stop."""

    def __init__(self, tor: str, options: list[tuple[str, str]]) -> None:
        self.tor = tor
        self.options = options
        self.proc: asyncio.subprocess.Process | None = None
        self.dir: Path | None = None
        self.control: Path | None = None
        """tor's control socket: in the data directory, or in a short directory of the system's
        temporary folder when that path would be too long for a Unix socket."""
        self._control_dir: str | None = None
        self.controller: Any = None
        self.result = BootstrapResult()
        self._reader: asyncio.Task[None] | None = None
        self._started = 0.0
        self._done = asyncio.Event()

    def torrc(self, data: Path) -> list[tuple[str, str]]:
        """The torrc lines for a tor whose data directory is ``data``: pathprobe's own options
        (control socket, SOCKS port chosen by tor, client only) followed by the plan's.
        """
        base = [
            ("DataDirectory", str(data)),
            ("ControlSocket", str(self.control or data / "control")),
            ("CookieAuthentication", "1"),
            ("SocksPort", "127.0.0.1:auto"),
            ("Log", "notice stdout"),
            ("SafeLogging", "1"),
            ("RunAsDaemon", "0"),
            ("ClientOnly", "1"),
            ("AvoidDiskWrites", "1"),
        ]
        return base + self.options

    async def start(self) -> None:
        """Spawn tor and take ownership of it through the control socket."""
        if os.environ.get(PRIVATE_ONLY_ENV) == "1" and not is_private_network(self.options):
            raise RuntimeError(f"{PRIVATE_ONLY_ENV}=1 and the torrc does not confine tor to a test network")
        self.dir = Path(private_dir("pathprobe-tor-"))
        data = self.dir / "data"
        self.control = data / "control"
        if len(os.fsencode(self.control)) > MAX_SOCKET_PATH:  # a deep temporary directory: go short
            self._control_dir = tempfile.mkdtemp(prefix="pp-ctl-")
            _DIRS.add(self._control_dir)
            self.control = Path(self._control_dir) / "control"
        if len(os.fsencode(self.control)) > MAX_SOCKET_PATH:
            raise RuntimeError(
                f"the temporary directory is too deep for tor's control socket (a Unix socket path has at "
                f"most {MAX_SOCKET_PATH} bytes): set TMPDIR or {TMP_ENV} to a shorter directory"
            )
        data.mkdir(mode=0o700)
        torrc = self.dir / "torrc"
        write_private(torrc, "".join(f"{k} {v}".rstrip() + "\n" for k, v in self.torrc(data)))
        empty = self.dir / "torrc-defaults"
        write_private(empty, "")
        self._started = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            self.tor,
            "-f",
            str(torrc),
            "--defaults-torrc",
            str(empty),
            "--__OwningControllerProcess",
            str(os.getpid()),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        register(self.proc)
        self._reader = asyncio.create_task(self._read_output())
        await self._connect_control(self.control)

    async def _connect_control(self, path: Path, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not path.exists():
            if self.proc is None or self.proc.returncode is not None or self._done.is_set():
                raise RuntimeError(
                    "tor exited before opening its control socket: "
                    + ("; ".join(self.result.logs[-3:]) or "no output")
                )
            if time.monotonic() > deadline:
                raise RuntimeError("tor did not open its control socket in time")
            await asyncio.sleep(0.05)

        def connect() -> Any:
            from stem.control import Controller

            c = Controller.from_socket_file(str(path))
            try:
                c.authenticate()
                c.msg("TAKEOWNERSHIP")
                version = str(c.get_version()).split(" ")[0]
            except Exception:
                c.close()
                raise
            return c, version

        self.controller, self.result.version = await asyncio.to_thread(connect)

    async def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip()
                m = _BOOT_RE.search(line)
                if m:
                    pct = int(m.group(1))
                    if pct >= self.result.progress:
                        self.result.progress, self.result.tag, self.result.summary = (
                            pct,
                            m.group(2),
                            m.group(3),
                        )
                    if pct == 100 and self.result.bootstrap_time is None:
                        self.result.bootstrap_time = time.monotonic() - self._started
                low = line.lower()
                if "managed proxy" in low and any(w in low for w in _PT_FAILED) and self.result.error is None:
                    self.result.error = "the transport binary failed: " + scrub_log(line.split("] ", 1)[-1])
                    self._done.set()  # tor would wait for it forever: no use waiting for the deadline
                if m or "[warn]" in line or "[err]" in line:
                    self.result.logs.append(scrub_log(line))
                    del self.result.logs[:-MAX_LOG_LINES]
                if self.result.progress >= 100:
                    self._done.set()
        finally:
            self._done.set()

    async def bootstrap(self, timeout: float) -> BootstrapResult:
        """Wait for 100 % (or tor's exit) within ``timeout`` seconds from tor's start."""
        remaining = max(0.0, timeout - (time.monotonic() - self._started))
        try:
            await asyncio.wait_for(self._done.wait(), remaining)
        except TimeoutError:
            self.result.failure = Failure.GENERIC_TIMEOUT_ERROR
            return self.result
        if self.result.progress < 100:
            self.result.failure = Failure.TOR_TRANSPORT_FAILED if self.result.error else Failure.TOR_EXITED
            return self.result
        phase = await self._get_info("status/bootstrap-phase")
        if phase:
            m = _PHASE_RE.search(phase)
            if m:
                self.result.progress, self.result.tag, self.result.summary = (
                    int(m.group(1)),
                    m.group(2),
                    m.group(3),
                )
        return self.result

    async def _get_info(self, key: str) -> str | None:
        if self.controller is None:
            return None
        try:
            return str(await asyncio.wait_for(asyncio.to_thread(self.controller.get_info, key), 5.0))
        except Exception:
            return None

    async def socks_port(self) -> int | None:
        """The SOCKS port tor is listening on, asked over its control socket; None when unknown."""
        text = await self._get_info("net/listeners/socks")
        m = re.search(r":(\d+)\"?\s*$", text or "")
        return int(m.group(1)) if m else None

    async def stop(self) -> None:
        """Stop tor by PID and remove its data directory (safe to call twice, and when cancelled)."""
        controller, self.controller = self.controller, None
        try:
            if self.proc is not None:
                await terminate(self.proc)
        finally:
            if self.proc is not None and self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
            if controller is not None:
                with contextlib.suppress(Exception):
                    controller.close()
            if self._reader is not None:
                self._reader.cancel()
            remove_dir(self.dir)
            remove_dir(self._control_dir)

    async def __aenter__(self) -> TorLauncher:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
