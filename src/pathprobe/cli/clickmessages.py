"""click's and typer's own words (usage errors, help headings, ``--help``'s own help) and our commands'
help texts, in the reader's language.

Why a module of its own: click and typer print words pathprobe never wrote — "Usage:", "Options",
"No such option: ...", "Missing argument ...", "Try '... --help' for help." — and a Russian or Kazakh
reader who mistypes an option must understand the answer too. How they reach our catalogs depends on
the installed versions, so :func:`install` does what each needs, once the run's language is known
(``cli/main.py``, before the command line is parsed):

- click (and typer's ``core`` and ``rich_utils``) look their words up through a module-level ``_`` /
  ``ngettext`` bound to :mod:`gettext` at import; those names are rebound to functions that look the
  msgid up in our catalogs and fall back to the English msgid, leaving click's own ``{}`` / ``%``
  placeholders for click to fill. typer's ``rich_utils`` computes its panel titles at import; they
  are set again.
- Newer typer versions carry their own copy of click with the words written into the code; there
  :func:`translate_message` reads an English message back against the templates below (a match gives
  the translated template, filled with the same values), :func:`show_error` prints a usage error
  the way click does but in the reader's language, and the usage line's "Usage: " comes from a
  formatter whose default prefix is translated.

Only the words are translated: option names, commands, values the user typed and paths stay as they
are. The msgids below are marked with :func:`~pathprobe.i18n.N_` so ``scripts/i18n.py extract`` finds
them; they are click's English, placeholders as click fills them (named ``{name}`` where we fill them
ourselves). English output is untouched: nothing here runs when the language is English.

:func:`translate_commands` gives every command's help, short help and epilog and every parameter's help
in the reader's language: ``scripts/i18n.py`` extracts those strings from the ``help=`` arguments and the
commands' docstrings (``extract_cli_help``), so no command module has to mark them.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any

from pathprobe import i18n
from pathprobe.i18n import N_

# click's and typer's words, as their gettext calls look them up (kept for the versions that do).
GETTEXT_WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Arguments"),
    N_("Error"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    N_("No such option: {name}"),
    N_("Did you mean {possibility}?"),
    N_("(Possible options: {possibilities})"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Aborted!"),
    N_("Aborted."),
    N_("required"),
    N_("[required]"),
    N_("default: {default}"),
    N_("[default: {}]"),
    N_("env var: {var}"),
    N_("[env var: {}]"),
    N_("(deprecated) "),
    N_("(dynamic)"),
)

# Whole messages as newer typer's own click copy writes them (f-strings, no gettext): read back by
# :func:`translate_message`. Order matters: the first template that matches the whole message wins.
TEMPLATES = (
    N_("No such option: {name} (Possible options: {possibilities})"),
    N_("No such option: {name} Did you mean {possibility}?"),
    N_("No such option: {name}"),
    N_("No such command '{name}'."),
    N_("Missing command."),
    N_("Missing argument {name}."),
    N_("Missing option {name}."),
    N_("Missing parameter {name}."),
    N_("Missing argument {name}. {message}"),
    N_("Missing option {name}. {message}"),
    N_("Invalid value for {name}: {message}"),
    N_("Invalid value: {message}"),
    N_("Got unexpected extra argument(s) ({args})"),
    N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"),
    N_("Option '{name}' requires an argument."),
    N_("Option '{name}' does not take a value."),
    N_("Value error, {message}"),
    N_("{value} is not one of {choices}."),
    N_("'{value}' is not one of {choices}."),
    N_("{value} is not a valid integer."),
    N_("{value} is not a valid float."),
    N_("{value} is not a valid boolean."),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid number"),
    N_("Input should be a valid boolean, unable to interpret input"),
)
NESTED = ("message",)
"""Placeholders whose value is itself a click message (translated in turn)."""

_RICH_TITLES = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "REQUIRED_LONG_STRING": "[required]",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "DEPRECATED_STRING": "(deprecated) ",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}
_GETTEXT_MODULES = (
    "click.core", "click.exceptions", "click.parser", "click.types", "click.formatting",
    "click.decorators", "click.termui", "click.utils", "typer.core", "typer.rich_utils",
)


def _gettext(text: str) -> str:
    """``text`` from the current language's catalog, else ``text`` itself (placeholders left unfilled)."""
    return i18n.translations(i18n.get_language()).gettext(text)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.get_language()).ngettext(singular, plural, n)


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for template in TEMPLATES:
        rx = re.escape(template)
        for name in i18n.placeholders(template):
            rx = rx.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+?)", 1)
        out.append((re.compile(rx, re.DOTALL), template))
    return tuple(out)


