"""The offline queue: summaries that could not be sent yet wait here for the next ``pathprobe submit``.

One file per summary, ``<id>.json``, written atomically (temporary file + rename) with owner-only
permissions, under ``$XDG_DATA_HOME/pathprobe/queue`` (default ``~/.local/share/pathprobe/queue``).
Summaries the collector refused for good (a 4xx about the summary itself) move to ``rejected/``.
A queued file that cannot be read as a summary (broken JSON, nested too deep, too large, not a
regular file: a FIFO or device would block or never end) is moved to ``invalid/`` and reported once;
the others are still sent.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from pathprobe.bounded import MAX_SUMMARY_BYTES, read_json_file
from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.report.safe import term_safe
from pathprobe.summary.schema import validate_summary

MAX_SUMMARY_FILE = MAX_SUMMARY_BYTES
"""The largest file read as a summary (a real one is a few KiB)."""


def read_summary_file(path: Path) -> Any:
    """The JSON in ``path`` (not yet validated), read without following a final symlink, only from a
    regular file and at most :data:`MAX_SUMMARY_FILE` bytes; :class:`BadInput` (naming the file)
    or :class:`OSError` otherwise.
    """
    return read_json_file(path, "summary", max_bytes=MAX_SUMMARY_FILE)


def data_dir() -> Path:
    """pathprobe's data folder: ``$XDG_DATA_HOME/pathprobe`` (default ``~/.local/share/pathprobe``); not
    created here.
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pathprobe"


def default_queue_dir() -> Path:
    """Where the offline queue lives unless told otherwise: ``queue`` under :func:`data_dir` (not created
    here).
    """
    return data_dir() / "queue"


class Queue:
    """The offline queue in ``root`` (default :func:`default_queue_dir`); the folder is created, owner-only,
    when a summary is first stored (:meth:`put` raises :class:`BadInput` when it cannot be).
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_queue_dir()

    def _ensure(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise BadInput(_("cannot create the offline queue {path}: {reason}", path=self.root, reason=exc.strerror)) from None

    def path(self, sid: str) -> Path:
        """The file that holds (or would hold) the queued summary ``sid``; ``sid`` is not checked here (a
        valid summary's id is 32 hex digits).
        """
        return self.root / f"{sid}.json"

    def put(self, summary: dict[str, Any]) -> Path:
        """Store a (valid) summary; storing the same id twice keeps one file."""
        self._ensure()
        dest = self.path(summary["id"])
        tmp = dest.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        return dest

    def items(self) -> list[dict[str, Any]]:
        """Queued summaries, oldest first. Unreadable files are set aside in ``invalid/`` with a warning."""
        if not self.root.is_dir():
            return []
        files = sorted(self.root.glob("*.json"), key=_age)
        out = []
        for f in files:
            try:
                data = validate_summary(read_summary_file(f), str(f))
            except (OSError, ValueError, TypeError, RecursionError, BadInput) as exc:
                why = str(exc) if isinstance(exc, BadInput) else _("{path}: cannot read ({reason})", path=f,
                                                                      reason=type(exc).__name__)
                print(_("pathprobe: setting aside an unreadable queued summary: {reason}", reason=term_safe(why)),
                      file=sys.stderr)
                self._set_aside(f)
                continue
            out.append(data)
        return out

    def _set_aside(self, f: Path) -> None:
        """Move ``f`` to ``invalid/``, else rename it ``*.bad``, so it is reported only once."""
        try:
            self._move(f, "invalid")
        except OSError:
            try:
                os.replace(f, f.with_name(f.name + ".bad"))
            except OSError:
                pass

    def remove(self, sid: str) -> None:
        """Forget the queued summary ``sid`` (sent, or already at the collector); nothing happens when it is
        not queued.
        """
        self.path(sid).unlink(missing_ok=True)

    def reject(self, summary: dict[str, Any]) -> None:
        """Keep a refused summary apart (for the person to look at) so it is not sent again."""
        f = self.path(summary["id"])
        if not f.exists():
            self.put(summary)
        self._move(f, "rejected")

    def _move(self, f: Path, sub: str) -> None:
        d = self.root / sub
        d.mkdir(exist_ok=True, mode=0o700)
        os.replace(f, d / f.name)

    def __len__(self) -> int:
        return len(list(self.root.glob("*.json"))) if self.root.is_dir() else 0


def _age(p: Path) -> tuple[float, str]:
    try:
        return (p.lstat().st_mtime, p.name)
    except OSError:
        return (0.0, p.name)
