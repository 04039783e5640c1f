"""The page's one job at a time: a check (or, in trainer mode, a lab check) in a worker thread.

The check is the CLI's: :func:`pathprobe.check.prepare` reads every input first (a bad plan is a
:class:`~pathprobe.errors.BadInput` whose one message the page shows), then
:meth:`~pathprobe.check.Prepared.run` does the network I/O on its own event loop in the worker thread,
so the web server stays responsive. Progress arrives through ``RunContext.progress(path, done, total)``
and is kept here for the page's live view (server-sent events) and for a reload without JavaScript.

Each job runs in the language of the person who started it (:func:`pathprobe.i18n.using`), so its one
clear message, when it cannot run, is in their language.

When the server stops (Ctrl-C, SIGTERM), :meth:`Jobs.stop` ends the running job as Ctrl-C ends the CLI's
check: every task of the check's event loop is cancelled, so each probe stops what it started (tor, its
transports, their temporary directories) before the worker thread ends; a lab check's own ``pathprobe
check`` process gets SIGTERM and the lab is taken down. The server waits for the workers (bounded).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pathprobe.check import CheckOptions
from pathprobe.errors import BadInput, PathprobeError
from pathprobe.i18n import _, using
from pathprobe.profile import Profile

RUNNING, DONE, FAILED = "running", "done", "failed"
MAX_LOG = 400
"""Lines of a lab check's progress messages kept for the page."""
STOP_WAIT = 30.0
"""Seconds :meth:`Jobs.stop` waits for the workers (a lab check's teardown included)."""


@dataclass
class LabResult:
    """What a lab check from the page found: each expectation as a line and whether it was met."""

    scenario: str
    title: str
    description: str
    outcomes: list[tuple[bool, str]]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every expectation was met."""
        return all(ok for ok, _ in self.outcomes)


@dataclass
class Job:
    """One check (``kind`` "check") or lab check ("lab") and what the page shows of it."""

    number: int
    kind: str
    state: str = RUNNING
    progress: dict[str, tuple[int, int]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    profile: Profile | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    lab: LabResult | None = None
    title: str = ""
    """For a lab check: the scenario's title and description, shown while it runs."""
    description: str = ""
    version: int = 0
    """Bumped on every change: the live view sends a new snapshot when it moves."""

    def elapsed(self) -> float:
        """Seconds since the job started (its whole length once it ended)."""
        return self.seconds if self.seconds is not None else time.monotonic() - self.started