def translate_message(text: str, depth: int = 0) -> str:
    """An English click/typer message in the current language: the first :data:`TEMPLATES` entry that
    matches the whole of ``text`` is translated and filled with the values it matched (a nested message
    translated in turn); anything else (a pydantic detail no template knows, a message already
    translated) comes back as it is."""
    if depth > 3:
        return text
    for rx, template in _patterns():
        m = rx.fullmatch(text)
        if m:
            values = {k: translate_message(v, depth + 1) if k in NESTED else v for k, v in m.groupdict().items()}
            return i18n.translate(template, None, **values)
    return text


def usage_prefix() -> str:
    """The usage line's prefix ("Usage: ") in the current language."""
    return _gettext("Usage:") + " "


def show_error(exc: Any, usage_error: bool) -> None:
    """Print a click exception as click does (the usage line and the help hint for a usage error, then
    ``Error: MESSAGE``), in the current language. An exception with a ``show`` of its own (typer's "no
    arguments: here is the help") shows itself."""
    from pathprobe.report.safe import term_safe

    owner = next((c for c in type(exc).__mro__ if "show" in c.__dict__), None)
    if owner is None or owner.__name__ not in ("UsageError", "ClickException"):
        exc.show()
        return
    ctx = getattr(exc, "ctx", None)
    if usage_error and ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = i18n._("Try '{command} {option}' for help.", command=ctx.command_path,
                          option=ctx.help_option_names[0]) + "\n"
        sys.stderr.write(f"{ctx.get_usage()}\n{hint}\n")
    message = translate_message(exc.format_message())
    sys.stderr.write(i18n._("Error: {message}", message=term_safe(message)) + "\n")


_installed = False


def install() -> None:
    """Route click's and typer's own words to our catalogs, in the current language. Called once the
    run's language is known, before the command line is parsed. Nothing for English, unless an earlier
    run in this process installed another language (the local app, tests): then the words computed at
    import (typer's panel titles) are set back to English."""
    global _installed
    if i18n.get_language() == i18n.DEFAULT and not _installed:
        return
    _installed = True
    for name in _GETTEXT_MODULES:
        mod = sys.modules.get(name)
        if mod is None:
            try:
                mod = __import__(name, fromlist=["_"])
            except ImportError:
                continue
        if callable(getattr(mod, "_", None)):
            mod._ = _gettext  # type: ignore[attr-defined]
        if callable(getattr(mod, "ngettext", None)):
            mod.ngettext = _ngettext  # type: ignore[attr-defined]
        if name == "typer.rich_utils":
            for attr, msgid in _RICH_TITLES.items():
                if isinstance(getattr(mod, attr, None), str):
                    setattr(mod, attr, _gettext(msgid))


def translate_commands(root: Any) -> None:
    """Every command's help, short help and epilog, and every parameter's help (``--help``'s own
    included), in the current language; the usage line's prefix too. ``root`` is the click command
    typer built."""
    if i18n.get_language() == i18n.DEFAULT:
        return
    seen: set[int] = set()
    stack = [root]
    while stack:
        cmd = stack.pop()
        if id(cmd) in seen:
            continue
        seen.add(id(cmd))
        for attr in ("help", "short_help", "epilog"):
            text = getattr(cmd, attr, None)
            if isinstance(text, str) and text:
                setattr(cmd, attr, _gettext(text))
        cmd.context_class = _context_class(type(cmd).context_class)
        try:
            help_option = cmd.get_help_option(cmd.context_class(cmd))
        except Exception:  # a click without a help option of this shape: its help stays English
            help_option = None
        for param in [*getattr(cmd, "params", []), *([help_option] if help_option is not None else [])]:
            text = getattr(param, "help", None)
            if isinstance(text, str) and text:
                param.help = _gettext(text)
        stack.extend(getattr(cmd, "commands", {}).values())


@functools.cache
def _context_class(base: type[Any]) -> type[Any]:
    """``base`` (click's Context) whose formatter writes the usage line's prefix in the reader's language."""
    fmt_base: type[Any] = base.formatter_class
    write_usage: Callable[..., None] = fmt_base.write_usage

    class Formatter(fmt_base):  # type: ignore[misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            write_usage(self, prog, args, usage_prefix() if prefix is None else prefix)

    class Context(base):  # type: ignore[misc]
        formatter_class = Formatter

    return Context
