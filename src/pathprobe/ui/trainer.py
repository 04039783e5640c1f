"""Trainer mode (root on Linux): the lab's shipped scenarios from the page, and ``lab check`` run there.

This module and ``pathprobe.cli.lab`` are the lab's only front doors outside ``lab/``: a trainer on a
projector clicks a scenario instead of typing ``pathprobe lab check NAME``. The lab check is the
CLI's (:meth:`pathprobe.lab.lifecycle.Lab.check`: up, the check in the client namespace, compare,
down), run in the page's worker thread; its progress messages go to the page's log.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from pathprobe.errors import BadInput
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


def start(jobs: Jobs, name: str) -> Job | None:
    """Start ``lab check NAME`` in the page's worker; :class:`BadInput` for a name that is not shipped
    (or when the lab cannot run here), None when a job runs already."""
    from pathprobe.lab import scenario
    from pathprobe.lab.lifecycle import preflight

    known = {s.name: s for s in scenarios()}
    if name not in known:
        raise BadInput("no such lab scenario")
    preflight()
    scn = scenario.load(name)

    def work(job: Job) -> tuple[Profile | None, LabResult | None]:
        from pathprobe.lab.lifecycle import Lab

        result = Lab(lambda text: jobs.say(job, text)).check(scn)
        outcomes = [(o.ok, o.line()) for o in result.outcomes]
        return result.profile, LabResult(scn.name, scn.title, scn.description, outcomes, result.seconds)

    return jobs.start("lab", work, title=scn.title, description=scn.description)
