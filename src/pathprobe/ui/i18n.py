"""The page's languages: the language switch, and which language a request is answered in.

The words themselves come from pathprobe's gettext catalogs (:mod:`pathprobe.i18n`): the page marks
every sentence with :func:`pathprobe.i18n._` / :func:`~pathprobe.i18n.N_`, and renders each request
inside :func:`pathprobe.i18n.using` (:func:`request_language`), so two browsers may read the same page
in two languages while a check runs, and the embedded report follows.

A request's language: ``?lang=`` in the URL (the page then remembers it in a cookie), else that
cookie (the switch's buttons set it), else the language ``pathprobe ui`` was started in (``--lang``,
``PATHPROBE_LANG``, ``LC_*``).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
"""The languages the switch offers, each named in itself (a name, not a translation)."""
DEFAULT = "en"


def pick(value: str | None) -> str | None:
    """``value`` when it is a language of :data:`LANGUAGES` (``ru``, ``ru_RU.UTF-8`` and ``ru-RU`` all
    read as ``ru``), else None."""
    if not value:
        return None
    code = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else None


def cookie_name(port: int) -> str:
    """The cookie that remembers the page's language (one per port, as the token's)."""
    return f"pathprobe_ui_lang_{port}"


def request_language(query: Mapping[str, str], cookies: Mapping[str, str], port: int, default: str) -> str:
    """The language to answer a request in: ``?lang=``, else the cookie, else ``default``."""
    return pick(query.get("lang")) or pick(cookies.get(cookie_name(port))) or pick(default) or DEFAULT
