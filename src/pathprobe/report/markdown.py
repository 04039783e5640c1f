"""``profile render --format md``: a Markdown report of one profile (pure; every profile string escaped).

Told in the current language (or the ``lang`` given): headings, labels and sentences from the catalogs,
the advice from the profile's stored messages; ids, hosts, names and failure strings as they are.
"""

from __future__ import annotations

import re
from typing import Any

from pathprobe.analysis.advice import path_msg, removal_msg
from pathprobe.i18n import _, format_number, get_language, ngettext, using
from pathprobe.profile import Profile
from pathprobe.report.safe import term_safe
from pathprobe.report.view import (
    SIGNAL_TEXT,
    SYMBOL,
    advice_text,
    blocked_sites,
    blocking_badge,
    blocking_line,
    cell_word,
    issuer_name,
    matrix,
    path_title,
    reason_text,
    short_hash,
    shown_time,
    store_text,
    throttle_badge,
    verdict_word,
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


def render_markdown(profile: Profile, lang: str | None = None) -> str:
    """The report as Markdown text ending in one newline: the recommendation and advice, the paths table, the
    sites × paths table, interception findings, the trust store and, when the plan had one, the portal check;
    in ``lang`` (default: the current language).
    """
    with using(lang or get_language()):
        return _render(profile)


def _render(profile: Profile) -> str:
    net = profile.network
    rec = profile.recommendation
    label = profile.label
    title = _("pathprobe report — {label}", label=esc(label)) if label else _("pathprobe report")
    out: list[str] = [f"# {title}", ""]
    created = esc(shown_time(profile.created))
    conn = f"**{esc(verdict_word(net.connectivity or 'unknown'))}**"
    out.append("*" + _("{created} · connectivity: {connectivity} · pathprobe {version}", created=created,
                       connectivity=conn, version=esc(profile.tool_version)) + "*")
    out.append("")
    best = rec.path
    recommended = _("Recommended:")
    if best:
        best_path = profile.path(best)
        shown = path_title(best_path) if best_path else path_msg(best).render()
        out.append(f"**{recommended}** {esc(shown)} ({code(best)})")
    else:
        out.append(f"**{recommended}** " + _("no path kept HTTPS intact here"))
    out.append("")
    out.append(f"> {esc(advice_text(profile))}")
    out.append("")
    ranked = list(rec.ranked)
    if len(ranked) > 1:
        out.append(_("Usable paths, best first: {paths}", paths=", ".join(f"{code(r)}" for r in ranked)))
        out.append("")

    paths, rows = matrix(profile)
    head = (_("Path"), _("Reachability"), "TLS", _("Latency"), _("Notes"))
    out += [
        "## " + _("Paths"),
        "",
        "| # | " + " | ".join(head) + " |",
        "|---|---|---|---|---:|---|",
    ]
    for p in paths:
        rank = str(ranked.index(p.id) + 1) if p.id in ranked else ""
        lat_s = _("{ms} ms", ms=format_number(p.latency_ms)) if p.latency_ms is not None else "—"
        reached = sum(1 for t in p.targets if t.reachability == Reachability.REACHABLE)
        notes = reason_text(p.reason) if p.reason else (
            ngettext("{reached}/{n} reached", "{reached}/{n} reached", len(p.targets), reached=reached)
            if p.targets else "")
        out.append(
            f"| {rank} | {esc(path_title(p))} ({code(p.id)}) | {SYMBOL.get(p.reachability, '')} "
            f"{esc(verdict_word(p.reachability))} | {SYMBOL.get(p.tls, '')} {esc(verdict_word(p.tls))} | "
            f"{lat_s} | {esc(notes)} |"
        )
    out.append("")

    if rows:
        out += ["## " + _("Sites × paths"), ""]
        out.append(f"| {_('Site')} | " + " | ".join(f"{code(p.id)}" for p in paths) + " |")
        out.append("|---|" + "---|" * len(paths))
        for r in rows:
            cells = []
            for c in r.cells:
                if c is None:
                    cells.append("")
                    continue
                word = verdict_word(cell_word(c.reachability, c.tls))
                sym = SYMBOL.get(str(c.tls) if c.tls != TlsVerdict.UNVERIFIED else str(c.reachability), "")
                fail = f" ({esc(c.failure)})" if c.failure else ""
                if c.blocking is not None:  # issue 17
                    fail += f" [{esc(blocking_badge(c.blocking))}]"
                badge = throttle_badge(c)  # issue 17
                fail += f" **{esc(badge)}**" if badge else ""
                cells.append(f"{sym} {esc(word)}{fail}")
            role = f" *({_('control')})*" if r.role == Role.CONTROL else ""
            out.append(f"| {esc(r.target)}{role} | " + " | ".join(cells) + " |")
        out.append("")

    seen = blocked_sites(profile)  # --- blocking diagnosis (issue 17) ---
    if seen:
        out += ["## " + _("How this network blocks"), ""]
        out += ["- " + _("{target} on {path}: {how}", target=esc(target), path=code(pid), how=esc(blocking_line(b)))
                for pid, target, b in seen]
        out.append("")

    if profile.interception:
        out += ["## " + _("Interception"), ""]
        for f in profile.interception:
            known = f" — **{_('known as {name}', name=esc(f.known_as))}**" if f.known_as else ""
            out.append(f"### {esc(f.host)}{known}")
            out.append("")
            out.append("- " + _("Seen on: {paths}", paths=", ".join(f"{code(p)}" for p in f.paths)))
            out.append("- " + _("Certificate issued by: {name} ({issuer})", name=esc(issuer_name(f.issuer)),
                                issuer=code(f.issuer)))
            out.append("- " + _("Anchoring root (SHA-256): {root}", root=code(f.root_sha256 or _("none presented"))))
            for s in f.signals:
                text = _(SIGNAL_TEXT[s]) if s in SIGNAL_TEXT else ""
                out.append("- " + _("Evidence {signal}: {text}", signal=code(s), text=esc(text)))
            out.append("")

    trust = profile.trust_store
    roots = trust.known_interception_roots
    out += ["## " + _("This device's trust store"), ""]
    out.append(_("Checked: {source}.", source=esc(store_text(trust.source))))
    out.append("")
    if roots:
        for root in roots:
            out.append(
                f"- **{esc(root.known_as)}** — {esc(root.subject)} (sha256 {code(short_hash(root.sha256))})"
            )
        out.append("")
        out.append(_("Remove it: {hint}.", hint=esc(removal_msg(trust.source).render())))
    else:
        out.append(_("No known interception root is trusted by this device."))
    out.append("")

    portal = net.portal
    if portal is not None:
        out += ["## " + _("Network login page (portal)"), ""]
        if portal.detected is None:
            out.append(_("The portal check could not run ({failure}).", failure=esc(portal.failure)))
        elif portal.detected:
            out.append(_("The network answered the portal check with its own page."))
        else:
            out.append(_("No portal: the check URL gave its known answer."))
        if portal.offered_certificates:
            out += ["", "**" + _("Certificates offered for installation — do not install them:") + "**", ""]
            for cert in portal.offered_certificates:
                known = f" — {_('known as {name}', name=f'**{esc(cert.known_as)}**')}" if cert.known_as else ""
                flags = []
                if cert.anchors_interception:
                    flags.append(_("already used to intercept HTTPS here"))
                if cert.in_device_store:
                    flags.append(_("this device already trusts it"))
                if cert.over == "http":
                    flags.append(_("served over plain HTTP"))
                out.append(
                    f"- {esc(issuer_name(cert.subject))}{known} (sha256 "
                    f"{code(short_hash(cert.sha256))}){': ' + esc('; '.join(flags)) if flags else ''}"
                )
        out.append("")
    return "\n".join(out).rstrip() + "\n"
