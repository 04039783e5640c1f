"""Strict readers for one plan table: every key typed, every unknown key an error naming file and key.

Messages are in the reader's language (:mod:`pathprobe.i18n`): an error is the place
(:meth:`Entry.where`: file, table, kind and key, itself translated) then, after a colon, the problem,
which the caller gives as one whole translated clause (``entry.error("url", _("must start with
https://"))``); no sentence is put together from translated fragments."""

from __future__ import annotations

import re
from typing import Any

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.model import HostPort

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
Str = str  # Entry has a method named ``str``; annotations inside the class use this alias

_HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$")


def parse_hostport(text: str, default_port: int = 443) -> HostPort:
    """``host``, ``host:port``, ``1.2.3.4:port`` or ``[v6]:port``; raises ValueError with a reason."""
    import ipaddress

    s = text.strip()
    if not s or s != text or " " in s:
        raise ValueError(_("'{text}' is not a host[:port]", text=text))
    port = default_port
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            raise ValueError(_("'{text}': unclosed '['", text=text))
        host, rest = s[1:end], s[end + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ValueError(_("'{text}': '{host}' is not an IPv6 address", text=text, host=host)) from exc
        if rest:
            if not rest.startswith(":"):
                raise ValueError(_("'{text}' is not a host[:port]", text=text))
            port = _port(rest[1:], text)
        return HostPort(host, port)
    if s.count(":") > 1:
        try:
            ipaddress.IPv6Address(s)
        except ValueError as exc:
            raise ValueError(_("'{text}' is not a host[:port] (write IPv6 as [addr]:port)", text=text)) from exc
        return HostPort(s, port)
    if ":" in s:
        s, p = s.split(":", 1)
        port = _port(p, text)
    try:
        ipaddress.IPv4Address(s)
        return HostPort(s, port)
    except ValueError:
        pass
    if not _HOST_RE.match(s) or s.replace(".", "").isdigit():
        raise ValueError(_("'{text}': '{host}' is not a valid host name", text=text, host=s))
    return HostPort(s.lower().rstrip("."), port)


def _port(p: str, text: str) -> int:
    if not p.isdigit() or not 1 <= int(p) <= 65535:
        raise ValueError(_("'{text}': port must be a number from 1 to 65535", text=text))
    return int(p)


class Entry:
    """One ``[[probe]]`` table being read; call :meth:`finish` to reject leftovers."""

    def __init__(self, data: dict[Str, Any], file: Str, index: int) -> None:
        self.data = dict(data)
        self.file = file
        self.index = index
        self.kind = str(data.get("kind", "?"))

    def where(self, key: Str) -> Str:
        """``<file>: [[probe]] #<index> (kind "<kind>"), key '<key>'``: the start of every error message
        (in the reader's language)."""
        return _("{file}: [[probe]] #{index} (kind \"{kind}\"), key '{key}'", file=self.file, index=self.index,
                 kind=self.kind, key=key)

    def error(self, key: Str, msg: Str) -> BadInput:
        """A :class:`BadInput` for ``key`` naming the file, the table and the key; the caller raises it.
        ``msg`` is the problem, one whole clause already in the reader's language (``_("is required")``)."""
        return BadInput(f"{self.where(key)}: {msg}")

    def has(self, key: Str) -> bool:
        """True when ``key`` is present and not yet read."""
        return key in self.data

    def raw(self, key: Str) -> Any:
        """Take ``key``'s value as it is, unchecked (None when absent)."""
        return self.data.pop(key, None)

    def str(self, key: Str, default: Str | None = None, *, required: bool = False) -> Str | None:
        """Take ``key``: a non-empty string, else :class:`BadInput`; ``default`` when absent (an error
        when ``required``). Each reader removes the key it reads, so :meth:`finish` sees the rest.
        """
        if key not in self.data:
            if required:
                raise self.error(key, _("is required"))
            return default
        v = self.data.pop(key)
        if not isinstance(v, Str) or not v.strip():
            raise self.error(key, _("must be a non-empty string"))
        return v

    def req_str(self, key: Str) -> Str:
        """Take ``key``: a non-empty string, required."""
        v = self.str(key, required=True)
        assert v is not None
        return v

    def choice(self, key: Str, choices: tuple[Str, ...], default: Str | None = None) -> Str:
        """Take ``key``: one of ``choices``; required when ``default`` is None."""
        v = self.str(key, default, required=default is None)
        assert v is not None
        if v not in choices:
            raise self.error(key, _("'{value}' is not supported; supported: {choices}", value=v,
                                   choices=", ".join(choices)))
        return v

    def str_list(self, key: Str, default: list[Str] | None = None) -> list[Str] | None:
        """Take ``key``: a list of strings (possibly empty); ``default`` when absent."""
        if key not in self.data:
            return default
        v = self.data.pop(key)
        if not isinstance(v, list) or not all(isinstance(x, Str) for x in v):
            raise self.error(key, _("must be a list of strings"))
        return list(v)

    def sites(self, key: Str) -> list[HostPort] | None:
        """Take ``key``: a list of ``host[:port]`` (port 443 by default); None when absent."""
        items = self.str_list(key)
        if items is None:
            return None
        out = []
        for s in items:
            try:
                out.append(parse_hostport(s))
            except ValueError as exc:
                raise self.error(key, str(exc)) from None
        return out

    def bool(self, key: Str, default: bool) -> bool:
        """Take ``key``: true or false; ``default`` when absent."""
        if key not in self.data:
            return default
        v = self.data.pop(key)
        if not isinstance(v, bool):
            raise self.error(key, _("must be true or false"))
        return v

    def number(self, key: Str, default: float, *, low: float = 0, high: float = 1e9) -> float:
        """Take ``key``: a number (int or float, not a boolean) from ``low`` to ``high``, as a float;
        ``default`` when absent.
        """
        if key not in self.data:
            return default
        v = self.data.pop(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
            raise self.error(key, _("must be a number from {low} to {high}", low=f"{low:g}", high=f"{high:g}"))
        return float(v)

    def int(self, key: Str, default: int, *, low: int = 0, high: int = 2**31) -> int:
        """Take ``key``: a whole number (not a boolean) from ``low`` to ``high``; ``default`` when absent."""
        if key not in self.data:
            return default
        v = self.data.pop(key)
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise self.error(key, _("must be a whole number from {low} to {high}", low=low, high=high))
        return v

    def table(self, key: Str) -> dict[Str, Any] | None:
        """Take ``key``: a table, as a dict (not checked further); None when absent."""
        if key not in self.data:
            return None
        v = self.data.pop(key)
        if not isinstance(v, dict):
            raise self.error(key, _("must be a table"))
        return v

    def path_name(self, default: Str | None = None) -> Str:
        """The ``name`` that makes the path id ``<kind>:<name>``: letters, digits, '.', '_', '-' (<= 64)."""
        name = self.str("name", default, required=default is None)
        assert name is not None
        if not _NAME_RE.fullmatch(name):
            raise self.error("name", _("'{name}' must be letters, digits, '.', '_' or '-' (at most 64)", name=name[:80]))
        return name

    def finish(self) -> None:
        """Raise :class:`BadInput` naming the first key (alphabetically) that no reader took; ``kind`` is
        allowed.
        """
        self.data.pop("kind", None)
        if self.data:
            key = sorted(self.data)[0]
            raise BadInput(_("{where}: unknown key", where=self.where(key)))
