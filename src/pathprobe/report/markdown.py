"""``profile render --format md``: a Markdown report of one profile (pure; every profile string escaped)."""

from __future__ import annotations

import re
from typing import Any

from pathprobe.analysis.advice import removal_hint
from pathprobe.report.view import (
    SIGNAL_TEXT,
    SYMBOL,
    cell_word,
    issuer_name,
    matrix,
    path_title,
    short_hash,
)
from pathprobe.vocab import Reachability, Role, TlsVerdict

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def esc(x: Any) -> str:
    """Text from a profile, safe inside Markdown (and table cells): no markup, no HTML, no line breaks."""
    s = "" if x is None else str(x)
    s = " ".join(s.split())
    return _SPECIAL.sub(r"\\\1", s)


def code(x: Any) -> str:
    """A code span: backslash escapes do not work inside one, so backticks become quotes instead."""
    s = " ".join(("" if x is None else str(x)).split()).replace("`", "'").replace("|", "\\|")
    return f"`{s}`"


def _verdict(reach: Any, tls: Any) -> str:
    return f"{SYMBOL.get(str(reach), '')} {esc(reach)} / {SYMBOL.get(str(tls), '')} TLS {esc(tls)}"


def render_markdown(profile: dict[str, Any]) -> str:
    net = profile.get("network") or {}
    rec = profile.get("recommendation") or {}
    label = profile.get("label")
    out: list[str] = [f"# pathprobe report{' — ' + esc(label) if label else ''}", ""]
    out.append(
        f"*{esc(profile.get('created'))} · connectivity: **{esc(net.get('connectivity') or 'unknown')}** · "
        f"pathprobe {esc(profile.get('tool_version'))}*"
    )
    out.append("")
    best = rec.get("path")
    if best:
        best_path = next((p for p in profile.get("paths") or [] if p.get("id") == best), {"id": best})
        out.append(f"**Recommended:** {esc(path_title(best_path))} ({code(best)})")
    else:
        out.append("**Recommended:** no path kept HTTPS intact here")
    out.append("")
    out.append(f"> {esc(rec.get('advice'))}")
    out.append("")
    ranked = rec.get("ranked") or []
    if len(ranked) > 1:
        out.append("Usable paths, best first: " + ", ".join(f"{code(r)}" for r in ranked))
        out.append("")

    paths, rows = matrix(profile)
    out += [
        "## Paths",
        "",
        "| # | Path | Reachability | TLS | Latency | Notes |",
        "|---|---|---|---|---:|---|",
    ]
    for p in paths:
        pid = p.get("id")
        rank = str(ranked.index(pid) + 1) if pid in ranked else ""
        lat = p.get("latency_ms")
        lat_s = f"{lat:.0f} ms" if isinstance(lat, int | float) and not isinstance(lat, bool) else "—"
        targets = p.get("targets") or []
        reached = sum(1 for t in targets if isinstance(t, dict) and t.get("reachability") == Reachability.REACHABLE)
        notes = p.get("reason") or (f"{reached}/{len(targets)} reached" if targets else "")
        out.append(
            f"| {rank} | {esc(path_title(p))} ({code(pid)}) | {SYMBOL.get(p.get('reachability', ''), '')} "
            f"{esc(p.get('reachability'))} | {SYMBOL.get(p.get('tls', ''), '')} {esc(p.get('tls'))} | "
            f"{lat_s} | {esc(notes)} |"
        )
    out.append("")

    if rows:
        out += ["## Sites × paths", ""]
        out.append("| Site | " + " | ".join(f"{code(p.get('id'))}" for p in paths) + " |")
        out.append("|---|" + "---|" * len(paths))
        for r in rows:
            cells = []
            for c in r.cells:
                if c is None:
                    cells.append("")
                    continue
                word = cell_word(str(c.get("reachability")), str(c.get("tls")))
                sym = SYMBOL.get(
                    str(c.get("tls")) if c.get("tls") != TlsVerdict.UNVERIFIED else str(c.get("reachability")), ""
                )
                fail = f" ({esc(c.get('failure'))})" if c.get("failure") else ""
                cells.append(f"{sym} {esc(word)}{fail}")
            role = " *(control)*" if r.role == Role.CONTROL else ""
            out.append(f"| {esc(r.target)}{role} | " + " | ".join(cells) + " |")
        out.append("")

    findings = profile.get("interception") or []
    if findings:
        out += ["## Interception", ""]
        for f in findings:
            known = f" — **known as {esc(f.get('known_as'))}**" if f.get("known_as") else ""
            out.append(f"### {esc(f.get('host'))}{known}")
            out.append("")
            out.append(f"- Seen on: {', '.join(f'{code(p)}' for p in f.get('paths') or [])}")
            out.append(
                f"- Certificate issued by: {esc(issuer_name(f.get('issuer')))} ({code(f.get('issuer'))})"
            )
            out.append(f"- Anchoring root (SHA-256): {code(f.get('root_sha256') or 'none presented')}")
            for s in f.get("signals") or []:
                out.append(f"- Evidence {code(s)}: {esc(SIGNAL_TEXT.get(str(s), ''))}")
            out.append("")

    trust = profile.get("trust_store") or {}
    roots = trust.get("known_interception_roots") or []
    out += ["## This device's trust store", ""]
    out.append(f"Checked: {esc(trust.get('source') or 'unknown')}.")
    out.append("")
    if roots:
        for r in roots:
            out.append(
                f"- **{esc(r.get('known_as'))}** — {esc(r.get('subject'))} "
                f"(sha256 {code(short_hash(r.get('sha256')))})"
            )
        out.append("")
        out.append(f"Remove it: {esc(removal_hint(trust.get('source')))}.")
    else:
        out.append("No known interception root is trusted by this device.")
    out.append("")

    portal = net.get("portal")
    if isinstance(portal, dict):
        out += ["## Network login page (portal)", ""]
        det = portal.get("detected")
        if det is None:
            out.append(f"The portal check could not run ({esc(portal.get('failure'))}).")
        elif det:
            out.append("The network answered the portal check with its own page.")
        else:
            out.append("No portal: the check URL gave its known answer.")
        certs = portal.get("offered_certificates") or []
        if certs:
            out += ["", "**Certificates offered for installation — do not install them:**", ""]
            for c in certs:
                known = f" — known as **{esc(c.get('known_as'))}**" if c.get("known_as") else ""
                flags = []
                if c.get("anchors_interception"):
                    flags.append("already used to intercept HTTPS here")
                if c.get("in_device_store"):
                    flags.append("this device already trusts it")
                if c.get("over") == "http":
                    flags.append("served over plain HTTP")
                out.append(
                    f"- {esc(issuer_name(c.get('subject')))}{known} (sha256 "
                    f"{code(short_hash(c.get('sha256')))}){': ' + esc('; '.join(flags)) if flags else ''}"
                )
        out.append("")
    return "\n".join(out).rstrip() + "\n"
