"""Entry point: builds the typer app and is the single exit point for user-facing errors."""

from __future__ import annotations

import gc
import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

from pathprobe.cli.startup import end_startup
from pathprobe.errors import BadInput, Interrupted, PathprobeError
from pathprobe.i18n import N_
from pathprobe.version import __version__

if TYPE_CHECKING:
    import typer

# Command groups: (name, module). A module exposes ``app`` (a typer.Typer). Missing modules are skipped.
GROUPS = (
    ("profile", "pathprobe.cli.profile", N_("Show, compare and render saved profiles.")),
    ("trust", "pathprobe.cli.trust", N_("Audit this device's trust store.")),
    ("lab", "pathprobe.cli.lab", N_("Offline censored networks for tests and workshops (Linux, root).")),
    ("collector", "pathprobe.cli.collector", N_("Run an NGO collector of anonymised summaries.")),
)
"""The groups' help is English here and told in the reader's language with every other help text
(:func:`pathprobe.cli.clickmessages.translate_commands`)."""
# Single commands: (module, function names registered on the top-level app).
COMMANDS = (
    ("pathprobe.cli.check", ("check",)),
    ("pathprobe.cli.summary", ("summary", "submit")),
    ("pathprobe.ui.cli", ("ui",)),
)
PLUGIN_OPTIONS = {"check": "with_probe_options", "ui": "with_probe_options"}
"""Commands that plug-ins add options to: the function (in the command's module) that adds them. It is
called only for the command about to run, and for ``check`` only when its arguments ask for help or
name an option it lacks (``needs_probe_options``): loading every probe kind to learn their options is
a cost neither the other commands nor a plain quick check need pay at start-up."""


def build_app(command: str | None = None) -> typer.Typer:
    """The typer app; ``command``, the command about to run, also gets its plug-ins' options."""
    global typer  # imported here, not at module level: `pathprobe --version` needs none of it
    import typer

    app = typer.Typer(
        name="pathprobe",
        help="Which way of reaching the web keeps your HTTPS intact on this network?",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback(invoke_without_command=True)
    def _root(
        ctx: typer.Context,
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
        lang: str = typer.Option(
            None, "--lang", metavar="en|ru|kk",
            help="The language to speak: en, ru or kk (any command takes it; default: PATHPROBE_LANG, "
            "then LC_ALL/LC_MESSAGES/LANG, then English).",
        ),
    ) -> None:
        if version:
            typer.echo(__version__)
            raise typer.Exit(0)
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())
            raise typer.Exit(0)

    for module, names in COMMANDS:
        if importlib.util.find_spec(module) is None:
            continue
        mod = importlib.import_module(module)
        for name in names:
            fn = getattr(mod, name, None)
            if fn is None:
                continue
            if name == command and name in PLUGIN_OPTIONS:
                fn = getattr(mod, PLUGIN_OPTIONS[name])(fn)
            app.command(name=name)(fn)  # help: the whole docstring (exit codes included)
    for name, module, helptext in GROUPS:
        if importlib.util.find_spec(module) is None:
            continue
        app.add_typer(importlib.import_module(module).app, name=name, help=helptext)
    return app


