"""A live progress line on stderr while probes run (terminals only)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live


class Progress:
    def __init__(self, probes: list[Any]) -> None:
        self.state: dict[str, tuple[int, int]] = {pid: (0, 0) for p in probes for pid in p.path_ids()}
        self.live = Live(console=Console(stderr=True), refresh_per_second=8, transient=True)

    def update(self, path: str, done: int, total: int) -> None:
        self.state[path] = (done, total)
        parts = [f"{pid} {d}/{t}" if t else f"{pid} …" for pid, (d, t) in self.state.items()]
        self.live.update("checking: " + "  ".join(parts))

    def __enter__(self) -> Progress:
        self.live.__enter__()
        self.live.update("checking: " + "  ".join(self.state))
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.live.__exit__(et, ev, tb)
