"""``pathprobe lab list|up|check|down|status|demo``: offline censored networks (Linux, root).

Exit codes: 0 done (``check``: every expectation met); 1 an expectation failed, a service crashed or a
lab is already up; 2 bad input or the lab cannot run here (not Linux, not root, a program missing);
130 interrupted (the lab is taken down first).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from pathprobe.errors import BadInput, Interrupted
from pathprobe.i18n import _, format_number
from pathprobe.report.safe import Lines, say, term_safe, term_safe_lines

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

DEMO_SCENARIO = "kz-2019-escape"


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C / SIGTERM: the lab code has already taken down what it started; say so through the
    CLI's one exit point (:class:`~pathprobe.errors.Interrupted`, exit 130). SIGTERM arrives as
    KeyboardInterrupt too: the CLI's entry point handles both signals alike (cli/main.py)."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(_("interrupted (what this command had started was taken down)")) from None


def _say(text: str) -> None:
    """The lab's progress messages (they name scenario values and quote service logs): each line made safe."""
    print(term_safe_lines(text), flush=True)


@app.command("list")
def list_() -> None:
    """List the shipped scenarios."""
    from pathprobe.lab import scenario

    for name in scenario.shipped():
        scn = scenario.load(name)
        missing = scn.missing_kinds()
        note = _("  (needs probe kind {kinds}, not in this pathprobe)", kinds=term_safe(", ".join(missing))) if missing else ""
        say("{:<24} {}{}", name, scn.shown_title(), note)


@app.command()
def up(scenario: str = typer.Argument(..., help="A shipped scenario name or a scenario file.")) -> None:
    """Bring a scenario up and leave it running (take it down with 'pathprobe lab down')."""
    from pathprobe.lab import scenario as sc
    from pathprobe.lab import world as w
    from pathprobe.lab.lifecycle import Lab, preflight

    preflight()
    scn = sc.load(scenario)
    with _interruptible():
        st = Lab(_say).up(scn)
    run = Path(st.run_dir)
    say("\n{}\n", scn.shown_title())
    _line(_("client shell:"), _("{command}   (resolver {address})", command=f"ip netns exec {w.CLIENT_NS} bash",
                                 address=w.DNS_ADDR))
    _line(_("its check:"), _("{command}   (uses this lab and leaves it up)",
                              command=f"pathprobe lab check {term_safe(scn.name)}"))
    _line(_("or by hand:"), term_safe(
        f"ip netns exec {w.CLIENT_NS} pathprobe check --plan {run / 'plan.toml'} --public-roots"
        f" {run / 'public-roots.pem'} --device-roots {run / 'device-roots.pem'} --legacy-public-roots"
        f" {run / 'legacy-roots.pem'}"))
    _line(_("service logs:"), term_safe(f"{run}/<service>/log"))
    _line(_("take it down:"), "pathprobe lab down")


def _line(label: str, text: str) -> None:
    """One line of ``lab up``'s summary: a label (padded to the column) and its command."""
    print(f"  {label:<15} {text}", flush=True)


@app.command()
def down() -> None:
    """Take the lab down (also removes a stale lab left by an earlier run)."""
    from pathprobe.lab.lifecycle import Lab, preflight

    preflight()
    Lab(_say).down()


@app.command()
def status() -> None:
    """Say whether a lab is up, and whether each of its services still runs."""
    from pathprobe.lab.lifecycle import Lab, preflight

    preflight()
    s = Lab(_say).status()
    st = s["state"]
    if st is None and not s["namespaces"]:
        _say(_("no lab is up"))
        return
    if st is None:
        names = ", ".join(s["namespaces"])
        _say(_("a stale lab: namespaces {names} without state ('pathprobe lab down' removes it)", names=names))
        raise typer.Exit(1)
    # the state file is read back from disk: its values are shown as data
    _say(_("scenario '{scenario}' ({status}, since {since})", scenario=term_safe(st["scenario"]),
           status=term_safe(st["status"]), since=term_safe(st["started"])))
    _say(_("run directory {path}", path=term_safe(st["run_dir"])))
    for svc in s["services"]:
        state = _("running") if svc["alive"] else _("NOT RUNNING")
        say("  {:<12} pid {:<8} {:<12} {} {}", svc["instance"], svc["pid"], state, _("log"), svc["log"])
    if not s["healthy"]:
        _say(_("the lab is not healthy: 'pathprobe lab down' and bring it up again"))
        raise typer.Exit(1)


def _report(result: Any, *, verbose: bool = True) -> int:
    failed = [o for o in result.outcomes if not o.ok]
    for o in result.outcomes:
        if verbose or not o.ok:
            print(o.line(), flush=True)  # Outcome.line() makes its values safe
    n = len(result.outcomes)
    print()
    _say(_(
        "{scenario}: {met}/{n} expectations met (check took {seconds} s; profile in {path})",
        n=n,
        scenario=term_safe(result.scenario.name),
        met=n - len(failed),
        seconds=format_number(result.seconds, 1),
        path=term_safe(result.run_dir / "profile.json"),
    ))
    return 1 if failed else 0


@app.command()
def check(
    scenario: str = typer.Argument(..., help="A shipped scenario name or a scenario file."),
    out: Path = typer.Option(
        None, "--out", help="Also save the profile JSON here (e.g. profiles/NAME.json)."
    ),
    keep: bool = typer.Option(False, "--keep", help="Leave the lab up afterwards."),
    failures_only: bool = typer.Option(False, "--failures-only", help="Print only the failed expectations."),
) -> None:
    """Bring a scenario up, run 'pathprobe check' in its client, compare with the expected verdicts.

    The lab is taken down again afterwards (unless --keep, or it was already up for this scenario).
    """
    from pathprobe.lab import scenario as sc
    from pathprobe.lab.lifecycle import Lab, preflight

    preflight()
    scn = sc.load(scenario)
    if out is not None and out.is_dir():
        raise BadInput(_("--out {path}: is a directory", path=out))
    with _interruptible():
        result = Lab(_say).check(scn, out=out, keep=keep)
    print()
    raise typer.Exit(_report(result, verbose=not failures_only))


@app.command()
def demo(
    out: Path = typer.Option(None, "--out", help="Also save the profile JSON here."),
) -> None:
    """Run the kz-2019-escape scenario end to end (interception on the plain network, a bridge and a
    tunnel that keep HTTPS intact) and show the profile a person would see."""
    from rich.console import Console

    from pathprobe.lab import scenario as sc
    from pathprobe.lab.lifecycle import Lab, preflight
    from pathprobe.report.terminal import render_profile

    preflight()
    scn = sc.load(DEMO_SCENARIO)
    say("{}\n\n{}\n", scn.shown_title(), Lines(scn.shown_description()))
    with _interruptible():
        result = Lab(_say).check(scn, out=out)
    print()
    render_profile(result.profile, Console(no_color=not sys.stdout.isatty(), highlight=False))
    print()
    raise typer.Exit(_report(result, verbose=False))
