"""Languages: English, Russian (``ru``) and Kazakh (``kk``, Cyrillic), through gettext catalogs.

Choosing the language (DESIGN.md "Languages"): ``--lang en|ru|kk`` (any command; :func:`resolve`),
else ``PATHPROBE_LANG``, else the first set of ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``
(``ru_RU.UTF-8`` -> ``ru``), else English. An unknown ``--lang`` is bad input (exit 2); an unknown
language from the environment falls back to English.

The catalogs are the gettext sources ``locale/<lang>/LC_MESSAGES/pathprobe.po`` in the package. They
are compiled to the ``.mo`` format in memory the first time a language is used (the same bytes
``msgfmt`` writes) and read by :class:`gettext.GNUTranslations`, so plural forms follow each
catalog's ``Plural-Forms`` (Russian has three, Kazakh two) and no build step is needed.

Messages are whole sentences with named placeholders (``{host}``), never sentences put together
from translated fragments. The API:

- :func:`_` / :func:`ngettext`: translate into the current language (:func:`set_language`) and fill in
  the placeholders; :func:`N_` only marks a msgid for extraction.
- :func:`translate` / :func:`translate_plural`: the same for a given language (the local app's
  helper calls these).
- :class:`Msg`: a message kept language-neutral (msgid, plural, count and parameters, which may be
  nested messages or lists) — what a profile stores beside the advice text, so it can be told again in
  any language (:func:`render_stored`).
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import functools
import gettext
import io
import os
import re
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Union

from pathprobe.errors import BadInput

LANGUAGES = ("en", "ru", "kk")
"""The languages pathprobe speaks (``en`` is the msgids themselves)."""
LANGUAGE_NAMES = {"en": "English", "ru": "русский", "kk": "қазақша"}
DOMAIN = "pathprobe"
DEFAULT = "en"

_current = DEFAULT
_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("pathprobe_language", default=None)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ------------------------------------------------------------------------------- choosing the language


def _from_locale_name(value: str) -> str | None:
    """``ru_RU.UTF-8`` -> ``ru``, ``kk`` -> ``kk``, ``C`` / ``de_DE`` -> None."""
    base = value.split(".", 1)[0].split("@", 1)[0]
    code = base.replace("-", "_").split("_", 1)[0].lower()
    return code if code in LANGUAGES else None


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for: ``PATHPROBE_LANG``, else the first non-empty of
    ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` (as the C library reads them); English when none is set or
    the one set is not a language pathprobe speaks.
    """
    env = os.environ if environ is None else environ
    own = env.get("PATHPROBE_LANG", "").strip()
    if own:
        return _from_locale_name(own) or DEFAULT
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "").strip()
        if value:
            return _from_locale_name(value) or DEFAULT
    return DEFAULT


def check_language(value: str) -> str:
    """``value`` when it is one of :data:`LANGUAGES` (case-insensitive); otherwise :class:`BadInput`
    listing them."""
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise BadInput(
            _("--lang {value}: unknown language; choose one of: {choices}", value=repr(value),
              choices=", ".join(LANGUAGES))
        )
    return code


