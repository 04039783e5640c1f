"""Human output of a profile on a terminal: a compact paths table, the findings and the advice.

Colours come from rich and are off when stdout is not a terminal (or ``NO_COLOR`` is set); every
string taken from the profile is escaped, never read as markup.

Everything here is told in the run's language (:mod:`pathprobe.i18n`): headers, notes and the findings
are whole translated sentences; the advice is told again from ``recommendation.advice_messages`` when the
profile has them (a profile made before them shows its stored text). Verdict words are translated for the
eye; ids, hosts and names stay as they are. rich measures columns in terminal cells, so Cyrillic keeps
the table aligned.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pathprobe.analysis.advice import path_msg, removal_msg
from pathprobe.i18n import N_, _, format_datetime, format_number, ngettext
from pathprobe.profile import Profile
from pathprobe.report.safe import term_safe
from pathprobe.report.view import (
    SYMBOL,
    WORD,
    advice_text,
    best_path,
    blocked_sites,
    blocking_line,
    compared_text,
    interceptors,
    issuer_name,
    reason_text,
    severity,
    short_hash,
    throttled_sites,
    verdict_word,
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
WORDS: dict[str, str] = WORD
"""Verdict words as shown (the values themselves stay English in the JSON): :data:`~pathprobe.report.view.WORD`."""
CONNECTIVITY: dict[str, str] = {Connectivity.OFFLINE: N_("offline"), Connectivity.PORTAL: N_("captive portal")}
"""Connectivity words as shown."""


def _number(value: float) -> str:
    """A whole number for the terminal: :func:`~pathprobe.i18n.format_number` without the no-break space
    that groups thousands in Russian and Kazakh (rich wraps a line at any space, and would split
    ``18 650`` in two)."""
    return format_number(value).replace("\u00a0", "")


def _verdict(word: str | None) -> Text:
    w = str(word)
    shown = verdict_word(w)
    return Text(term_safe(f"{SYMBOL.get(w, ' ')} {shown}"), style=STYLE.get(w, ""))


def paths_table(profile: Profile) -> Table:
    """A table of the profile's paths in profile order: rank in the recommendation, reachability,
    TLS verdict, latency and a note (the path's reason, or how many sites it reached).
    """
    ranked = list(profile.recommendation.ranked)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("#", justify="right")
    table.add_column(_("path"))
    table.add_column(_("reachability"))
    table.add_column("TLS")
    table.add_column(_("latency"), justify="right")
    table.add_column(_("notes"), overflow="fold")
    for p in profile.paths:
        reached = sum(1 for t in p.targets if t.reachability == Reachability.REACHABLE)
        notes = reason_text(p.reason) if p.reason else (
            ngettext("{reached}/{n} site reached", "{reached}/{n} sites reached", len(p.targets), reached=reached)
            if p.targets else ""
        )
        lat = p.latency_ms
        table.add_row(
            str(ranked.index(p.id) + 1) if p.id in ranked else "",
            Text(term_safe(p.id), style="bold" if ranked and p.id == ranked[0] else ""),
            _verdict(p.reachability),
            _verdict(p.tls),
            _("{ms} ms", ms=_number(lat)) if lat is not None else "-",
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
    head.append(term_safe(f"  {format_datetime(profile.created) if profile.created else '?'}"), style="dim")
    console.print(head)
    conn = net.connectivity
    if conn and conn != Connectivity.ONLINE:
        console.print(Text(_("Network: {state}", state=_(CONNECTIVITY.get(conn, conn))), style="yellow"))
    console.print(paths_table(profile))
    for pid, target, b in blocked_sites(profile):  # --- blocking diagnosis (issue 17) ---
        line = Text(_("Blocking") + " ", style="bold yellow")
        line.append(term_safe(_("{target} on {path}: {how}", target=target, path=pid, how=blocking_line(b))))
        console.print(line)
    for g in interceptors(profile):
        line = Text(_("Interception") + " ", style="bold red")
        line.append(term_safe(_(
            "of {hosts} on {paths}: certificates from '{issuer}', root {root}",
            hosts=", ".join(g.hosts), paths=", ".join(g.paths), issuer=issuer_name(g.issuer),
            root=short_hash(g.root_sha256 or None),
        )))
        if g.known_as:
            line.append(term_safe(" — " + _("known as {name}", name=g.known_as)), style="bold red")
        console.print(line)
    for th in throttled_sites(profile):  # issue 17
        line = Text(_("Throttled") + " ", style="bold yellow")
        if th.goodput_kbps is None:
            said = _("{target} on {path}: a trickle", target=th.target, path=th.path)
        elif th.comparable_kbps is not None and th.compared_with:
            said = _("{target} on {path}: {kbps} kbit/s (vs {other} kbit/s for {compared})", target=th.target,
                     path=th.path, kbps=_number(th.goodput_kbps), other=_number(th.comparable_kbps),
                     compared=compared_text(th.compared_with))
        else:
            said = _("{target} on {path}: {kbps} kbit/s", target=th.target, path=th.path,
                     kbps=_number(th.goodput_kbps))
        line.append(term_safe(said))
        console.print(line)
    trust = profile.trust_store
    for t in trust.known_interception_roots:
        line = Text(_("Trust store") + " ", style="bold red")
        line.append(term_safe(_(
            "this device trusts {name} ({subject}); remove it: {hint}",
            name=t.known_as, subject=t.subject, hint=removal_msg(trust.source).render(),
        )))
        console.print(line)
    portal = net.portal
    if portal is not None and portal.detected:
        certs = portal.offered_certificates
        line = Text(_("Portal") + " ", style="bold yellow")
        line.append(
            ngettext(
                "this network shows its own page for plain HTTP and offers {n} certificate to install — do "
                "not install it",
                "this network shows its own page for plain HTTP and offers {n} certificates to install — do "
                "not install them",
                len(certs),
            )
            if certs
            else _("this network shows its own page for plain HTTP")
        )
        console.print(line)
        for c in certs:
            name = issuer_name(c.subject)
            offered = (
                _("offered: {name} — known as {known} (sha256 {sha256}, over {over})", name=name,
                  known=c.known_as, sha256=short_hash(c.sha256), over=c.over)
                if c.known_as
                else _("offered: {name} (sha256 {sha256}, over {over})", name=name, sha256=short_hash(c.sha256),
                       over=c.over)
            )
            console.print(Text(term_safe("  " + offered)))
    rec = profile.recommendation
    best = best_path(profile)
    title = (
        escape(term_safe(_(
            "Recommended: {path} ({id})",
            path=path_msg(best.id, best.detail).render() if best else path_msg(rec.path).render(), id=rec.path,
        )))
        if rec.path
        else _("No path kept HTTPS intact")
    )
    console.print(
        Panel(
            Text(term_safe(advice_text(profile))),
            title=title,
            title_align="left",
            border_style=BORDER[severity(profile)],
        )
    )


def quiet_line(profile: Profile) -> str:
    """``check --quiet``: the recommended path id (or ``none``) and the advice, on one line."""
    rec = profile.recommendation
    return term_safe(f"{rec.path or 'none'}: {advice_text(profile)}")  # the id (or "none") stays English
