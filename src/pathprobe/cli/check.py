"""``pathprobe check``: run a plan and print the profile (a table and advice, or JSON).

Besides its own options, ``check`` takes those the probe kinds declare
(:attr:`~pathprobe.probes.base.Probe.cli_options`, e.g. tor's ``--bridge``): :func:`with_probe_options`
adds them, and ``cli/main.py`` calls it only when ``check`` is the command run, because learning them
loads every kind.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pathprobe.errors import BadInput
from pathprobe.i18n import _

if TYPE_CHECKING:
    from pathprobe.check import CheckOptions


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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the recommendation."),
    accept_risk: bool = typer.Option(False, "--accept-risk", help="I have read what a check sends and accept the risk."),
    **probe_options: list[str] | None,
) -> None:
    """Check which paths keep HTTPS intact on this network.

    Exit codes: 0 a profile was produced (whatever it found); 2 bad input; 3 consent needed (no terminal
    to ask on, and no --accept-risk, PATHPROBE_ACCEPT_RISK=1 or stored consent); 130 interrupted.
    """
    from pathprobe.check import prepare
    from pathprobe.cli.consent import ensure_consent
    from pathprobe.cli.startup import end_startup

    end_startup()
    _more_files()

    options = check_options(
        plan=plan, only=only, public_roots=public_roots, device_roots=device_roots, known_roots=known_roots,
        legacy_public_roots=legacy_public_roots, timeout=timeout, full=full, label=label,
        probe_options=probe_options,
    )
    prepared = prepare(options)  # every bad input is found here, before consent and before any packet
    if out is not None and out.is_dir():
        raise BadInput(_("--out {file}: is a directory", file=out))
    ensure_consent(accept_risk)

    progress = None
    if not as_json and not quiet and sys.stderr.isatty():
        from pathprobe.cli.progress import Progress

        progress = Progress(prepared.plan.probes)
        prepared.progress = progress.update
    with progress if progress is not None else contextlib.nullcontext():
        profile = prepared.run()
    text = profile.to_json()
    if out is not None:
        try:
            out.write_text(text, "utf-8")
        except OSError as exc:
            raise BadInput(_("--out {file}: cannot write: {reason}", file=out, reason=exc.strerror)) from None
    if as_json:
        from pathprobe.report.safe import safe_json_text

        sys.stdout.write(safe_json_text(text))
        return
    from pathprobe.report.terminal import quiet_line, render_profile

    if quiet:
        sys.stdout.write(quiet_line(profile) + "\n")
        return
    from rich.console import Console

    render_profile(profile, Console(no_color=not sys.stdout.isatty(), highlight=False))


def check_options(
    *,
    plan: Sequence[Path] | None,
    only: str | None,
    public_roots: Path | None,
    device_roots: Path | None,
    known_roots: Path | None,
    legacy_public_roots: Path | None,
    timeout: float,
    full: bool,
    label: str | None,
    probe_options: Mapping[str, Sequence[str] | None],
) -> CheckOptions:
    """The check's options from the command line's values: the one place ``check`` and ``pathprobe ui``
    (whose button runs the same check) build them. ``probe_options``: the values of the options probe
    kinds declare (:func:`with_probe_options`), by name; those not given are left out."""
    from pathprobe.check import CheckOptions

    return CheckOptions(
        plans=tuple(plan or ()),
        only=tuple(k.strip() for k in only.split(",") if k.strip()) if only else None,
        public_roots=public_roots,
        device_roots=device_roots,
        known_roots=known_roots,
        legacy_public_roots=legacy_public_roots,
        timeout=timeout,
        full=full,
        probe_options={name: tuple(values) for name, values in probe_options.items() if values},
        label=label,
    )


def _typer_signature(command: Callable[..., None], extra: list[inspect.Parameter] | None = None) -> inspect.Signature:
    """The options typer reads: the command's own (not its ``**probe_options``), then ``extra``."""
    sig = inspect.signature(command, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    return sig.replace(parameters=[*own, *(extra or [])])


check.__signature__ = _typer_signature(check)  # type: ignore[attr-defined]


def needs_probe_options(args: Sequence[str]) -> bool:
    """Whether ``check``'s arguments ask for help or name an option ``check`` does not have itself (one
    a probe kind declares). Only then are all the kinds loaded before parsing to learn their options:
    a plain quick check imports just the kinds its plan names, which keeps start-up short."""
    own = {decl for p in inspect.signature(check).parameters.values()
           for decl in getattr(p.default, "param_decls", ()) or ()}
    for arg in args:
        if arg == "--":
            break
        flag = arg.split("=", 1)[0]
        if flag in ("--help", "-h") or (flag.startswith("--") and flag not in own):
            return True
    return False


def with_probe_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` (``check``) with one more option for each one a probe kind declares; their values
    reach it in ``**probe_options`` by name. Loads every probe kind (a broken one is left out)."""
    from pathprobe.probes import registry

    own = _typer_signature(command)
    declared = registry.cli_options(taken=frozenset(own.parameters))
    extra = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, opt.flag, help=opt.help, metavar=opt.metavar),
            annotation=list[str],
        )
        for name, (_, opt) in declared.items()
    ]

    def extended(**kwargs: Any) -> None:
        command(**kwargs)

    sig = own.replace(parameters=[*own.parameters.values(), *extra])
    extended.__name__ = command.__name__
    extended.__doc__ = command.__doc__
    extended.__signature__ = sig  # type: ignore[attr-defined]
    extended.__annotations__ = {p.name: p.annotation for p in sig.parameters.values()}
    return extended


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
