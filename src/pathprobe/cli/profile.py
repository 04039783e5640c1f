"""``pathprobe profile show|diff|render``: read saved profiles (exit 2 with one message on a bad file).

Each is told in the run's language (``--lang``, :mod:`pathprobe.i18n`), whatever the language the profile
was made in: the advice from its stored messages, everything else from the catalogs.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.report.safe import safe_json_text

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


class Format(StrEnum):
    """The formats ``profile render --format`` writes: ``md`` (Markdown) or ``html`` (one self-contained
    file).
    """

    md = "md"
    html = "html"


def _console() -> Console:
    from rich.console import Console

    return Console(no_color=not sys.stdout.isatty(), highlight=False)


@app.command("show")
def show(
    file: Path = typer.Argument(..., help="A saved profile (JSON)."),
    as_json: bool = typer.Option(False, "--json", help="Print the (validated) profile JSON instead."),
) -> None:
    """Print a saved profile as a table with the advice."""
    from pathprobe.profile import load_profile
    from pathprobe.report.terminal import render_profile

    profile = load_profile(file)
    if as_json:
        sys.stdout.write(safe_json_text(profile.to_json()))
        return
    render_profile(profile, _console())


@app.command("diff")
def diff(
    a: Path = typer.Argument(..., help="The earlier (or reference) profile."),
    b: Path = typer.Argument(..., help="The later (or other network's) profile."),
    as_json: bool = typer.Option(False, "--json", help="Print the changes as JSON."),
) -> None:
    """What changed from profile A to profile B (exit 0 whenever both were read, whatever differs)."""
    from pathprobe.profile import load_profile
    from pathprobe.report.diff import diff_profiles, render_text

    profile_a, profile_b = load_profile(a), load_profile(b)
    d = diff_profiles(profile_a, profile_b)
    if as_json:
        sys.stdout.write(safe_json_text(json.dumps(d, indent=2, ensure_ascii=False)) + "\n")
    else:
        sys.stdout.write(render_text(d, profile_a, profile_b))


@app.command("render")
def render(
    file: Path = typer.Argument(..., help="A saved profile (JSON)."),
    fmt: Format = typer.Option(
        ..., "--format", "-f", help="md (Markdown) or html (one self-contained file)."
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
) -> None:
    """Render a saved profile as a Markdown or HTML report."""
    from pathprobe.profile import load_profile

    profile = load_profile(file)
    if fmt is Format.html:
        from pathprobe.report.html import render_html

        text = render_html(profile)
    else:
        from pathprobe.report.markdown import render_markdown

        text = render_markdown(profile)
    if out is None:
        sys.stdout.write(text)
        return
    if out.is_dir():
        raise BadInput(_("--out {path}: is a directory", path=out))
    try:
        out.write_text(text, "utf-8")
    except OSError as exc:
        raise BadInput(_("--out {path}: cannot write: {error}", path=out, error=exc.strerror)) from None
