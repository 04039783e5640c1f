"""Text from the network or a file, made safe to show in a terminal (and in Markdown).

Certificate subjects, portal pages, labels, notes and hosts come from people and networks that may be
hostile: an escape sequence in a certificate's name could rewrite the screen (hide a warning, fake a
verdict), and a bidirectional override could reorder what a person reads. Every renderer passes such
text through :func:`term_safe` at the edge, just before it is shown.
"""

from __future__ import annotations

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)."""


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if ch in BIDI_CONTROLS:
        return f"\\u{code:04x}"
    return ch


def term_safe(text: object) -> str:
    """``text`` with every C0/C1 control character (ESC, BEL, CR, newline, ...), DEL and bidirectional
    control shown as a visible escape (``\\x1b``, ``\\u202e``) instead of acting on the terminal."""
    s = str(text)
    if s.isprintable() and not BIDI_CONTROLS.intersection(s):
        return s
    return "".join(_visible(ch) for ch in s)
