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
from pathprobe.report.safe import Lines, say, term_safe_lines

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
        raise Interrupted("interrupted (what this command had started was taken down)") from None


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
        note = f"  (needs probe kind {', '.join(missing)}, not in this pathprobe)" if missing else ""
        say("{:<24} {}{}", name, scn.title, note)


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
    say("\n{}\n", scn.title)
    say("  client shell:   ip netns exec {} bash   (resolver {})", w.CLIENT_NS, w.DNS_ADDR)
    say("  its check:      pathprobe lab check {}   (uses this lab and leaves it up)", scn.name)
    say(
        "  or by hand:     ip netns exec {} pathprobe check --plan {} --public-roots {} --device-roots {}"
        " --legacy-public-roots {}",
        w.CLIENT_NS,
        run / "plan.toml",
        run / "public-roots.pem",
        run / "device-roots.pem",
        run / "legacy-roots.pem",
    )
    say("  service logs:   {}/<service>/log", run)
    say("  take it down:   pathprobe lab down")


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
        say("no lab is up")
        return
    if st is None:
        names = ", ".join(s["namespaces"])
        say("a stale lab: namespaces {} without state ('pathprobe lab down' removes it)", names)
        raise typer.Exit(1)
    # the state file is read back from disk: its values are shown as data
    say("scenario '{}' ({}, since {})", st["scenario"], st["status"], st["started"])
    say("run directory {}", st["run_dir"])
    for svc in s["services"]:
        state = "running" if svc["alive"] else "NOT RUNNING"
        say("  {:<12} pid {:<8} {:<12} log {}", svc["instance"], svc["pid"], state, svc["log"])
    if not s["healthy"]:
        say("the lab is not healthy: 'pathprobe lab down' and bring it up again")
        raise typer.Exit(1)


def _report(result: Any, *, verbose: bool = True) -> int:
    failed = [o for o in result.outcomes if not o.ok]
    for o in result.outcomes:
        if verbose or not o.ok:
            print(o.line(), flush=True)  # Outcome.line() makes its values safe
    n = len(result.outcomes)
    say(
        "\n{}: {}/{} expectations met (check took {} s; profile in {})",
        result.scenario.name,
        n - len(failed),
        n,
        f"{result.seconds:.1f}",
        result.run_dir / "profile.json",
    )
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
        raise BadInput(f"--out {out}: is a directory")
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
    say("{}\n\n{}\n", scn.title, Lines(scn.description))
    with _interruptible():
        result = Lab(_say).check(scn, out=out)
    print()
    render_profile(result.profile, Console(no_color=not sys.stdout.isatty(), highlight=False))
    print()
    raise typer.Exit(_report(result, verbose=False))