def resolve(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language for this run: ``--lang`` (checked: :class:`BadInput` when unknown), else the
    environment's (:func:`language_from_env`)."""
    if option is not None:
        return check_language(option)
    return language_from_env(environ)


def set_language(lang: str) -> None:
    """Make ``lang`` (one of :data:`LANGUAGES`) the language :func:`_` and :func:`ngettext` use."""
    global _current
    _current = check_language(lang)


def get_language() -> str:
    """The current language: the one :func:`using` set for this thread or task, else the process's
    (``en`` until :func:`set_language`)."""
    return _override.get() or _current


@contextlib.contextmanager
def using(lang: str) -> Iterator[str]:
    """Speak ``lang`` inside the ``with`` block, in this thread or asyncio task only (the local app
    answers each request in its own language while a check runs in another); the process's language
    (:func:`set_language`) is untouched."""
    token = _override.set(check_language(lang))
    try:
        yield lang
    finally:
        _override.reset(token)


# ------------------------------------------------------------------------------------------ catalogs


@dataclass
class PoEntry:
    """One entry of a ``.po`` file."""

    msgid: str
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    msgctxt: str | None = None
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def parse_po(text: str) -> list[PoEntry]:
    """The entries of a gettext ``.po`` file (the header is the entry whose msgid is empty); obsolete
    (``#~``) entries are marked. Raises :class:`ValueError` on a line it cannot read (as msgfmt.py
    reads them: a comment or keyword after a ``msgstr`` ends the entry)."""
    entries: list[PoEntry] = []
    cur: PoEntry | None = None
    section: tuple[str, int] | None = None
    flags: set[str] = set()

    def finish() -> None:
        nonlocal cur, section, flags
        if cur is not None:
            cur.flags = flags
            entries.append(cur)
        cur, section, flags = None, None, set()

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        elif line.startswith("#"):
            if section is not None and section[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if not line:
            continue
        if line.startswith('"'):
            word, value = "", ast.literal_eval(line)
        else:
            word, _sep, rest = line.partition(" ")
            value = ast.literal_eval(rest.strip()) if rest.strip() else ""
        if not isinstance(value, str):
            raise ValueError(f"line {n}: not a string")
        if word in ("msgctxt", "msgid") and section is not None and section[0] == "msgstr":
            finish()
        if word == "msgctxt":
            cur, section = PoEntry(msgid="", msgctxt=value), ("msgctxt", 0)
        elif word == "msgid":
            if cur is None:
                cur = PoEntry(msgid="")
            cur.msgid, section = value, ("msgid", 0)
        elif word == "msgid_plural" and cur is not None:
            cur.msgid_plural, section = value, ("msgid_plural", 0)
        elif word == "msgstr" and cur is not None:
            cur.msgstr[0], section = value, ("msgstr", 0)
        elif word.startswith("msgstr[") and word.endswith("]") and cur is not None:
            idx = int(word[7:-1])
            cur.msgstr[idx], section = value, ("msgstr", idx)
        elif word == "" and cur is not None and section is not None:
            kind, idx = section
            if kind == "msgid":
                cur.msgid += value
            elif kind == "msgid_plural":
                cur.msgid_plural = (cur.msgid_plural or "") + value
            elif kind == "msgctxt":
                cur.msgctxt = (cur.msgctxt or "") + value
            else:
                cur.msgstr[idx] += value
        else:
            raise ValueError(f"line {n}: cannot read {raw!r}")
        if obsolete and cur is not None:
            cur.obsolete = True
    finish()
    return entries


def compile_mo(entries: Sequence[PoEntry]) -> bytes:
    """The ``.mo`` bytes for these entries (as ``msgfmt`` writes them: fuzzy, obsolete and untranslated
    entries left out, the header kept)."""
    pairs: dict[bytes, bytes] = {}
    for e in entries:
        if e.obsolete or ("fuzzy" in e.flags and e.msgid):
            continue
        strs = [e.msgstr.get(i, "") for i in range(max(e.msgstr, default=0) + 1)]
        if e.msgid and not all(strs):
            continue
        key = e.msgid if e.msgid_plural is None else e.msgid + "\0" + e.msgid_plural
        if e.msgctxt is not None:
            key = e.msgctxt + "\x04" + key
        pairs[key.encode()] = "\0".join(strs).encode()
    keys = sorted(pairs)
    ids = b"".join(k + b"\0" for k in keys)
    strs_blob = b"".join(pairs[k] + b"\0" for k in keys)
    n = len(keys)
    key_start = 7 * 4 + 16 * n
    val_start = key_start + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    ko = vo = 0
    for k in keys:
        koffsets += [len(k), key_start + ko]
        voffsets += [len(pairs[k]), val_start + vo]
        ko += len(k) + 1
        vo += len(pairs[k]) + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, n, 7 * 4, 7 * 4 + n * 8, 0, 0)
    return header + struct.pack(f"{len(koffsets)}i", *koffsets) + struct.pack(
        f"{len(voffsets)}i", *voffsets) + ids + strs_blob


def catalog_text(lang: str) -> str:
    """The ``.po`` source of ``lang``'s catalog, from the package."""
    ref = resources.files("pathprobe") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    return ref.read_text("utf-8")


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """``lang``'s catalog (English: the msgids themselves), compiled once per process."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_mo(parse_po(catalog_text(lang)))))


@functools.cache
def known_msgids() -> frozenset[str]:
    """Every msgid (singular form) the catalogs know: what a stored message may name."""
    return frozenset(e.msgid for e in parse_po(catalog_text("ru")) if e.msgid and not e.obsolete)


# ------------------------------------------------------------------------------------ translating


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template`` with each ``{name}`` replaced by ``params[name]`` (only plain named placeholders:
    no attribute access or format specs, so a stored message cannot reach into objects). A missing
    parameter raises :class:`KeyError`."""
    return _PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), template)


