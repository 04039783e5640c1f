"""Text from the network or a file, made safe to show in a terminal (and in Markdown).

Certificate subjects, portal pages, labels, notes, hosts, scenario texts and collector error bodies come
from people and networks that may be hostile: an escape sequence in a certificate's name could rewrite
the screen (hide a warning, fake a verdict), and a bidirectional override could reorder what a person
reads. Every renderer passes such text through :func:`term_safe` at the edge, just before it is shown.

The commands print through one small helper, :func:`say`: its template is the program's own text (its
newlines and layout work as written) and every value put into it is made safe, newlines included, so a
value can never start a line of its own. :func:`safe_json` does the same for JSON written to stdout.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)."""
_ALSO_ESCAPED = BIDI_CONTROLS | frozenset("\u200e\u200f\u061c\u2028\u2029")
"""The bidi controls, the bidi marks (LRM, RLM, ALM) and the line and paragraph separators."""


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if ch in _ALSO_ESCAPED:
        return f"\\u{code:04x}"
    return ch


def term_safe(text: object) -> str:
    """``text`` with every C0/C1 control character (ESC, BEL, CR, newline, ...), DEL, bidirectional
    control or mark and line/paragraph separator shown as a visible escape (``\\x1b``, ``\\u202e``)
    instead of acting on the terminal."""
    s = str(text)
    if s.isprintable():  # the common case; every character escaped below is non-printable
        return s
    return "".join(_visible(ch) for ch in s)


def term_safe_lines(text: object) -> str:
    """Like :func:`term_safe` but line breaks stay: for a message of several lines that someone else built
    (an error with a log's tail). Prefer :func:`say` with values, which escapes a value's newlines too."""
    return "\n".join(term_safe(line) for line in str(text).split("\n"))


def clip(text: object, limit: int) -> str:
    """:func:`term_safe` of at most the first ``limit`` characters of ``text`` (``…`` when cut): for text
    a peer chose the length of, such as an HTTP error body."""
    s = str(text)
    return term_safe(s[:limit]) + ("…" if len(s) > limit else "")


class Lines(str):
    """A value that is a text of several lines (a scenario's description): :func:`safe_format` keeps its line
    breaks and escapes everything else in it."""

    __slots__ = ()


def _value(v: object) -> str:
    return term_safe_lines(v) if isinstance(v, Lines) else term_safe(v)


def safe_format(template: str, /, *values: object, **named: object) -> str:
    """``template.format(...)`` with every value made safe by :func:`term_safe` first (a :class:`Lines` value
    by :func:`term_safe_lines`). ``template`` is the program's own text; format specs for strings
    (``{:<24}``) work, numbers arrive as their text."""
    return template.format(*(_value(v) for v in values), **{k: _value(v) for k, v in named.items()})


def say(template: str = "", /, *values: object, err: bool = False, **named: object) -> None:
    """Print one message (stdout, or stderr with ``err``): ``template`` filled by :func:`safe_format`."""
    print(safe_format(template, *values, **named), file=sys.stderr if err else sys.stdout, flush=True)


_JSON_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in _ALSO_ESCAPED} | {
    c: f"\\u{c:04x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x0A
}


def safe_json(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON text (UTF-8 kept readable) in which no character can act on a terminal: control
    characters, DEL, C1 controls and bidi controls inside strings are written as ``\\uXXXX`` escapes,
    so the JSON means exactly the same. Ends with a newline."""
    return safe_json_text(json.dumps(data, indent=indent, ensure_ascii=False)) + "\n"


def safe_json_text(text: str) -> str:
    """JSON text as :func:`json.dumps` writes it, with every C1 control, DEL and bidi control (all inside
    strings: outside them JSON has only ASCII punctuation, digits, spaces and newlines, and json.dumps
    escapes C0 controls in strings itself) written as a ``\\uXXXX`` escape: the same JSON, safe to print.
    """
    return text.translate(_JSON_ESCAPES)


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes: wide and fullwidth characters (CJK, most emoji) two,
    combining marks, zero-width characters and controls none, everything else (Latin, Cyrillic with its
    Kazakh letters) one. ``len`` counts a Cyrillic letter with a combining accent as two characters and
    a CJK character as one; the terminal does not."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal cells (:func:`cells`); as it is when wider."""
    return text + " " * max(0, width - cells(text))
