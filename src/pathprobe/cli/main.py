"""Entry point: builds the typer app and is the single exit point for user-facing errors."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import typer

from pathprobe import __version__
from pathprobe.errors import PathprobeError

# Command groups: (name, module). A module exposes ``app`` (a typer.Typer). Missing modules are skipped.
GROUPS = (
    ("profile", "pathprobe.cli.profile", "Show, compare and render saved profiles."),
    ("trust", "pathprobe.cli.trust", "Audit this device's trust store."),
    ("lab", "pathprobe.cli.lab", "Offline censored networks for tests and workshops (Linux, root)."),
    ("collector", "pathprobe.cli.collector", "Run an NGO collector of anonymised summaries."),
)
# Single commands: (module, function names registered on the top-level app).
COMMANDS = (
    ("pathprobe.cli.check", ("check",)),
    ("pathprobe.cli.summary", ("summary", "submit")),
)


def build_app() -> typer.Typer:
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
            if fn is not None:
                app.command(name=name, help=(fn.__doc__ or "").strip().split("\n")[0])(fn)
    for name, module, helptext in GROUPS:
        if importlib.util.find_spec(module) is None:
            continue
        app.add_typer(importlib.import_module(module).app, name=name, help=helptext)
    return app


def _click_exceptions() -> Any:
    try:  # newer typer vendors click
        from typer._click import exceptions as vendored  # type: ignore[import-not-found,unused-ignore]

        return vendored
    except ImportError:
        from click import exceptions

        return exceptions


def main(argv: list[str] | None = None) -> None:
    app = build_app()
    try:
        rv = app(args=argv, prog_name="pathprobe", standalone_mode=False)
    except PathprobeError as exc:
        print(f"pathprobe: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("pathprobe: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and aborts
        click = _click_exceptions()
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2 if isinstance(exc, click.UsageError | click.BadParameter) else exc.exit_code)
        if isinstance(exc, click.Abort):
            print("pathprobe: aborted", file=sys.stderr)
            sys.exit(130)
        raise
    sys.exit(rv if isinstance(rv, int) else 0)
