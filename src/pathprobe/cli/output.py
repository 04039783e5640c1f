"""Human output of a profile on a terminal: a compact paths table, the findings and the advice.

Colours come from rich and are off when stdout is not a terminal (or ``NO_COLOR`` is set); every
string taken from the profile is escaped, never read as markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pathprobe.analysis.advice import removal_hint
from pathprobe.report.view import SYMBOL, interceptors, issuer_name, path_title, severity, short_hash
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


def _verdict(word: Any) -> Text:
    w = str(word)
    return Text(f"{SYMBOL.get(w, ' ')} {w}", style=STYLE.get(w, ""))


def paths_table(profile: dict[str, Any]) -> Table:
    """A table of the profile's paths in profile order: rank in the recommendation, reachability,
    TLS verdict, latency and a note (the path's reason, or how many sites it reached).
    """
    rec = profile.get("recommendation") or {}
    ranked = [str(r) for r in rec.get("ranked") or []]
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("#", justify="right")
    table.add_column("path")
    table.add_column("reachability")
    table.add_column("TLS")
    table.add_column("latency", justify="right")
    table.add_column("notes", overflow="fold")
    for p in profile.get("paths") or []:
        targets = [t for t in p.get("targets") or [] if isinstance(t, dict)]
        reached = sum(1 for t in targets if t.get("reachability") == Reachability.REACHABLE)
        notes = p.get("reason") or (f"{reached}/{len(targets)} sites reached" if targets else "")
        lat = p.get("latency_ms")
        pid = str(p.get("id"))
        table.add_row(
            str(ranked.index(pid) + 1) if pid in ranked else "",
            Text(pid, style="bold" if ranked and pid == ranked[0] else ""),
            _verdict(p.get("reachability")),
            _verdict(p.get("tls")),
            f"{lat:.0f} ms" if isinstance(lat, int | float) and not isinstance(lat, bool) else "-",
            Text(str(notes)),
        )
    return table


def render_profile(profile: dict[str, Any], console: Console) -> None:
    """Print the profile for a person on ``console``: header, paths table, interception,
    trust-store and portal findings, then the recommendation in a panel coloured by severity.
    """
    label = profile.get("label")
    net = profile.get("network") or {}
    head = Text("pathprobe", style="bold")
    if label:
        head.append(f" — {label}", style="bold")
    head.append(f"  {profile.get('created', '?')}", style="dim")
    console.print(head)
    conn = net.get("connectivity")
    if conn and conn != Connectivity.ONLINE:
        console.print(Text(f"Network: {conn}", style="yellow"))
    console.print(paths_table(profile))
    for g in interceptors(profile):
        line = Text("Interception ", style="bold red")
        line.append(
            f"of {', '.join(g.hosts)} on {', '.join(g.paths)}: certificates from "
            f"'{issuer_name(g.issuer)}', root {short_hash(g.root_sha256 or None)}"
        )
        if g.known_as:
            line.append(f" — known as {g.known_as}", style="bold red")
        console.print(line)
    trust = profile.get("trust_store") or {}
    for t in trust.get("known_interception_roots") or []:
        line = Text("Trust store ", style="bold red")
        line.append(
            f"this device trusts {t.get('known_as')} ({t.get('subject')}); remove it: "
            f"{removal_hint(trust.get('source'))}"
        )
        console.print(line)
    portal = net.get("portal")
    if isinstance(portal, dict) and portal.get("detected"):
        certs = portal.get("offered_certificates") or []
        line = Text("Portal ", style="bold yellow")
        line.append(
            "this network shows its own page for plain HTTP"
            + (f" and offers {len(certs)} certificate(s) to install — do not install them" if certs else "")
        )
        console.print(line)
        for c in certs:
            known = f" — known as {c.get('known_as')}" if c.get("known_as") else ""
            console.print(
                Text(
                    f"  offered: {issuer_name(c.get('subject'))}{known} "
                    f"(sha256 {short_hash(c.get('sha256'))}, over {c.get('over')})"
                )
            )
    rec = profile.get("recommendation") or {}
    title = (
        f"Recommended: {escape(path_title(_path(profile, rec['path'])))} ({escape(rec['path'])})"
        if rec.get("path")
        else "No path kept HTTPS intact"
    )
    console.print(
        Panel(
            Text(str(rec.get("advice") or "")),
            title=title,
            title_align="left",
            border_style=BORDER[severity(profile)],
        )
    )


def _path(profile: dict[str, Any], pid: str) -> dict[str, Any]:
    return next((p for p in profile.get("paths") or [] if p.get("id") == pid), {"id": pid})


def quiet_line(profile: dict[str, Any]) -> str:
    """``check --quiet``: the recommended path id (or ``none``) and the advice, on one line."""
    rec = profile.get("recommendation") or {}
    return f"{rec.get('path') or 'none'}: {rec.get('advice', '')}"
