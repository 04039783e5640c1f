"""``pathprobe check``: run a plan and print the profile (a table and advice, or JSON)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path

import typer

from pathprobe.errors import BadInput


def check(
    plan: list[Path] = typer.Option(None, "--plan", help="Plan file (TOML); repeatable. Default: the shipped default plan."),
    only: str = typer.Option(None, "--only", help="Run only these probe kinds, e.g. direct,doh."),
    public_roots: Path = typer.Option(None, "--public-roots", help="PEM bundle to use as the public roots (default: Mozilla's, via certifi)."),
    device_roots: Path = typer.Option(None, "--device-roots", help="PEM bundle to use as this device's roots (default: the OS store)."),
    known_roots: Path = typer.Option(None, "--known-roots", help="Extra known interception roots (TSV like the shipped list)."),
    legacy_public_roots: Path = typer.Option(None, "--legacy-public-roots", help="PEM roots to treat as retired public roots, like the shipped list of roots earlier Mozilla lists trusted (never called interception)."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile JSON on stdout and nothing else there."),
    out: Path = typer.Option(None, "--out", help="Also write the profile JSON to this file."),
    label: str = typer.Option(None, "--label", help="A label for this network (kept in the profile only, never in summaries)."),
    timeout: float = typer.Option(8.0, "--timeout", help="Seconds allowed for each network step."),
    full: bool = typer.Option(False, "--full", help="Deep checks too: bootstrap Tor over each transport (minutes)."),
    bridge: list[str] = typer.Option(None, "--bridge", help="A Tor bridge line to test; repeatable (kept secret)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the recommendation."),
    accept_risk: bool = typer.Option(False, "--accept-risk", help="I have read what a check sends and accept the risk."),
) -> None:
    """Check which paths keep HTTPS intact on this network.

    Exit codes: 0 a profile was produced (whatever it found); 2 bad input; 3 consent needed (no terminal
    to ask on, and no --accept-risk, PATHPROBE_ACCEPT_RISK=1 or stored consent); 130 interrupted.
    """
    from pathprobe.analysis.hooks import cross_path_hooks, portal_analysis
    from pathprobe.analysis.roots import known_roots as load_known
    from pathprobe.analysis.roots import legacy_roots as load_legacy
    from pathprobe.analysis.roots import public_roots as load_public
    from pathprobe.analysis.verdicts import Roots
    from pathprobe.cli.consent import ensure_consent
    from pathprobe.cli.startup import end_startup
    from pathprobe.plan import default_plan_path, load_plans
    from pathprobe.probes.base import RunContext
    from pathprobe.profile import build_profile, dumps
    from pathprobe.runner import run_probes
    from pathprobe.trust import device_roots as load_device

    end_startup()
    _more_files()

    if not 0 < timeout <= 600:
        raise BadInput("--timeout must be a number of seconds from 0 to 600")
    kinds = [k.strip() for k in only.split(",") if k.strip()] if only else None
    loaded = load_plans(list(plan) if plan else [default_plan_path()], kinds)
    bridges = list(bridge or [])
    if bridges:
        from pathprobe.probes import registry

        tor_cls = registry.get("tor")
        for line in bridges:
            tor_cls.parse_bridge(line, "--bridge")  # type: ignore[attr-defined]
        check_used = getattr(tor_cls, "check_extra_bridges", None)
        if check_used is not None:  # each line needs a tor probe of its transport in the plan
            check_used(loaded.probes, bridges)
    roots = Roots(
        public=load_public(str(public_roots) if public_roots else None),
        device=load_device(str(device_roots) if device_roots else None),
        known=load_known(str(known_roots) if known_roots else None),
        require_sct=public_roots is None,
        legacy=load_legacy(str(legacy_public_roots) if legacy_public_roots else None),
    )
    if out is not None and out.is_dir():
        raise BadInput(f"--out {out}: is a directory")
    ensure_consent(accept_risk)

    ctx = RunContext(timeout=timeout, full=full, sites=loaded.sites, controls=loaded.controls,
                     t0=time.monotonic(), extra_bridges=bridges)
    progress = None
    if not as_json and not quiet and sys.stderr.isatty():
        from pathprobe.cli.progress import Progress

        progress = Progress(loaded.probes)
        ctx.progress = progress.update
    with progress if progress is not None else contextlib.nullcontext():
        paths, portal = asyncio.run(run_probes(loaded.probes, ctx))
    profile = build_profile(paths, portal, roots, label=label, hooks=cross_path_hooks(),
                            portal_analysis=portal_analysis())
    text = dumps(profile)
    if out is not None:
        try:
            out.write_text(text, "utf-8")
        except OSError as exc:
            raise BadInput(f"--out {out}: cannot write: {exc.strerror}") from None
    if as_json:
        sys.stdout.write(text)
        return
    from pathprobe.cli.output import quiet_line, render_profile

    if quiet:
        sys.stdout.write(quiet_line(profile) + "\n")
        return
    from rich.console import Console

    render_profile(profile, Console(no_color=not sys.stdout.isatty(), highlight=False))


def _more_files(want: int = 8192) -> None:
    """Every site may hold a few sockets at once (repeated connection attempts): raise the soft limit."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        top = want if hard == resource.RLIM_INFINITY else min(want, hard)
        if soft != resource.RLIM_INFINITY and soft < top:
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
    except (ImportError, ValueError, OSError):  # not on this platform, or not allowed: keep the limit
        pass
