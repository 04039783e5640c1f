"""``profile render --format md``: a Markdown report of one profile (pure; every profile string escaped)."""

from __future__ import annotations

import re
from typing import Any

from pathprobe.analysis.advice import describe_path, removal_hint
from pathprobe.profile import Profile
from pathprobe.report.safe import term_safe
from pathprobe.report.view import (
    SIGNAL_TEXT,
    SYMBOL,
    blocked_sites,
    blocking_badge,
    blocking_line,
    cell_word,
    issuer_name,
    matrix,
    path_title,
    short_hash,
    throttle_badge,
)
from pathprobe.vocab import Reachability, Role, TlsVerdict

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def esc(x: Any) -> str:
    """Text from a profile, safe inside Markdown (and table cells): no markup, no HTML, no line breaks,
    no control characters (shown as escapes, :func:`~pathprobe.report.safe.term_safe`)."""
    s = "" if x is None else str(x)
    s = term_safe(" ".join(s.split()))
    return _SPECIAL.sub(r"\\\1", s)


def code(x: Any) -> str:
    """A code span: backslash escapes do not work inside one, so backticks become quotes instead;
    control characters are shown as escapes."""
    s = term_safe(" ".join(("" if x is None else str(x)).split())).replace("`", "'").replace("|", "\\|")
    return f"`{s}`"


def render_markdown(profile: Profile) -> str:
    """The report as Markdown text ending in one newline: the recommendation and advice, the paths table, the
    sites × paths table, interception findings, the trust store and, when the plan had one, the portal check.
    """
    net = profile.network
    rec = profile.recommendation
    label = profile.label
    out: list[str] = [f"# pathprobe report{' — ' + esc(label) if label else ''}", ""]
    out.append(
        f"*{esc(profile.created)} · connectivity: **{esc(net.connectivity or 'unknown')}** · "
        f"pathprobe {esc(profile.tool_version)}*"
    )
    out.append("")
    best = rec.path
    if best:
        best_path = profile.path(best)
        out.append(f"**Recommended:** {esc(path_title(best_path) if best_path else describe_path(best))} ({code(best)})")
    else:
        out.append("**Recommended:** no path kept HTTPS intact here")
    out.append("")
    out.append(f"> {esc(rec.advice)}")
    out.append("")
    ranked = list(rec.ranked)
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
        rank = str(ranked.index(p.id) + 1) if p.id in ranked else ""
        lat_s = f"{p.latency_ms:.0f} ms" if p.latency_ms is not None else "—"
        reached = sum(1 for t in p.targets if t.reachability == Reachability.REACHABLE)
        notes = p.reason or (f"{reached}/{len(p.targets)} reached" if p.targets else "")
        out.append(
            f"| {rank} | {esc(path_title(p))} ({code(p.id)}) | {SYMBOL.get(p.reachability, '')} "
            f"{esc(p.reachability)} | {SYMBOL.get(p.tls, '')} {esc(p.tls)} | "
            f"{lat_s} | {esc(notes)} |"
        )
    out.append("")

    if rows:
        out += ["## Sites × paths", ""]
        out.append("| Site | " + " | ".join(f"{code(p.id)}" for p in paths) + " |")
        out.append("|---|" + "---|" * len(paths))
        for r in rows:
            cells = []
            for c in r.cells:
                if c is None:
                    cells.append("")
                    continue
                word = cell_word(c.reachability, c.tls)
                sym = SYMBOL.get(str(c.tls) if c.tls != TlsVerdict.UNVERIFIED else str(c.reachability), "")
                fail = f" ({esc(c.failure)})" if c.failure else ""
                if c.blocking is not None:  # issue 17
                    fail += f" [{esc(blocking_badge(c.blocking))}]"
                badge = throttle_badge(c)  # issue 17
                fail += f" **{esc(badge)}**" if badge else ""
                cells.append(f"{sym} {esc(word)}{fail}")
            role = " *(control)*" if r.role == Role.CONTROL else ""
            out.append(f"| {esc(r.target)}{role} | " + " | ".join(cells) + " |")
        out.append("")

    seen = blocked_sites(profile)  # --- blocking diagnosis (issue 17) ---
    if seen:
        out += ["## How this network blocks", ""]
        out += [f"- {esc(target)} on {code(pid)}: {esc(blocking_line(b))}" for pid, target, b in seen]
        out.append("")

    if profile.interception:
        out += ["## Interception", ""]
        for f in profile.interception:
            known = f" — **known as {esc(f.known_as)}**" if f.known_as else ""
            out.append(f"### {esc(f.host)}{known}")
            out.append("")
            out.append(f"- Seen on: {', '.join(f'{code(p)}' for p in f.paths)}")
            out.append(f"- Certificate issued by: {esc(issuer_name(f.issuer))} ({code(f.issuer)})")
            out.append(f"- Anchoring root (SHA-256): {code(f.root_sha256 or 'none presented')}")
            for s in f.signals:
                out.append(f"- Evidence {code(s)}: {esc(SIGNAL_TEXT.get(s, ''))}")
            out.append("")

    trust = profile.trust_store
    roots = trust.known_interception_roots
    out += ["## This device's trust store", ""]
    out.append(f"Checked: {esc(trust.source or 'unknown')}.")
    out.append("")
    if roots:
        for root in roots:
            out.append(
                f"- **{esc(root.known_as)}** — {esc(root.subject)} (sha256 {code(short_hash(root.sha256))})"
            )
        out.append("")
        out.append(f"Remove it: {esc(removal_hint(trust.source))}.")
    else:
        out.append("No known interception root is trusted by this device.")
    out.append("")

    portal = net.portal
    if portal is not None:
        out += ["## Network login page (portal)", ""]
        if portal.detected is None:
            out.append(f"The portal check could not run ({esc(portal.failure)}).")
        elif portal.detected:
            out.append("The network answered the portal check with its own page.")
        else:
            out.append("No portal: the check URL gave its known answer.")
        if portal.offered_certificates:
            out += ["", "**Certificates offered for installation — do not install them:**", ""]
            for cert in portal.offered_certificates:
                known = f" — known as **{esc(cert.known_as)}**" if cert.known_as else ""
                flags = []
                if cert.anchors_interception:
                    flags.append("already used to intercept HTTPS here")
                if cert.in_device_store:
                    flags.append("this device already trusts it")
                if cert.over == "http":
                    flags.append("served over plain HTTP")
                out.append(
                    f"- {esc(issuer_name(cert.subject))}{known} (sha256 "
                    f"{code(short_hash(cert.sha256))}){': ' + esc('; '.join(flags)) if flags else ''}"
                )
        out.append("")
    return "\n".join(out).rstrip() + "\n"
