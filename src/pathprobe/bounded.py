"""Bounded parsing of JSON and TOML that came from a file or the network.

Every document pathprobe reads (profiles, summaries, queue files, collector bodies, plans) goes
through here, so a hostile or broken file gets one clear :class:`BadInput` (exit 2, or HTTP 4xx at
the collector) instead of a ``RecursionError``, ``ValueError`` or ``OverflowError`` traceback, and
no parse takes more than linear time in a capped size.

Limits (README "Limits"): total size (per caller), nesting depth :data:`MAX_DEPTH`, and number
literals of at most :data:`MAX_NUMBER_CHARS` characters.
"""

from __future__ import annotations

import itertools
import json
import operator
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from pathprobe.errors import BadInput
from pathprobe.i18n import _, format_number, ngettext

MAX_DEPTH = 64
"""Arrays/objects (JSON) or arrays/tables (TOML) nested deeper than this are refused."""
MAX_NUMBER_CHARS = 40
"""A number literal longer than this is refused (``int("9" * 10**6)`` alone takes seconds)."""
MiB = 1024 * 1024
MAX_PLAN_BYTES = 1 * MiB
"""A plan (``--plan``) or lab scenario file: about 50,000 sites."""
MAX_PROFILE_BYTES = 256 * MiB
"""A saved profile: about 4 KB a target with its observations, so some 60,000 targets."""
MAX_SUMMARY_BYTES = 1 * MiB
"""A summary (a file given to ``submit``, or a queued one); a real one is a few KiB."""
MAX_STATE_BYTES = 1 * MiB
"""The lab's own ``state.json``."""

_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


def _strip_strings(text: str) -> str:
    """``text`` without the contents of its JSON strings, in linear time whatever it holds.

    Escaped backslashes go first, then escaped quotes; what is left between two quotes is a string.
    (A regular expression for JSON strings backtracks on unterminated ones: ``"\\"\\"\\"...`` made the
    former check quadratic, 19 s for 80 KB.)"""
    parts = text.replace("\\\\", "").replace('\\"', "").split('"')
    return "".join(parts[0::2])


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether the arrays and objects of the JSON ``text`` nest deeper than ``max_depth`` (brackets inside
    strings do not count); linear, and every step runs in C, not in a Python loop per bracket."""
    brackets = _NOT_BRACKETS.sub("", _strip_strings(text))
    steps = brackets.translate(_STEPS).encode("latin-1")  # 2 for an opening bracket, 0 for a closing one
    # The running sum of (step - 1) is the depth after each bracket.
    return max(map(operator.sub, itertools.accumulate(steps), itertools.count(1)), default=0) > max_depth


def _number(kind: type[int] | type[float], what: str) -> Any:
    def parse(s: str) -> int | float:
        if len(s) > MAX_NUMBER_CHARS:
            raise BadInput(_("{what}: a number of {count} characters (at most {most} are read)", what=what,
                             count=len(s), most=MAX_NUMBER_CHARS))
        value = kind(s)
        if isinstance(value, float) and value in (float("inf"), float("-inf")):
            raise BadInput(_("{what}: a number too large to use", what=what))
        return value

    return parse


def _reject_constant(what: str) -> Any:
    def reject(name: str) -> Any:
        raise BadInput(_("{what}: {name} is not a JSON number", what=what, name=name))

    return reject


def check_size(data: str | bytes, what: str, max_bytes: int) -> None:
    """:class:`BadInput` when ``data`` is larger than ``max_bytes``."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise BadInput(_("{what}: {size} is larger than the {most} pathprobe reads", what=what, size=_size(size),
                         most=_size(max_bytes)))


def _size(n: int) -> str:
    if n >= MiB:
        return _("{size} MiB", size=format_number(n / MiB, 1))
    if n >= 1024:
        return _("{size} KiB", size=format_number(n / 1024, 1))
    return ngettext("{n} byte", "{n} bytes", n)


def loads_json(data: str | bytes, what: str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``data``; :class:`BadInput` naming ``what`` when it is too large, nested too
    deep, holds an over-long number or NaN/Infinity, is not UTF-8, or is not JSON at all.
    """
    check_size(data, what, max_bytes)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput(_("{what}: not UTF-8 text", what=what)) from None
    if _too_deep(data, max_depth):
        raise BadInput(_("{what}: nested deeper than {most} levels", what=what, most=max_depth))
    try:
        return json.loads(
            data,
            parse_int=_number(int, what),
            parse_float=_number(float, what),
            parse_constant=_reject_constant(what),
        )
    except json.JSONDecodeError as exc:
        raise BadInput(_("{what}: not valid JSON ({reason} at line {line})", what=what, reason=exc.msg,
                         line=exc.lineno)) from None
    except RecursionError:
        raise BadInput(_("{what}: nested too deep", what=what)) from None
    except (ValueError, OverflowError) as exc:
        raise BadInput(_("{what}: not usable JSON ({reason})", what=what, reason=type(exc).__name__)) from None


def _depth(value: Any, max_depth: int) -> bool:
    """Whether a parsed value nests deeper than ``max_depth`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > max_depth:
            return True
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return False


def loads_toml(text: str, what: str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The TOML document in ``text``; :class:`BadInput` naming ``what`` when it is too large, nested
    too deep, or not valid TOML.
    """
    check_size(text, what, max_bytes)
    try:  # tomllib recurses on nested inline arrays: a RecursionError is caught like any other fault
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(_("{what}: not valid TOML ({reason})", what=what, reason=exc)) from None
    except RecursionError:
        raise BadInput(_("{what}: nested too deep", what=what)) from None
    except (ValueError, OverflowError) as exc:
        raise BadInput(_("{what}: not usable TOML ({reason})", what=what, reason=str(exc)[:200])) from None
    if _depth(data, max_depth):
        raise BadInput(_("{what}: nested deeper than {most} levels", what=what, most=max_depth))
    return data


def read_json_file(path: Path, kind: str, *, max_bytes: int) -> Any:
    """The JSON in the file ``path`` (a ``kind`` of document: "summary", "profile"), read without
    following a final symlink, only from a regular file (a FIFO would hang the reader) and at most
    ``max_bytes``; :class:`BadInput` naming the file, or :class:`OSError` when it cannot be opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise BadInput(_("{file}: not a regular file", file=path))
        if st.st_size > max_bytes:
            raise BadInput(_("{file}: too large to be a profile", file=path) if kind == "profile" else
                           _("{file}: too large to be a summary", file=path) if kind == "summary" else
                           _("{file}: too large to read", file=path))
        raw = fh.read(max_bytes + 1)
    return loads_json(raw, str(path), max_bytes=max_bytes)
