"""Trainer mode (root on Linux): the lab's shipped scenarios from the page, and ``lab check`` run there.

This module and ``pathprobe.cli.lab`` are the lab's only front doors outside ``lab/``: a trainer on a
projector clicks a scenario instead of typing ``pathprobe lab check NAME``. The lab check is the
CLI's (:meth:`pathprobe.lab.lifecycle.Lab.check`: up, the check in the client namespace, compare,
down), run in the page's worker thread; its progress messages go to the page's log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.profile import Profile
from pathprobe.ui.jobs import Job, Jobs, LabResult


def available() -> bool:
    """Whether trainer mode is on: Linux, running as root."""
    return sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass(frozen=True)
class ScenarioInfo:
    """A shipped scenario as the page lists it."""

    name: str
    title: str
    description: str


def scenarios() -> list[ScenarioInfo]:
    """The shipped scenarios this pathprobe can run (a scenario needing a missing probe kind is left out)."""
    from pathprobe.lab import scenario

    out = []
    for name in scenario.shipped():
        try:
            scn = scenario.load(name)
        except BadInput:
            continue
        if not scn.missing_kinds():
            out.append(ScenarioInfo(name, scn.title, scn.description))
    return out


def start(jobs: Jobs, name: str, lang: str = "en") -> Job | None:
    """Start ``lab check NAME`` in the page's worker; :class:`BadInput` for a name that is not shipped
    (or when the lab cannot run here), None when a job runs already."""
    from pathprobe.lab import scenario
    from pathprobe.lab.lifecycle import preflight

    known = {s.name: s for s in scenarios()}
    if name not in known:
        raise BadInput(_("No such lab scenario."))
    preflight()
    scn = scenario.load(name)

    from pathprobe.lab.lifecycle import Lab

    labs: list[Lab] = []

    def work(job: Job) -> tuple[Profile | None, LabResult | None]:
        lab = Lab(lambda text: jobs.say(job, text))
        labs.append(lab)
        result = lab.check(scn)
        outcomes = [(o.ok, o.line()) for o in result.outcomes]
        return result.profile, LabResult(scn.name, scn.title, scn.description, outcomes, result.seconds)

    def stop() -> None:
        # The lab check's `pathprobe check` runs in a session of its own; SIGTERM stops it as Ctrl-C
        # would (its tor and transports too), then Lab.check fails and takes the lab down. The lab's
        # services (Lab.procs) are left to that teardown.
        keep = set(labs[0].procs) if labs else set()
        for pid in own_session_children():
            if pid not in keep:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)

    return jobs.start("lab", work, title=scn.title, description=scn.description, lang=lang, on_stop=stop)


def own_session_children() -> list[int]:
    """This process's children that lead a session of their own (``start_new_session``), from /proc."""
    pids: list[int] = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as fh:
                pids.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[3] == str(pid):  # fields: state, ppid, pgrp, session
            out.append(pid)
    return out
