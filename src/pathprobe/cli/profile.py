"""``pathprobe profile show|diff|render``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.command("show")
def show(file: Path = typer.Argument(..., help="A saved profile (JSON).")) -> None:
    """Print a saved profile as a table with the advice."""
    from rich.console import Console

    from pathprobe.cli.output import render_profile
    from pathprobe.profile import load_profile

    profile = load_profile(file)
    render_profile(profile, Console(no_color=not sys.stdout.isatty(), highlight=False))