def placeholders(text: str) -> set[str]:
    """The names of the ``{name}`` placeholders in ``text``."""
    return set(_PLACEHOLDER.findall(text))


def translate(msgid: str, lang: str | None = None, /, **params: object) -> str:
    """``msgid`` in ``lang`` (default: the current language) with its placeholders filled in."""
    return fill(translations(lang or get_language()).gettext(msgid), params)


def translate_plural(singular: str, plural: str, n: int, lang: str | None = None, /, **params: object) -> str:
    """The form of ``singular`` / ``plural`` for ``n`` in ``lang``; ``{n}`` is ``n`` unless given."""
    params.setdefault("n", n)
    return fill(translations(lang or get_language()).ngettext(singular, plural, n), params)


def _(msgid: str, /, **params: object) -> str:
    """``msgid`` in the current language with its placeholders filled in."""
    return translate(msgid, None, **params)


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The right plural form for ``n`` in the current language, placeholders filled in."""
    return translate_plural(singular, plural, n, None, **params)


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it (translated later, where it is shown)."""
    return msgid


# --------------------------------------------------------------------------- numbers and dates

_DECIMAL = {"en": ".", "ru": ",", "kk": ","}
_GROUP = {"en": ",", "ru": "\u00a0", "kk": "\u00a0"}
"""Thousands separators: English a comma; Russian and Kazakh a (no-break) space, as CLDR has them."""


def format_number(value: float, digits: int = 0, lang: str | None = None) -> str:
    """``value`` with ``digits`` decimals for ``lang`` (default: the current language):
    ``12,345.6`` in English, ``12 345,6`` in Russian and Kazakh. Numbers under 10,000 are not grouped
    in Russian and Kazakh (``1234,5``), as their style guides write them."""
    lang = lang or get_language()
    text = f"{abs(value):.{digits}f}"
    whole, _sep, frac = text.partition(".")
    if len(whole) > 4 or (lang == DEFAULT and len(whole) > 3):
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = _GROUP.get(lang, ",").join([whole, *groups])
    sign = "-" if value < 0 and any(c not in "0.," for c in text) else ""
    return sign + whole + (_DECIMAL.get(lang, ".") + frac if frac else "")


def format_datetime(when: str, lang: str | None = None) -> str:
    """An ISO 8601 UTC time (as profiles store it, ``2026-12-05T08:50:12Z``) for a reader of ``lang``:
    ``2026-12-05 08:50 UTC`` in English, ``05.12.2026 08:50 UTC`` in Russian and Kazakh. Text that is
    not such a time comes back unchanged (a profile from elsewhere may hold anything)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]00:?00)?", when.strip())
    if not m:
        return when
    y, mo, d, hh, mm = m.group(1, 2, 3, 4, 5)
    if (lang or get_language()) == DEFAULT:
        return f"{y}-{mo}-{d} {hh}:{mm} UTC"
    return f"{d}.{mo}.{y} {hh}:{mm} UTC"


def format_date(when: str, lang: str | None = None) -> str:
    """The date part of an ISO 8601 date or time for ``lang``: ``2026-12-05`` / ``05.12.2026``."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", when.strip())
    if not m:
        return when
    y, mo, d = m.group(1, 2, 3)
    return f"{y}-{mo}-{d}" if (lang or get_language()) == DEFAULT else f"{d}.{mo}.{y}"


# ------------------------------------------------------------------------------ language-neutral text

Param = Union[str, int, "Msg", "Listed"]