class Jobs:
    """The current job (at most one runs) and its result, shared by the server's requests and the worker."""

    def __init__(self, options: CheckOptions) -> None:
        self.options = options
        self.lock = threading.Lock()
        self.job: Job | None = None
        self.summary: dict[str, Any] | None = None
        """The anonymised summary made from the current job's profile (None until asked for)."""
        self.sent: list[tuple[str, str]] = []
        """What became of the last submit: (status word, message) per summary."""
        self._count = 0
        self._threads: list[threading.Thread] = []
        self._loops: set[asyncio.AbstractEventLoop] = set()
        """The event loops of the checks running now (:meth:`stop` cancels their tasks)."""
        self._on_stop: list[Callable[[], None]] = []
        """What stops the running lab checks (:meth:`start`'s ``on_stop``)."""
        self.stopping = threading.Event()
        """Set by :meth:`stop`: no new job starts."""
        self.interrupted = False
        """Whether :meth:`stop` cut a running job short."""

    # -- reading ----------------------------------------------------------------------------------
    def snapshot(self) -> Job | None:
        """A copy of the current job, safe to read while the worker goes on."""
        with self.lock:
            if self.job is None:
                return None
            return dataclasses.replace(self.job, progress=dict(self.job.progress), log=list(self.job.log))

    def profile(self) -> Profile | None:
        """The profile of the last job that produced one (None while one runs)."""
        with self.lock:
            return self.job.profile if self.job is not None and self.job.state == DONE else None

    # -- starting ---------------------------------------------------------------------------------
    def _new(self, kind: str) -> Job | None:
        """A new current job, or None while one runs (the page runs one at a time)."""
        with self.lock:
            if self.stopping.is_set() or (self.job is not None and self.job.state == RUNNING):
                return None
            self._count += 1
            self.job = Job(self._count, kind)
            self.summary = None
            self.sent = []
            return self.job

    def _change(self, job: Job, fn: Callable[[Job], None]) -> None:
        with self.lock:
            fn(job)
            job.version += 1

    def _finish(self, job: Job, *, profile: Profile | None = None, error: str | None = None,
                lab: LabResult | None = None) -> None:
        def done(j: Job) -> None:
            j.seconds = time.monotonic() - j.started
            j.profile, j.error, j.lab = profile, error, lab
            j.state = FAILED if error is not None else DONE

        self._change(job, done)

    def start_check(self, label: str | None = None, *, lang: str = "en") -> Job | None:
        """Start a check with the command line's options (``label``, when given, names the network),
        speaking ``lang``; None when a job runs already."""
        job = self._new("check")
        if job is None:
            return None
        options = self.options
        if label:
            options = dataclasses.replace(options, label=label)
        self._spawn(self._run_check, job, options, lang=lang)
        return job

    def start(self, kind: str, work: Callable[[Job], tuple[Profile | None, LabResult | None]],
              *, title: str = "", description: str = "", lang: str = "en",
              on_stop: Callable[[], None] | None = None) -> Job | None:
        """Start ``work(job)`` (a lab check) in the worker, speaking ``lang``; it returns the profile and
        the lab result. ``on_stop`` is called when the server stops while it runs (it must make ``work``
        end soon). None when a job runs already."""
        job = self._new(kind)
        if job is None:
            return None
        job.title, job.description = title, description
        if on_stop is not None:
            self._on_stop.append(on_stop)

        def run(j: Job) -> None:
            try:
                profile, lab = work(j)
            except BaseException as exc:  # the page must say what stopped it, whatever it was
                self._finish(j, error=_why(exc))
                if not isinstance(exc, Exception):
                    raise
                return
            finally:
                if on_stop is not None:
                    self._on_stop.remove(on_stop)
            self._finish(j, profile=profile, lab=lab)

        self._spawn(run, job, lang=lang)
        return job

    def say(self, job: Job, text: str) -> None:
        """Add progress messages (a lab check's) to the job's log."""

        def add(j: Job) -> None:
            j.log.extend(text.splitlines() or [""])
            del j.log[:-MAX_LOG]

        self._change(job, add)

    def _spawn(self, target: Callable[..., None], *args: Any, lang: str) -> None:
        def speaking() -> None:
            with using(lang):
                target(*args)

        # A daemon thread, so that nothing but stop() decides how long the process waits for it.
        th = threading.Thread(target=speaking, name="pathprobe-ui-job", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [th]
        th.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the worker threads (tests and benchmarks)."""
        for th in list(self._threads):
            th.join(timeout)

    def alive(self) -> list[threading.Thread]:
        """The worker threads still running."""
        return [th for th in self._threads if th.is_alive()]

    def stop(self, within: float = STOP_WAIT) -> bool:
        """Stop the running job (the server is stopping) and wait up to ``within`` seconds for the
        workers; True when none is left. A check's tasks are cancelled (again every half second, in case
        one swallowed it), a lab check's ``on_stop`` is called."""
        self.stopping.set()
        with self.lock:
            running = self.job if self.job is not None and self.job.state == RUNNING else None
        for fn in list(self._on_stop):
            try:
                fn()
            except Exception as exc:  # stopping must go on, whatever one hook did
                traceback.print_exception(exc)
        deadline = time.monotonic() + within
        while self.alive() and time.monotonic() < deadline:
            for loop in list(self._loops):
                with contextlib.suppress(RuntimeError):  # closed meanwhile
                    loop.call_soon_threadsafe(_cancel_all, loop)
            for th in self.alive():
                th.join(min(0.5, max(0.0, deadline - time.monotonic())))
        self.interrupted = running is not None and running.state == FAILED
        return not self.alive()

    def _run_check(self, job: Job, options: CheckOptions) -> None:
        from pathprobe.check import prepare

        try:
            prepared = prepare(options)
        except Exception as exc:
            self._finish(job, error=_why(exc))
            return

        def start(j: Job) -> None:
            j.progress = {pid: (0, 0) for p in prepared.plan.probes for pid in p.path_ids()}

        self._change(job, start)

        def progress(path: str, done: int, total: int) -> None:
            def set_(j: Job) -> None:
                j.progress[path] = (max(0, done), max(0, total))

            self._change(job, set_)

        prepared.progress = progress
        try:
            if self.stopping.is_set():
                raise asyncio.CancelledError
            profile = prepared.run(loops=self._loops)  # a loop stop() can reach
        except (KeyboardInterrupt, asyncio.CancelledError):
            self._finish(job, error=_("The check was stopped: pathprobe ui is closing."))
            return
        except Exception as exc:
            self._finish(job, error=_why(exc))
            return
        self._finish(job, profile=profile)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task of ``loop`` (called in the loop's own thread)."""
    for task in asyncio.all_tasks(loop):
        task.cancel()


def _why(exc: BaseException) -> str:
    """One line for an error that is not bad input (and the traceback on stderr, for a bug report)."""
    if isinstance(exc, PathprobeError | BadInput):
        return str(exc)
    traceback.print_exception(exc)
    return _("The check stopped unexpectedly ({error}); see the terminal for details.", error=type(exc).__name__)
