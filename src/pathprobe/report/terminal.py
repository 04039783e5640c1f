"""Human output of a profile on a terminal: a compact paths table, the findings and the advice.

Colours come from rich and are off when stdout is not a terminal (or ``NO_COLOR`` is set); every
string taken from the profile is escaped, never read as markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pathprobe.analysis.advice import describe_path, removal_hint
from pathprobe.profile import Profile
from pathprobe.report.safe import term_safe
from pathprobe.report.view import (
    SYMBOL,
    best_path,
    blocked_sites,
    blocking_line,
    interceptors,
    issuer_name,
    path_title,
    severity,
    short_hash,
    throttled_sites,
)
from pathprobe.vocab import Connectivity, Reachability, Severity, TlsVerdict

STYLE: dict[str, str] = {
    Reachability.REACHABLE: "green",
    Reachability.PARTIAL: "yellow",
    Reachability.BLOCKED: "red",
    Reachability.UNKNOWN: "dim",
    TlsVerdict.INTACT: "green",
    TlsVerdict.INTERCEPTED: "bold red",
    TlsVerdict.UNVERIFIED: "dim",
}
BORDER = {Severity.GOOD: "green", Severity.WARN: "yellow", Severity.BAD: "red"}


def _verdict(word: str | None) -> Text:
    w = str(word)
    return Text(term_safe(f"{SYMBOL.get(w, ' ')} {w}"), style=STYLE.get(w, ""))


def paths_table(profile: Profile) -> Table:
    """A table of the profile's paths in profile order: rank in the recommendation, reachability,
    TLS verdict, latency and a note (the path's reason, or how many sites it reached).
    """
    ranked = list(profile.recommendation.ranked)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("#", justify="right")
    table.add_column("path")
    table.add_column("reachability")
    table.add_column("TLS")
    table.add_column("latency", justify="right")
    table.add_column("notes", overflow="fold")
    for p in profile.paths:
        reached = sum(1 for t in p.targets if t.reachability == Reachability.REACHABLE)
        notes = p.reason or (f"{reached}/{len(p.targets)} sites reached" if p.targets else "")
        lat = p.latency_ms
        table.add_row(
            str(ranked.index(p.id) + 1) if p.id in ranked else "",
            Text(term_safe(p.id), style="bold" if ranked and p.id == ranked[0] else ""),
            _verdict(p.reachability),
            _verdict(p.tls),
            f"{lat:.0f} ms" if lat is not None else "-",
            Text(term_safe(notes)),
        )
    return table


def render_profile(profile: Profile, console: Console) -> None:
    """Print the profile for a person on ``console``: header, paths table, interception,
    trust-store and portal findings, then the recommendation in a panel coloured by severity.
    """
    net = profile.network
    head = Text("pathprobe", style="bold")
    if profile.label:
        head.append(term_safe(f" — {profile.label}"), style="bold")
    head.append(term_safe(f"  {profile.created or '?'}"), style="dim")
    console.print(head)
    conn = net.connectivity
    if conn and conn != Connectivity.ONLINE:
        console.print(Text(f"Network: {conn}", style="yellow"))
    console.print(paths_table(profile))
    for pid, target, b in blocked_sites(profile):  # --- blocking diagnosis (issue 17) ---
        line = Text("Blocking ", style="bold yellow")
        line.append(term_safe(f"{target} on {pid}: {blocking_line(b)}"))
        console.print(line)
    for g in interceptors(profile):
        line = Text("Interception ", style="bold red")
        line.append(term_safe(
            f"of {', '.join(g.hosts)} on {', '.join(g.paths)}: certificates from "
            f"'{issuer_name(g.issuer)}', root {short_hash(g.root_sha256 or None)}"
        ))
        if g.known_as:
            line.append(term_safe(f" — known as {g.known_as}"), style="bold red")
        console.print(line)
    for th in throttled_sites(profile):  # issue 17
        line = Text("Throttled ", style="bold yellow")
        kbps = f"{th.goodput_kbps:.0f} kbit/s" if th.goodput_kbps is not None else "a trickle"
        than = (f" (vs {th.comparable_kbps:.0f} kbit/s for {th.compared_with})"
                if th.comparable_kbps is not None and th.compared_with else "")
        line.append(term_safe(f"{th.target} on {th.path}: {kbps}{than}"))
        console.print(line)
    trust = profile.trust_store
    for t in trust.known_interception_roots:
        line = Text("Trust store ", style="bold red")
        line.append(term_safe(
            f"this device trusts {t.known_as} ({t.subject}); remove it: {removal_hint(trust.source)}"
        ))
        console.print(line)
    portal = net.portal
    if portal is not None and portal.detected:
        certs = portal.offered_certificates
        line = Text("Portal ", style="bold yellow")
        line.append(
            "this network shows its own page for plain HTTP"
            + (f" and offers {len(certs)} certificate(s) to install — do not install them" if certs else "")
        )
        console.print(line)
        for c in certs:
            known = f" — known as {c.known_as}" if c.known_as else ""
            console.print(
                Text(term_safe(
                    f"  offered: {issuer_name(c.subject)}{known} "
                    f"(sha256 {short_hash(c.sha256)}, over {c.over})"
                ))
            )
    rec = profile.recommendation
    best = best_path(profile)
    title = (
        f"Recommended: {escape(term_safe(path_title(best) if best else describe_path(rec.path)))} "
        f"({escape(term_safe(rec.path))})"
        if rec.path
        else "No path kept HTTPS intact"
    )
    console.print(
        Panel(
            Text(term_safe(rec.advice or "")),
            title=title,
            title_align="left",
            border_style=BORDER[severity(profile)],
        )
    )


def quiet_line(profile: Profile) -> str:
    """``check --quiet``: the recommended path id (or ``none``) and the advice, on one line."""
    rec = profile.recommendation
    return term_safe(f"{rec.path or 'none'}: {rec.advice or ''}")