def main(argv: list[str] | None = None) -> None:
    """The ``pathprobe`` command: run ``argv`` (default: the process's arguments) and exit with its
    code; every user-facing error leaves through one place with its exit code (2 for usage errors).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _choose_language(args)
    except BadInput as exc:
        print(f"pathprobe: {_shown(exc)}", file=sys.stderr)
        sys.exit(exc.exit_code)
    if argv is not None:
        argv = args
    else:
        sys.argv[1:] = args
    if args == ["--version"]:  # nothing else to parse: no need to build the app
        print(__version__)
        sys.exit(0)
    if argv is None and (not args or args[0] != "check"):
        end_startup()  # `check` does it itself once its imports are done
    if argv is None:
        _interrupt_on_signals()
    command = args[0] if args else None
    if command == "check":
        from pathprobe.cli.check import needs_probe_options

        if not needs_probe_options(args[1:]):
            command = None  # no probe kind's option given: parse without loading every kind
    app = build_app(command)
    try:
        rv = _run(app, argv)
    finally:
        if argv is None:
            gc.freeze()  # the process ends now: spare the interpreter's exit a collection of everything
    sys.exit(rv if isinstance(rv, int) else 0)


def _choose_language(args: list[str]) -> list[str]:
    """Set the run's language from ``--lang X`` / ``--lang=X`` wherever it stands among the options (before
    a ``--``), else from the environment (:func:`pathprobe.i18n.resolve`), and return the arguments
    without it: every command takes ``--lang``. An unknown language is :class:`BadInput` (exit 2)."""
    from pathprobe import i18n

    chosen: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest.extend(args[i:])
            break
        if a == "--lang":
            if i + 1 >= len(args):
                raise BadInput(i18n._("--lang needs a value: one of {choices}", choices=", ".join(i18n.LANGUAGES)))
            chosen = args[i + 1]
            i += 2
            continue
        if a.startswith("--lang="):
            chosen = a.partition("=")[2]
        else:
            rest.append(a)
        i += 1
    i18n.set_language(i18n.language_from_env())  # an --lang error is then told in the environment's language
    i18n.set_language(i18n.resolve(chosen))
    return rest


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the running command the same way: KeyboardInterrupt, so that
    ``asyncio.run`` cancels every task (not only its main one, whose cancellation one swallowing
    layer could stop) and each stops what it started (tor, transports, their temporary directories
    with bridge lines) before the process exits with 130. A signal the parent told us to ignore
    (a background job's Ctrl-C) stays ignored."""
    import signal

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, handler)


def _run(app: typer.Typer, argv: list[str] | None) -> Any:
    """Run the app; in Russian or Kazakh with click's words, the help texts and usage errors in that
    language (:mod:`pathprobe.cli.clickmessages`; the language is set already, before any parsing)."""
    import typer

    from pathprobe import i18n

    english = i18n.get_language() == i18n.DEFAULT
    try:
        try:
            if english:
                if "pathprobe.cli.clickmessages" in sys.modules:  # another language ran in this process
                    sys.modules["pathprobe.cli.clickmessages"].install()
                rv = app(args=argv, prog_name="pathprobe", standalone_mode=False)
            else:
                from pathprobe.cli import clickmessages

                clickmessages.install()
                command = typer.main.get_command(app)
                clickmessages.translate_commands(command)
                rv = command(args=argv, prog_name="pathprobe", standalone_mode=False)
        except KeyboardInterrupt:
            raise Interrupted(i18n._("interrupted")) from None
        if rv == Interrupted.exit_code:  # typer turns Ctrl-C into a bare exit code 130
            raise Interrupted(i18n._("interrupted"))
        return rv
    except PathprobeError as exc:  # every user-facing error, Ctrl-C included, leaves here
        print(f"pathprobe: {_shown(exc)}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and aborts
        for errors in _click_exception_modules():
            if isinstance(exc, errors.ClickException):
                if english:
                    exc.show()
                else:
                    from pathprobe.cli import clickmessages

                    clickmessages.show_error(exc, isinstance(exc, errors.UsageError))
                sys.exit(2 if isinstance(exc, errors.UsageError) else exc.exit_code)
            abort = getattr(errors, "Abort", None) or typer.Abort
            if isinstance(exc, abort):
                print("pathprobe: " + i18n._("aborted"), file=sys.stderr)  # click's word for Ctrl-C at a prompt or in a command
                sys.exit(Interrupted.exit_code)
        raise


def _shown(exc: PathprobeError) -> str:
    """The error's message made safe for the terminal: messages quote plan values, profile fields, labels
    and file names. Bad input is one line (a newline inside a quoted value is escaped too); other errors
    may end with a log's tail, whose lines stay lines."""
    from pathprobe.report.safe import term_safe, term_safe_lines

    return term_safe(exc) if isinstance(exc, BadInput) else term_safe_lines(exc)


def _click_exception_modules() -> list[Any]:
    """click's exceptions, and those of the click copy that newer typer versions vendor (typer._click)."""
    mods: list[Any] = []
    try:
        import click.exceptions

        mods.append(click.exceptions)
    except ImportError:  # typer may come without a separate click
        pass
    try:
        from typer._click import exceptions as vendored  # typer >= 0.2x

        mods.append(vendored)
    except ImportError:
        pass
    return mods
