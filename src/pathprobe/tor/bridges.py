"""Bridge lines: parse and validate them, and keep them secret.

A bridge line is what Tor's ``Bridge`` option takes (``torrc`` or Tor Browser's "provide a bridge")::

    [TRANSPORT] IP:PORT [FINGERPRINT] [KEY=VALUE ...]

``TRANSPORT`` is ``obfs4``, ``snowflake``, ``meek_lite`` (the ``meek`` transport), ``webtunnel``, or
absent (a plain, "vanilla" bridge). A leading ``Bridge`` word, as copied from a torrc, is accepted.
Bridge lines are secrets: nothing here puts one, or a bridge's address, into a message. A bridge is
named by :attr:`Bridge.id`, a short hash of its line, wherever it must be named.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.model import HostPort

TRANSPORTS: tuple[str, ...] = ("vanilla", "obfs4", "snowflake", "meek", "webtunnel")
"""Transport names a plan's ``transport`` key takes."""

LINE_TRANSPORTS: dict[str, str] = {
    "obfs4": "obfs4",
    "snowflake": "snowflake",
    "meek_lite": "meek",
    "meek": "meek",
    "webtunnel": "webtunnel",
}
"""The transport word of a bridge line -> the plan's transport name (``meek_lite`` is ``meek``)."""

TOR_TRANSPORT_NAME: dict[str, str] = {
    "obfs4": "obfs4",
    "snowflake": "snowflake",
    "meek": "meek_lite",
    "webtunnel": "webtunnel",
}
"""The plan's transport -> the name tor and the transport binaries know it by."""

_UNSUPPORTED = ("obfs2", "obfs3", "scramblesuit", "conjure", "dnstt", "fte")
_FP_RE = re.compile(r"^\$?[0-9A-Fa-f]{40}$")
_KV_RE = re.compile(r"^([A-Za-z0-9_-]+)=(\S*)$")
MAX_LINE = 4096


@dataclass(frozen=True)
class Bridge:
    """One validated bridge line."""

    transport: str
    """The plan's transport name (``vanilla`` for a plain bridge, ``meek`` for ``meek_lite``)."""
    address: HostPort
    """Where tor connects (a placeholder for snowflake and meek, whose first hop is a front)."""
    fingerprint: str | None
    """The relay identity fingerprint, upper-case hex, or ``None`` when the line has none."""
    args: dict[str, str] = field(default_factory=dict)
    line: str = field(default="", repr=False)
    """The normalised line (without ``Bridge``), for tor's ``Bridge`` option only. Secret."""

    def __repr__(self) -> str:  # never show the address or the arguments
        return f"Bridge({self.transport}, {self.id})"

    @property
    def id(self) -> str:
        """A short, stable, non-reversible name for this bridge (safe to show and to record)."""
        return "bridge-" + hashlib.sha256(self.line.encode()).hexdigest()[:10]

    @property
    def label(self) -> str:
        """``obfs4 bridge-1a2b3c4d5e``: how observations and messages name this bridge."""
        return f"{self.transport} {self.id}"

    @property
    def tor_transport(self) -> str | None:
        """The transport name tor knows (``meek_lite``), ``None`` for a vanilla bridge."""
        return TOR_TRANSPORT_NAME.get(self.transport)

    def fronts(self) -> list[HostPort]:
        """The real first hops of fronted transports (snowflake's broker fronts, meek's front,
        webtunnel's server), as ``host:443``; empty for obfs4 and vanilla bridges."""
        names: list[str] = []
        if self.transport == "snowflake":
            for key in ("fronts", "front"):
                names += [n for n in self.args.get(key, "").split(",") if n]
            if not names and "url" in self.args:
                names.append(urlsplit(self.args["url"]).hostname or "")
        elif self.transport == "meek":
            names.append(self.args.get("front") or urlsplit(self.args.get("url", "")).hostname or "")
        elif self.transport == "webtunnel":
            u = urlsplit(self.args.get("url", ""))
            return [HostPort(u.hostname or "", u.port or 443)] if u.hostname else []
        out: list[HostPort] = []
        for n in names:
            hp = HostPort(n.lower(), 443)
            if n and hp not in out:
                out.append(hp)
        return out

    def pt_args(self) -> str:
        """The bridge's arguments in pluggable-transport SOCKS form (``k=v;k=v``, escaped)."""

        def esc(s: str) -> str:
            return s.replace("\\", "\\\\").replace(";", "\\;").replace("=", "\\=")

        return ";".join(f"{esc(k)}={esc(v)}" for k, v in self.args.items())


def _bad(where: str, msg: str) -> BadInput:
    """``msg``: the problem, one whole clause already in the reader's language."""
    return BadInput(_("{where}: bad bridge line: {problem}", where=where, problem=msg))


def _address(text: str, where: str) -> HostPort:
    m = re.match(r"^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$", text) or re.match(r"^([0-9.]+):(\d{1,5})$", text)
    if not m:
        raise _bad(where, _("the address must be IPv4:PORT or [IPv6]:PORT (tor takes no host names here)"))
    host, port = m.group(1), int(m.group(2))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise _bad(where, _("the address is not a valid IP address")) from None
    if not 1 <= port <= 65535:
        raise _bad(where, _("the port must be from 1 to 65535"))
    return HostPort(host, port)


