"""``profile render --format html``: one self-contained HTML file (pure).

No external assets and no script: inline CSS only, and a Content-Security-Policy that forbids loading
anything, so the file works offline, on a projector, or attached to an email. Every string from the
profile is escaped (a profile is untrusted input).

Told in the current language or the ``lang`` given (the document's ``<html lang>``): headings, labels,
badges and sentences from the catalogs, the advice from the profile's stored messages; ids, hosts, names,
failure strings and the ``data-verdict`` values stay as they are.
"""

from __future__ import annotations

from html import escape
from typing import Any

from pathprobe.analysis.advice import path_msg, removal_msg
from pathprobe.i18n import N_, _, fill, format_number, get_language, ngettext, translations, using
from pathprobe.profile import Path, Profile
from pathprobe.report.safe import term_safe_lines
from pathprobe.report.view import (
    SIGNAL_TEXT,
    SYMBOL,
    VERDICT_TEXT,
    advice_text,
    blocked_sites,
    blocking_badge,
    blocking_line,
    cell_class,
    cell_word,
    interceptors,
    issuer_name,
    matrix,
    path_title,
    reason_text,
    severity,
    shown_time,
    store_text,
    throttle_badge,
    verdict_word,
)
from pathprobe.vocab import Connectivity, Reachability, Role, Severity, Signal, TlsVerdict

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root { --ok:#1b7f3b; --ok-bg:#dff3e4; --bad:#b3261e; --bad-bg:#fbe3e1; --warn:#8a5a00; --warn-bg:#fff1cc;
        --mute:#5f6368; --mute-bg:#eceff1; --ink:#1a1a1a; --line:#d0d4d8; }
* { box-sizing: border-box; }
body { margin:0; font: 18px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       color: var(--ink); background: #f7f8fa; }
main { max-width: 1280px; margin: 0 auto; padding: 28px 32px 48px; }
header h1 { font-size: 30px; margin: 0 0 4px; }
header .meta { color: var(--mute); font-size: 16px; }
.chip { display:inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 15px;
        background: var(--mute-bg); color: var(--mute); }
.chip.good { background: var(--ok-bg); color: var(--ok); }
.chip.bad { background: var(--bad-bg); color: var(--bad); }
.chip.warn { background: var(--warn-bg); color: var(--warn); }
.advice { margin: 22px 0 26px; padding: 22px 26px; border-radius: 14px; border-left: 12px solid var(--mute);
          background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.advice.good { border-color: var(--ok); } .advice.bad { border-color: var(--bad); }
.advice.warn { border-color: #d49a00; }
.advice .rec { font-size: 26px; font-weight: 700; margin-bottom: 10px; }
.advice .rec code { font-size: 20px; color: var(--mute); font-weight: 500; }
.advice p { font-size: 21px; margin: 0; }
h2 { font-size: 24px; margin: 34px 0 12px; }
table.matrix { border-collapse: separate; border-spacing: 6px; width: 100%; table-layout: fixed; }
.matrix th { font-size: 17px; text-align: center; vertical-align: bottom; padding: 8px 6px; background: #fff;
             border-radius: 10px; border: 1px solid var(--line); overflow-wrap: anywhere; hyphens: auto; }
.matrix th.site-h { background: transparent; border: none; text-align: left; width: 22%; }
.matrix th .pid { display:block; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 14px;
                  color: var(--mute); font-weight: 500; }
.matrix th .sum { display:block; margin-top: 6px; font-size: 15px; }
.matrix th .rank { display:inline-block; background: var(--ok); color:#fff; border-radius: 999px;
                   padding: 0 9px;
                   font-size: 14px; margin-bottom: 4px; }
.matrix td.site { font-weight: 600; font-size: 18px; overflow-wrap: anywhere; }
.matrix td.site small { color: var(--mute); font-weight: 400; white-space: nowrap; }
.cell { text-align: center; border-radius: 10px; padding: 10px 4px; font-weight: 700; font-size: 18px;
        overflow-wrap: anywhere; hyphens: auto; }
.cell .sym { display:block; font-size: 26px; line-height: 1.1; }
.cell .why { display:block; font-weight: 400; font-size: 13px; opacity: .85; word-break: break-word; }
.badge.throttled { display:inline-block; margin-top:2px; padding:0 6px; border-radius:8px; font-size:12px; background:#fde68a; color:#7c2d12; }
.cell.intact { background: var(--ok-bg); color: var(--ok); }
.cell.intercepted { background: var(--bad); color: #fff; }
.cell.blocked { background: #fde7d9; color: #a14400; }
.cell.partial { background: var(--warn-bg); color: var(--warn); }
.cell.unknown, .cell.none { background: var(--mute-bg); color: var(--mute); font-weight: 500; }
.cell.reached { background: #e3edf9; color: #1f4e8c; }
.legend { display:flex; flex-wrap: wrap; gap: 10px 18px; margin: 10px 0 0; font-size: 15px;
          color: var(--mute); }
.legend span.cell { display:inline-block; padding: 2px 10px; font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(380px, 100%), 1fr)); gap: 16px; }
.card, .card dd, .advice, .meta, h1, h2, li, p { overflow-wrap: anywhere; }
.card { background: #fff; border-radius: 12px; padding: 16px 20px; border: 1px solid var(--line); }
.card.bad { border-top: 6px solid var(--bad); }
.card h3 { margin: 0 0 8px; font-size: 21px; overflow-wrap: anywhere; }
.card dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; font-size: 16px; }
.card dt { color: var(--mute); } .card dd { margin: 0; word-break: break-word; }
.card ul { margin: 8px 0 0; padding-left: 20px; font-size: 15px; }
.hash { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 14px; word-break: break-all; }
.known { display:inline-block; background: var(--bad); color:#fff; font-weight:700; border-radius: 6px;
         padding: 1px 8px; font-size: 14px; }
.note { color: var(--mute); font-size: 15px; }
.badge { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 8px; font-size: 13px; background: #fde68a; color: #5b3b00; }
footer { margin-top: 40px; color: var(--mute); font-size: 14px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
@media (max-width: 640px) {
  main { padding: 16px 10px 32px; }
  body { font-size: 16px; }
  header h1 { font-size: 24px; }
  .advice { padding: 14px 14px; border-left-width: 8px; }
  .advice .rec { font-size: 21px; }
  .advice p { font-size: 18px; }
  table.matrix { border-spacing: 2px; }
  .matrix th { font-size: 13px; padding: 4px 2px; }
  .matrix th.site-h { width: 28%; }
  .matrix td.site { font-size: 14px; }
  .cell { font-size: 13px; padding: 6px 1px; }
  .cell .sym { font-size: 20px; }
  .card { padding: 12px 12px; }
  .card dl { grid-template-columns: 1fr; }
}
@media print { body { background: #fff; } .advice, .card { box-shadow: none; } }
"""

SEVERITY_WORD = {
    Severity.GOOD: N_("HTTPS intact"),
    Severity.WARN: N_("needs attention"),
    Severity.BAD: N_("HTTPS intercepted"),
}
"""The verdict chip's words (msgids: shown through :func:`pathprobe.i18n._`)."""


def e(x: Any) -> str:
    """``x`` as text safe inside HTML elements and quoted attributes (None is the empty string)."""
    return escape(term_safe_lines("" if x is None else x), quote=True)  # controls, bidi overrides shown, not obeyed


def h(msgid: str, /, **markup: str) -> str:  # callers mark the msgid with N_ (extraction)
    """``msgid`` in the current language as HTML: the translation escaped, then its placeholders filled
    with ``markup`` (HTML the caller has already escaped, such as ``<code>`` around an id)."""
    return fill(e(translations(get_language()).gettext(msgid)), markup)


def _sum(p: Path) -> str:
    reach, tls = str(p.reachability), str(p.tls)
    cls = cell_class(reach, tls)
    return (
        f'<span class="sum"><span class="cell {cls}" style="padding:2px 8px">'
        f"{e(SYMBOL.get(reach, ''))} {e(verdict_word(reach))}"
        f" · TLS {e(verdict_word(tls))}</span></span>"
    )


def _matrix(profile: Profile, ranked: list[str]) -> str:
    paths, rows = matrix(profile)
    if not paths:
        return f'<p class="note">{e(_("This profile has no paths."))}</p>'
    head = [f'<th class="site-h" scope="col">{e(_("Site"))}</th>']
    for p in paths:
        rank = f'<span class="rank">#{ranked.index(p.id) + 1}</span><br>' if p.id in ranked else ""
        reason = f'<span class="why note">{e(reason_text(p.reason))}</span>' if p.reason else ""
        lat = _("{ms} ms", ms=format_number(p.latency_ms)) if p.latency_ms is not None else ""
        lat_s = f'<span class="pid">{e(lat)}</span>' if lat else ""
        head.append(
            f'<th scope="col">{rank}{e(path_title(p))}<span class="pid">{e(p.id)}</span>{lat_s}'
            f"{_sum(p)}{reason}</th>"
        )
    body = []
    control = e(_("control"))
    untested = e(_("not tested on this path"))
    for r in rows:
        tds = [
            f'<td class="site">{e(r.target)}{f" <small>({control})</small>" if r.role == Role.CONTROL else ""}</td>'
        ]
        for c in r.cells:
            if c is None:
                tds.append(f'<td class="cell none" title="{untested}">—</td>')
                continue
            reach, tls = str(c.reachability), str(c.tls)
            cls = cell_class(reach, tls)
            sym = SYMBOL.get(tls if tls != TlsVerdict.UNVERIFIED else reach, "")
            why = c.failure or ", ".join(s for s in c.signals if s not in (Signal.MISSING_SCT, Signal.THROTTLED))
            badge = (f'<span class="badge" title="{e(blocking_line(c.blocking))}">{e(blocking_badge(c.blocking))}'
                     "</span>" if c.blocking is not None else "")  # issue 17: how it was blocked
            throttled = throttle_badge(c)  # issue 17: a badge per throttled site and path
            badge += f'<span class="badge throttled">{e(throttled)}</span>' if throttled else ""
            word = cell_word(reach, tls)
            tds.append(
                f'<td class="cell {cls}" data-verdict="{e(word)}"><span class="sym">{e(sym)}'
                f'</span>{e(verdict_word(word))}<span class="why">{e(why)}</span>{badge}</td>'
            )
        body.append("<tr>" + "".join(tds) + "</tr>")
    if not rows:
        body.append(
            f'<tr><td class="note" colspan="{len(paths) + 1}">'
            f'{e(_("No site was tested on these paths (see the reasons above)."))}</td></tr>'
        )
    legend = "".join(
        f'<span><span class="cell {cls}">{e(word)}</span> {e(_(text))}</span>'
        for cls, word, text in (
            (TlsVerdict.INTACT, "✓ " + verdict_word(TlsVerdict.INTACT), N_("reached, HTTPS genuine")),
            (TlsVerdict.INTERCEPTED, "⚠ " + verdict_word(TlsVerdict.INTERCEPTED), N_("someone in the middle")),
            (Reachability.BLOCKED, "✗ " + verdict_word(Reachability.BLOCKED), N_("not reached")),
            ("reached", verdict_word("reached"), N_("reached, TLS not checked")),
            ("none", "—", N_("not tested")),
        )
    )
    return (
        f'<table class="matrix"><thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f'<div class="legend">{legend}</div>'
    )


def _findings(profile: Profile) -> str:
    """One card per interceptor (issuer + anchoring root), listing the sites and paths it was seen on."""
    cards = []
    for g in interceptors(profile):
        known = (
            f'<p><span class="known">{e(_("known interception root"))}</span> {e(g.known_as)}</p>' if g.known_as else ""
        )
        signals = "".join(f"<li><b>{e(s)}</b>: {e(_(SIGNAL_TEXT[s]) if s in SIGNAL_TEXT else '')}</li>"
                          for s in g.signals)
        cards.append(
            f'<div class="card bad"><h3>{e(issuer_name(g.issuer))}</h3>{known}<dl>'
            f"<dt>{e(_('sites'))}</dt><dd><b>{e(', '.join(g.hosts))}</b></dd>"
            f"<dt>{e(_('seen on'))}</dt><dd>{e(', '.join(g.paths))}</dd>"
            f'<dt>{e(_("issuer"))}</dt><dd class="hash">{e(g.issuer)}</dd>'
            f'<dt>{e(_("root SHA-256"))}</dt><dd class="hash">{e(g.root_sha256 or _("none presented"))}</dd>'
            f"</dl><ul>{signals}</ul></div>"
        )
    if not cards:
        return ""
    return f'<h2>{e(_("Interception details"))}</h2><div class="cards">{"".join(cards)}</div>'


def _trust(profile: Profile) -> str:
    trust = profile.trust_store
    roots = trust.known_interception_roots
    src = f'<p class="note">{h(N_("Checked: {source}"), source=e(store_text(trust.source)))}</p>'
    heading = e(_("This device's trust store"))
    if not roots:
        none = e(_("No known interception root is trusted by this device."))
        return f"<h2>{heading}</h2><p>{none}</p>{src}"
    cards = "".join(
        f'<div class="card bad"><h3>{e(r.known_as)}</h3>'
        f"<dl><dt>{e(_('subject'))}</dt><dd>{e(r.subject)}</dd>"
        f'<dt>SHA-256</dt><dd class="hash">{e(r.sha256)}</dd></dl></div>'
        for r in roots
    )
    how = e(removal_msg(trust.source).render())
    return (
        f"<h2>{heading}</h2><p><b>{e(_('This device trusts a known interception root.'))}</b> "
        f'{h(N_("Remove it — {how}."), how=how)}</p><div class="cards">{cards}</div>{src}'
    )


def _portal(profile: Profile) -> str:
    portal = profile.network.portal
    if portal is None:
        return ""
    if portal.detected is None:
        state = h(N_("The portal check could not run ({failure})."), failure=e(portal.failure))
    elif portal.detected:
        state = e(_("The network answered the portal check with its own page."))
    else:
        state = e(_("No portal: the check URL gave its known answer."))
    certs = portal.offered_certificates
    cards = []
    for c in certs:
        known = (
            f'<p><span class="known">{e(_("known interception root"))}</span> {e(c.known_as)}</p>'
            if c.known_as
            else ""
        )
        flags = []
        if c.anchors_interception:
            flags.append(_("already used to intercept HTTPS on this network"))
        if c.in_device_store:
            flags.append(_("this device already trusts it — remove it"))
        if c.over == "http":
            flags.append(_("served over plain HTTP: anyone on the path could swap it"))
        cards.append(
            f'<div class="card bad"><h3>{h(N_("Do not install: {name}"), name=e(issuer_name(c.subject)))}</h3>{known}<dl>'
            f"<dt>{e(_('subject'))}</dt><dd>{e(c.subject)}</dd>"
            f'<dt>SHA-256</dt><dd class="hash">{e(c.sha256)}</dd>'
            f"</dl><ul>{''.join(f'<li>{e(x)}</li>' for x in flags)}</ul></div>"
        )
    offered = (
        "<p><b>" + e(ngettext("This network offers {n} certificate to install. Do not install it.",
                              "This network offers {n} certificates to install. Do not install them.", len(certs)))
        + f'</b></p><div class="cards">{"".join(cards)}</div>'
        if certs
        else ""
    )
    return f"<h2>{e(_('Network login page (portal)'))}</h2><p>{state}</p>{offered}"


def _how_blocked(profile: Profile) -> str:
    """The "how this network blocks" card: one line per diagnosed unreached site (issue 17)."""
    seen = blocked_sites(profile)
    if not seen:
        return ""
    items = "".join("<li>" + h(N_("{target} on {path}: {how}"), target=f"<b>{e(target)}</b>",
                               path=f"<code>{e(pid)}</code>", how=e(blocking_line(b))) + "</li>"
                    for pid, target, b in seen)
    note = e(_("Found by a second handshake to the same server with another name, and by sending the TLS hello "
               "split; splitting never changes a site's verdict."))
    return (f'<section class="card" id="blocking"><h2>{e(_("How this network blocks"))}</h2><ul>{items}</ul>'
            f'<p class="note">{note}</p></section>')


def render_html(profile: Profile, lang: str | None = None) -> str:
    """The report as one HTML document in ``lang`` (default: the current language; ``<html lang>`` says
    which): the recommendation and advice, the paths × sites matrix, the portal, interception findings and
    the trust store. It loads nothing from elsewhere (its :data:`CSP` forbids it).
    """
    with using(lang or get_language()) as chosen:
        label = profile.label
        title = _("pathprobe — {label}", label=label) if label else _("pathprobe report")
        return f"""<!DOCTYPE html>
<html lang="{e(chosen)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pathprobe {e(profile.tool_version)}">
<title>{e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
{report_body(profile)}</main>
</body>
</html>
"""


def report_body(profile: Profile, lang: str | None = None) -> str:
    """The report's content without the document around it (``pathprobe ui`` puts it in its page):
    header, recommendation and advice, matrix, portal, interception, trust store and footer, in ``lang``
    (default: the current language).
    """
    with using(lang or get_language()):
        return _body(profile)


def _body(profile: Profile) -> str:
    net = profile.network
    rec = profile.recommendation
    ranked = list(rec.ranked)
    sev = severity(profile)
    label = profile.label
    title = _("pathprobe — {label}", label=label) if label else _("pathprobe report")
    best = rec.path
    if best:
        best_path = profile.path(best)
        shown = path_title(best_path) if best_path else path_msg(best).render()
        rec_line = h(N_("Use: {path} {id}"), path=e(shown), id=f"<code>{e(best)}</code>")
    else:
        rec_line = e(_("No path kept HTTPS intact here"))
    conn = str(net.connectivity or "unknown")
    conn_cls = Severity.GOOD if conn == Connectivity.ONLINE else Severity.WARN
    glossary = "".join(f"<dt>{e(verdict_word(k))}</dt><dd>{e(_(v))}</dd>" for k, v in VERDICT_TEXT.items())
    network = h(N_("network: {state}"), state=f'<span class="chip {conn_cls}">{e(verdict_word(conn))}</span>')
    verdict = h(N_("verdict: {state}"), state=f'<span class="chip {sev}" id="verdict">{e(_(SEVERITY_WORD[sev]))}</span>')
    made = h(N_("Made by pathprobe {version} from a saved profile ({schema})."), version=e(profile.tool_version),
             schema=e(profile.schema))
    ranking = e(_("Paths are ranked by privacy (Tor, VPN/proxy, encrypted DNS, plain network), then speed."))
    return f"""<header>
<h1>{e(title)}</h1>
<div class="meta">{e(shown_time(profile.created))} · {network}
 · {verdict}</div>
</header>
<section class="advice {sev}" id="advice">
<div class="rec">{rec_line}</div>
<p>{e(advice_text(profile))}</p>
</section>
<h2>{e(_("Paths × sites"))}</h2>
{_matrix(profile, ranked)}
{_how_blocked(profile)}
{_portal(profile)}
{_findings(profile)}
{_trust(profile)}
<footer>
<dl>{glossary}</dl>
<p>{made}
{ranking}</p>
</footer>
"""
