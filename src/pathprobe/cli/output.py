"""Human output of a profile: a compact table of paths x verdicts and the advice."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

STYLE = {
    "reachable": "green", "partial": "yellow", "blocked": "red", "unknown": "dim",
    "intact": "green", "intercepted": "bold red", "unverified": "dim",
}


def render_profile(profile: dict[str, Any], console: Console) -> None:
    label = profile.get("label")
    net = profile.get("network") or {}
    head = f"pathprobe profile{' — ' + label if label else ''} ({profile.get('created', '?')})"
    console.print(head, style="bold")
    if net.get("connectivity") and net["connectivity"] != "online":
        console.print(f"Connectivity: {net['connectivity']}", style="yellow")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("path")
    table.add_column("reachability")
    table.add_column("TLS")
    table.add_column("latency", justify="right")
    table.add_column("notes")
    for p in profile.get("paths", []):
        reached = sum(1 for t in p.get("targets", []) if t.get("reachability") == "reachable")
        total = len(p.get("targets", []))
        notes = p.get("reason") or (f"{reached}/{total} targets reached" if total else "")
        lat = p.get("latency_ms")
        table.add_row(
            p["id"],
            f"[{STYLE.get(p['reachability'], '')}]{p['reachability']}[/]",
            f"[{STYLE.get(p['tls'], '')}]{p['tls']}[/]",
            f"{lat:.0f} ms" if isinstance(lat, int | float) else "-",
            notes,
        )
    console.print(table)
    for f in profile.get("interception", []):
        known = f" — known as {f['known_as']}" if f.get("known_as") else ""
        console.print(
            f"[bold red]Interception[/]: {f['host']} on {', '.join(f['paths'])}: issuer {f.get('issuer')}{known} "
            f"({', '.join(f.get('signals', []))})"
        )
    for t in (profile.get("trust_store") or {}).get("known_interception_roots", []):
        console.print(f"[bold red]Trust store[/]: this device trusts {t.get('known_as')} ({t.get('subject')})")
    rec = profile.get("recommendation") or {}
    console.print()
    if rec.get("path"):
        console.print(f"Recommended: [bold]{rec['path']}[/]")
    console.print(rec.get("advice", ""))