def _b64_len(value: str) -> int | None:
    try:
        return len(base64.b64decode(value + "=" * (-len(value) % 4), validate=True))
    except (binascii.Error, ValueError):
        return None


def _https_url(value: str, key: str, where: str) -> None:
    u = urlsplit(value)
    if u.scheme not in ("https", "http") or not u.hostname:
        raise _bad(where, _("'{key}=' must be an http(s) URL", key=key))


def _validate_args(transport: str, args: dict[str, str], where: str) -> None:
    if transport == "obfs4":
        if "cert" in args:
            n = _b64_len(args["cert"])
            if n != 52:
                raise _bad(
                    where,
                    _("'cert=' must be base64 of 52 bytes (node id and public key), "
                      "as the bridge's obfs4_bridgeline.txt gives it"),
                )
        elif "node-id" in args and "public-key" in args:
            if not re.fullmatch(r"[0-9A-Fa-f]{40}", args["node-id"]) or not re.fullmatch(
                r"[0-9A-Fa-f]{64}", args["public-key"]
            ):
                raise _bad(where, _("'node-id=' must be 40 and 'public-key=' 64 hex digits"))
        else:
            raise _bad(where, _("an obfs4 bridge needs 'cert=' (or 'node-id=' and 'public-key=')"))
        if args.get("iat-mode", "0") not in ("0", "1", "2"):
            raise _bad(where, _("'iat-mode=' must be 0, 1 or 2"))
    elif transport == "meek":
        if "url" not in args:
            raise _bad(where, _("a meek_lite bridge needs 'url=' (and usually 'front=')"))
        _https_url(args["url"], "url", where)
    elif transport == "snowflake":
        if "url" not in args:
            raise _bad(where, _("a snowflake bridge needs 'url=' (the broker) and usually 'fronts='"))
        _https_url(args["url"], "url", where)
        if "fingerprint" in args and not _FP_RE.match(args["fingerprint"]):
            raise _bad(where, _("'fingerprint=' must be 40 hex digits"))
    elif transport == "webtunnel":
        if "url" not in args:
            raise _bad(where, _("a webtunnel bridge needs 'url=' (the server's URL)"))
        _https_url(args["url"], "url", where)
        if "ver" in args and not re.fullmatch(r"\d+(\.\d+){0,3}", args["ver"]):
            raise _bad(where, _("'ver=' must be a version such as 0.0.1"))


def parse_bridge(line: str, where: str) -> Bridge:
    """Validate one bridge line; raise :class:`BadInput` naming ``where`` (never echoing the line)."""
    if not isinstance(line, str):
        raise _bad(where, _("must be a string"))
    if len(line) > MAX_LINE:
        raise _bad(where, _("longer than {most} characters", most=MAX_LINE))
    if "\n" in line or "\r" in line or "\x00" in line:
        raise _bad(where, _("give one bridge per line (it contains a line break or a NUL)"))
    words = line.split()
    if words and words[0].lower() == "bridge":
        words = words[1:]
    if not words:
        raise _bad(where, _("it is empty"))
    first = words[0]
    transport = "vanilla"
    if not re.match(r"^[\[0-9]", first):
        name = first.lower()
        if name in _UNSUPPORTED:
            raise _bad(
                where,
                _("transport '{name}' is not supported; supported: "
                  "obfs4, snowflake, meek_lite, webtunnel, or none (a plain bridge)", name=name),
            )
        if name not in LINE_TRANSPORTS:
            raise _bad(
                where,
                _("'{word}' is neither a transport nor an IP:PORT address; supported "
                  "transports: obfs4, snowflake, meek_lite, webtunnel", word=first[:20]),
            )
        transport = LINE_TRANSPORTS[name]
        words = words[1:]
        if not words:
            raise _bad(where, _("the address (IP:PORT) is missing after the transport"))
    address = _address(words[0], where)
    rest = words[1:]
    fingerprint = None
    if rest and "=" not in rest[0]:
        if not _FP_RE.match(rest[0]):
            raise _bad(where, _("the fingerprint must be 40 hex digits"))
        fingerprint = rest[0].lstrip("$").upper()
        rest = rest[1:]
    args: dict[str, str] = {}
    for w in rest:
        m = _KV_RE.match(w)
        if not m or not m.group(2):
            raise _bad(where, _("after the address and fingerprint only KEY=VALUE arguments may follow"))
        if m.group(1) in args:
            raise _bad(where, _("argument '{key}=' is given twice", key=m.group(1)))
        args[m.group(1)] = m.group(2)
    if transport == "vanilla" and args:
        raise _bad(where, _("a plain bridge (no transport) takes no KEY=VALUE arguments"))
    _validate_args(transport, args, where)
    tor_name = TOR_TRANSPORT_NAME.get(transport)
    norm = " ".join(
        ([tor_name] if tor_name else [])
        + [words[0]]
        + ([fingerprint] if fingerprint else [])
        + [f"{k}={v}" for k, v in args.items()]
    )
    return Bridge(transport=transport, address=address, fingerprint=fingerprint, args=args, line=norm)
