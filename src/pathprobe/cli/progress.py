"""A live progress display on stderr while probes run (terminals only; ``check`` decides when).

One line per path: a bar, ``done/total`` and the time since the check started. Probes report through
``RunContext.progress(path_id, done, total)``; a path that never reports stays "waiting". Told in the
run's language; the ids are padded in terminal cells (:func:`pathprobe.report.safe.cells`).
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from pathprobe.i18n import _, format_number, ngettext
from pathprobe.report.safe import cells, pad, term_safe

BAR = 20


class Progress:
    """A live progress display of the paths of ``probes`` on stderr; use it as a context manager and
    pass :meth:`update` as ``RunContext.progress``.
    """

    def __init__(self, probes: list[Any], console: Console | None = None) -> None:
        self.state: dict[str, tuple[int, int]] = {pid: (0, 0) for p in probes for pid in p.path_ids()}
        self.t0 = time.monotonic()
        self.console = console or Console(stderr=True)
        self.live = Live(
            console=self.console, refresh_per_second=8, transient=True, get_renderable=self.renderable
        )

    def update(self, path: str, done: int, total: int) -> None:
        """Record that ``path`` has finished ``done`` of its ``total`` steps (negative values count as 0)."""
        self.state[path] = (max(0, done), max(0, total))

    def renderable(self) -> Group:
        """What the display shows now: a heading with the seconds since the start, then one bar per path."""
        shown = {pid: term_safe(pid) for pid in self.state}  # path ids come from the plan file
        width = max((cells(p) for p in shown.values()), default=6)
        n = len(self.state)
        seconds = f"{format_number(time.monotonic() - self.t0):>4}"
        lines = [Text(ngettext("Checking {n} path… {seconds} s", "Checking {n} paths… {seconds} s", n,
                               seconds=seconds), style="bold")]
        for pid, (done, total) in self.state.items():
            line = Text(f"  {pad(shown[pid], width)} ")
            if total:
                filled = round(BAR * min(done, total) / total)
                line.append("█" * filled, style="green" if done >= total else "cyan")
                line.append("░" * (BAR - filled), style="dim")
                line.append(f" {done}/{total}" + ("  " + _("done") if done >= total else ""))
            else:
                line.append("░" * BAR, style="dim")
                line.append(" " + _("waiting"), style="dim")
            lines.append(line)
        return Group(*lines)

    def __enter__(self) -> Progress:
        self.live.__enter__()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.live.__exit__(et, ev, tb)