@dataclass(frozen=True)
class Listed:
    """A list shown in a sentence: ``a, b and c`` (``join="and"``) or ``a, b, c`` (``"comma"``), in
    the language's words."""

    items: tuple[Param, ...]
    join: str = "and"

    def render(self, lang: str) -> str:
        """The list in ``lang``."""
        items = [render_param(x, lang) for x in self.items]
        if self.join == "comma" or len(items) < 2:
            return ", ".join(items)
        return translate("{head} and {last}", lang, head=", ".join(items[:-1]), last=items[-1])


@dataclass(frozen=True)
class Msg:
    """A message kept language-neutral: its msgid (and plural and count), parameters (strings and
    numbers shown as they are, nested :class:`Msg` and :class:`Listed` told in the same language), and
    ``cap``: capitalise the first letter (a noun phrase that starts a sentence). A ``raw`` message is
    text shown as it is in every language (a sentence no catalog has yet)."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None
    cap: bool = False
    raw: bool = False

    def render(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        lang = lang or get_language()
        if self.raw:
            return self.msgid
        values = {k: render_param(v, lang) for k, v in self.params.items()}
        if self.plural is not None:
            text = translate_plural(self.msgid, self.plural, self.n or 0, lang, **values)
        else:
            text = translate(self.msgid, lang, **values)
        return text[:1].upper() + text[1:] if self.cap else text

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in a profile (``recommendation.advice_messages``)."""
        if self.raw:
            return {"text": self.msgid}
        out: dict[str, Any] = {"msgid": self.msgid}
        if self.plural is not None:
            out["plural"] = self.plural
            out["n"] = self.n
        if self.params:
            out["params"] = {k: _param_json(v) for k, v in self.params.items()}
        if self.cap:
            out["cap"] = True
        return out


def _param_json(v: Param) -> Any:
    if isinstance(v, Msg):
        return v.to_json()
    if isinstance(v, Listed):
        return {"list": [_param_json(x) for x in v.items], "join": v.join}
    return v


def render_param(v: Param, lang: str) -> str:
    """A parameter in ``lang``: a nested message or list rendered, a string or number as it is."""
    if isinstance(v, Msg | Listed):
        return v.render(lang)
    return str(v)


MAX_DEPTH = 6


def msg_from_json(data: Any, depth: int = 0) -> Msg:
    """A :class:`Msg` from its stored JSON form; :class:`ValueError` when it is not one, or names a
    msgid no catalog knows (a stored message is never used as a template unless it is a known msgid)."""
    if depth > MAX_DEPTH or not isinstance(data, dict):
        raise ValueError("not a message")
    if depth == 0 and isinstance(data.get("text"), str) and "msgid" not in data:
        return Msg(data["text"], raw=True)
    msgid = data.get("msgid")
    if not isinstance(msgid, str) or msgid not in known_msgids():
        raise ValueError("unknown msgid")
    plural, n = data.get("plural"), data.get("n")
    if plural is not None and (not isinstance(plural, str) or isinstance(n, bool) or not isinstance(n, int)):
        raise ValueError("bad plural")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ValueError("bad params")
    return Msg(msgid, {str(k): _param_from_json(v, depth + 1) for k, v in params.items()}, plural,
               n if plural is not None else None, data.get("cap") is True)


def _param_from_json(v: Any, depth: int) -> Param:
    if isinstance(v, bool):
        raise ValueError("bad parameter")
    if isinstance(v, str | int):
        return v
    if isinstance(v, dict) and "list" in v:
        items = v["list"]
        if depth > MAX_DEPTH or not isinstance(items, list) or v.get("join", "and") not in ("and", "comma"):
            raise ValueError("bad list")
        return Listed(tuple(_param_from_json(x, depth + 1) for x in items), v.get("join", "and"))
    return msg_from_json(v, depth)


def render_stored(messages: Sequence[Any], lang: str | None = None) -> str | None:
    """Stored messages (a profile's ``advice_messages``) told in ``lang``, joined by spaces; None when
    there are none or one cannot be read (then the caller shows the stored text)."""
    if not messages:
        return None
    try:
        return " ".join(msg_from_json(m).render(lang) for m in messages)
    except (ValueError, KeyError, TypeError):
        return None
