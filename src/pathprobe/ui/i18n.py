"""The page's languages: every string the page shows goes through :func:`t`.

The catalogs do not exist yet (the translation issue comes after the page): :data:`CATALOGS` is empty,
so every language shows the English source text while the page's ``<html lang>`` and the language
switch already follow the chosen language. A catalog maps an English message (the msgid, exactly as
written in the code) to its translation; ``{name}`` fields are filled from ``params``. Nothing here
invents a translation: add ``ru`` and ``kk`` catalogs (reviewed by native speakers) to
:data:`CATALOGS` and the page picks them up.
"""

from __future__ import annotations

from typing import Any

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
"""The languages the switch offers, each named in itself (a name, not a translation)."""
DEFAULT = "en"

CATALOGS: dict[str, dict[str, str]] = {}
"""lang -> {English msgid: translation}; empty until the catalogs land (English is the source)."""


def t(msgid: str, lang: str, /, **params: Any) -> str:
    """``msgid`` in ``lang`` (the English text when the catalog lacks it), with ``{name}`` fields filled
    from ``params``. The result is plain text: the page escapes it like anything else it shows.
    """
    text = CATALOGS.get(lang, {}).get(msgid, msgid)
    return text.format(**params) if params else text


def pick(value: str | None) -> str | None:
    """``value`` when it is a language of :data:`LANGUAGES` (``ru``, ``ru_RU.UTF-8`` and ``ru-RU`` all
    read as ``ru``), else None."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else None
