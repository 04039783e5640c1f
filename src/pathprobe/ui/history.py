"""This machine's saved profiles, for the page's history: ``profiles/`` under pathprobe's data folder.

A profile is saved only when the person asks (the page's "save to this computer's history" button):
one file per check, ``<UTC time>-<random>.json``, owner-only (0600) in an owner-only folder
(``$XDG_DATA_HOME/pathprobe/profiles``, default ``~/.local/share/pathprobe/profiles``). Each entry is
compared (:func:`pathprobe.report.diff.diff_profiles`) with the one before it on the same network
label. The files are read back as untrusted input: regular files only, size and depth bounded.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from pathprobe.bounded import read_json_file
from pathprobe.errors import BadInput
from pathprobe.profile import Profile

MAX_PROFILE_FILE = 64 * 1024 * 1024
"""The largest saved profile read back (a plan of 200 sites makes a few MiB)."""
MAX_SHOWN = 30
"""The most recent entries the page lists."""
NAME = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}\.json$")


def folder() -> Path:
    """Where saved profiles live (not created here)."""
    from pathprobe.summary.queue import data_dir

    return data_dir() / "profiles"


def valid_name(name: str) -> bool:
    """Whether ``name`` is a history file name this module writes (the page takes names from URLs)."""
    return bool(NAME.fullmatch(name))


def save(profile: Profile, root: Path | None = None) -> str:
    """Write ``profile`` into the history (0600); its file name."""
    root = root or folder()
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}.json"
        fd = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(profile.to_json())
    except OSError as exc:
        raise BadInput(f"cannot save the profile in {root}: {exc.strerror or exc}") from None
    return name


def load(name: str, root: Path | None = None) -> Profile:
    """The saved profile ``name``; :class:`BadInput` when it is not a readable profile."""
    root = root or folder()
    if not valid_name(name):
        raise BadInput("no such saved profile")
    path = root / name
    try:
        data = read_json_file(path, "profile", max_bytes=MAX_PROFILE_FILE)
    except OSError:
        raise BadInput("no such saved profile") from None
    return Profile.from_json(data, str(path))


def delete(name: str, root: Path | None = None) -> None:
    """Remove the saved profile ``name`` (nothing happens when there is none)."""
    if valid_name(name):
        (root or folder()).joinpath(name).unlink(missing_ok=True)


@dataclass(frozen=True)
class Entry:
    """One saved profile: its file name, the profile (None when it could not be read: ``problem`` says
    why) and the changes since the previous profile on the same label (None for the first one)."""

    name: str
    profile: Profile | None
    problem: str | None = None
    previous: str | None = None
    """The file name of the profile it is compared with."""
    changes: str | None = None
    """:func:`pathprobe.report.diff.render_text` of the diff from ``previous`` (plain text)."""


def entries(root: Path | None = None, limit: int = MAX_SHOWN) -> list[Entry]:
    """The saved profiles, newest first, each with its diff against the previous one of its label."""
    from pathprobe.report.diff import diff_profiles, render_text

    root = root or folder()
    try:
        names = sorted((p.name for p in root.iterdir() if valid_name(p.name)), reverse=True)
    except OSError:
        return []
    # Read one more than shown per label would need the whole history; read the newest few hundred.
    loaded: list[tuple[str, Profile | None, str | None]] = []
    for name in names[: limit * 4]:
        try:
            loaded.append((name, load(name, root), None))
        except BadInput as exc:
            loaded.append((name, None, str(exc)))
    out: list[Entry] = []
    for i, (name, prof, problem) in enumerate(loaded[:limit]):
        if prof is None:
            out.append(Entry(name, None, problem))
            continue
        prev = next(
            ((n, p) for n, p, _ in loaded[i + 1:] if p is not None and p.label == prof.label), None
        )
        if prev is None:
            out.append(Entry(name, prof))
            continue
        text = render_text(diff_profiles(prev[1], prof))
        out.append(Entry(name, prof, previous=prev[0], changes=text))
    return out
