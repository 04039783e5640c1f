"""The page's HTML (pure): built around the HTML report's own rendering, every string from the catalogs.

Every sentence the page shows is a gettext message (:func:`pathprobe.i18n._`, whole sentences with named
placeholders). The public functions (:func:`page`, :func:`result_part`, :func:`saved_page`)
speak the view's language inside :func:`pathprobe.i18n.using`, so the embedded
report, which follows :func:`pathprobe.i18n.get_language`, comes out in the same language.

The answer is :func:`pathprobe.report.html.report_body` (the report's recommendation and advice, matrix,
portal, interception and trust-store cards), not a second copy of it. Every value that comes from the
network, the plan, a saved file or the person is escaped (:func:`pathprobe.report.html.e`). No inline
script or event handler: ``/static/app.js`` adds the live parts, and everything works without it (a
running check refreshes the page by itself, ``<noscript>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pathprobe.cli.consent import notice as consent_notice
from pathprobe.i18n import N_, _, format_datetime, format_number, get_language, ngettext, translations, using
from pathprobe.profile import Profile
from pathprobe.report.html import SEVERITY_WORD, e, report_body
from pathprobe.report.safe import safe_json
from pathprobe.report.view import severity
from pathprobe.ui.history import Entry
from pathprobe.ui.i18n import LANGUAGES
from pathprobe.ui.jobs import DONE, FAILED, RUNNING, Job
from pathprobe.ui.trainer import ScenarioInfo

CHECKING = N_("Checking the paths ({n}): {s} s")
"""The live status while a check runs: ``{n}`` paths, ``{s}`` seconds so far."""
FINISHED = N_("Finished in {s} s")
REFRESH_SECONDS = 2
"""Without JavaScript, a page showing a running check reloads itself this often."""


@dataclass
class View:
    """What one rendering of the page shows."""

    lang: str
    consent: bool
    job: Job | None = None
    summary: dict[str, Any] | None = None
    sent: list[tuple[str, str]] = field(default_factory=list)
    history: list[Entry] = field(default_factory=list)
    scenarios: list[ScenarioInfo] | None = None
    """Trainer mode's scenarios (None: trainer mode is off)."""
    notice: str | None = None
    """A one-time message from the last form (an error, or what was done)."""
    plan: str = ""
    """What the check button runs: the plan files given (empty: the shipped default plan)."""
    collector: str = ""
    """The collector URL to propose (``PATHPROBE_COLLECTOR``)."""


def _told(text: str) -> str:
    """A lab scenario's title or description in the page's language (the catalogs hold every shipped
    scenario's; another scenario's shows as written)."""
    return translations(get_language()).gettext(text) if text else ""


def page(v: View) -> str:
    """The whole page, in the view's language."""
    with using(v.lang):
        return _page(v)


def _page(v: View) -> str:
    running = v.job is not None and v.job.state == RUNNING
    # An explicit URL without a fragment: after a form the page is at /#progress, and a refresh to the
    # same URL with a fragment is a same-document navigation (no reload: the answer never came).
    refresh = f'<noscript><meta http-equiv="refresh" content="{REFRESH_SECONDS}; url=/"></noscript>' if running else ""
    body = consent_section(v) if not v.consent else (
        check_section(v) + progress_section(v) + f'<section id="result" aria-live="polite">{_result_part(v)}</section>'
        + history_section(v) + trainer_section(v)
    )
    return shell(v.lang, _("pathprobe: check this network"), body, v, head=refresh)


def shell(lang: str, title: str, body: str, v: View | None = None, head: str = "") -> str:
    """The document around ``body``: the header with the language switch, the stylesheets and the script."""
    notice = ""
    if v is not None and v.notice:
        notice = f'<div class="notice" role="alert" id="notice"><p>{e(v.notice)}</p></div>'
    switch = "".join(
        f'<button type="submit" name="lang" value="{code}" lang="{code}" '
        f'aria-pressed="{"true" if code == lang else "false"}">{e(name)}</button>'
        for code, name in LANGUAGES.items()
    )
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>{e(title)}</title>
<link rel="stylesheet" href="/static/report.css">
<link rel="stylesheet" href="/static/ui.css">
<script src="/static/app.js" defer></script>
{head}
</head>
<body>
<a class="skip" href="#main">{e(_("Skip to the main content"))}</a>
<header class="bar">
<p class="brand"><a href="/">pathprobe</a></p>
<form method="post" action="/lang" class="langs" aria-label="{e(_("Language"))}">
<span class="langs-label">{e(_("Language"))}:</span> {switch}
</form>
</header>
<main id="main" tabindex="-1">
{notice}
{body}
</main>
</body>
</html>
"""


def consent_section(v: View) -> str:
    """The consent notice (the CLI's own text, in the view's language) and the accept button."""
    lines = consent_notice().strip().splitlines()
    heading, items, cur = lines[0], [], ""
    for line in lines[1:]:
        if line.strip().startswith("* "):
            if cur:
                items.append(cur)
            cur = line.strip()[2:]
        elif line.strip():
            cur += " " + line.strip()
    if cur:
        items.append(cur)
    bullets = "".join(f"<li>{e(item)}</li>" for item in items)
    return f"""<section id="consent" class="panel" aria-labelledby="consent-h">
<h1 id="consent-h">{e(_("Before the first check"))}</h1>
<p>{e(heading)}</p>
<ul>{bullets}</ul>
<form method="post" action="/consent">
<button type="submit" class="primary" id="accept">{e(_("I have read this and accept the risk"))}</button>
</form>
<p class="note">{e(_("Your answer is stored on this computer, as the command line stores it; you will not be asked again."))}</p>
</section>"""


def check_section(v: View) -> str:
    """The check button (and an optional name for this network)."""
    running = v.job is not None and v.job.state == RUNNING
    disabled = " disabled" if running else ""
    return f"""<section id="check" class="panel" aria-labelledby="check-h">
<h1 id="check-h">{e(_("Which way of reaching the web keeps HTTPS intact on this network?"))}</h1>
<form method="post" action="/check" data-live="check" id="check-form">
<p><label for="label">{e(_("A name for this network (optional, kept on this computer only)"))}</label>
<input type="text" id="label" name="label" maxlength="100" autocomplete="off"></p>
<button type="submit" class="primary" id="check-button"{disabled}>{e(_("Check this network"))}</button>
</form>
<p class="note">{e(_("The check runs this plan: {plan}.", plan=v.plan) if v.plan else _("The check runs the shipped default plan."))}</p>
</section>"""


def progress_section(v: View) -> str:
    """Live progress per path (the page's bars, like the terminal's); hidden when nothing ran."""
    job = v.job
    words = {  # templates for the page's script, which fills in {n} and {s}
        "data-t-waiting": _("waiting"),
        "data-t-done": _("done"),
        "data-t-checking": _(CHECKING, n="{n}", s="{s}"),
        "data-t-finished": _(FINISHED, s="{s}"),
        "data-t-failed": _("The check could not run"),
    }
    attrs = " ".join(f'{k}="{e(v_)}"' for k, v_ in words.items())
    if job is None:
        return f'<section id="progress" class="panel" aria-labelledby="progress-h" data-state="idle" {attrs} hidden>' \
               f'<h2 id="progress-h">{e(_("Progress"))}</h2><p id="progress-status" role="status"></p>' \
               f'<ul id="paths" class="paths"></ul><pre id="log" class="log" hidden></pre></section>'
    secs = format_number(job.elapsed())
    if job.state == RUNNING:
        status = _(CHECKING, n=len(job.progress), s=secs)
    elif job.state == DONE:
        status = _(FINISHED, s=secs)
    else:
        status = _("The check could not run")
    rows = "".join(_path_row(pid, done, total) for pid, (done, total) in job.progress.items())
    log = "\n".join(job.log[-60:])
    title = f"<p><b>{e(_told(job.title))}</b></p>" if job.title else ""
    return f"""<section id="progress" class="panel" aria-labelledby="progress-h" data-state="{e(job.state)}" {attrs}>
<h2 id="progress-h">{e(_("Progress"))}</h2>{title}
<p id="progress-status" role="status">{e(status)}</p>
<ul id="paths" class="paths">{rows}</ul>
<pre id="log" class="log"{"" if job.log else " hidden"}>{e(log)}</pre>
</section>"""


def _path_row(pid: str, done: int, total: int) -> str:
    word = (f"✓ {_('done')}" if done >= total else f"{min(done, total)}/{total}") if total else _("waiting")
    return (
        f'<li data-path="{e(pid)}"><span class="path-id">{e(pid)}</span>'
        f'<progress max="{max(total, 1)}" value="{min(done, total)}" aria-label="{e(pid)}"></progress>'
        f'<span class="word">{e(word)}</span></li>'
    )


def result_part(v: View) -> str:
    """The answer (or the one clear message when the check could not run), then what can be done with it,
    in the view's language."""
    with using(v.lang):
        return _result_part(v)


def _result_part(v: View) -> str:
    job = v.job
    if job is None or job.state == RUNNING:
        return ""
    if job.state == FAILED:
        return (
            f'<div class="error" role="alert" id="check-error"><h2 id="result-h" tabindex="-1">'
            f'{e(_("The check could not run"))}</h2><p>{e(job.error)}</p></div>'
        )
    assert job.state == DONE
    lab = ""
    if job.lab is not None:
        lab = lab_result(job)
    if job.profile is None:
        return lab
    return (
        f'<h2 id="result-h" class="answer-h" tabindex="-1">{e(_("The answer"))}</h2>{lab}'
        f'<div class="report">{report_body(job.profile)}</div>{actions(v, job.profile)}'
    )


def lab_result(job: Job) -> str:
    """A lab check's scenario (what the censor does) next to each expectation and whether it held."""
    lab = job.lab
    assert lab is not None
    items = "".join(
        f'<li class="{"pass" if ok else "fail"}"><b>{"✓ " + e(_("met")) if ok else "✗ " + e(_("not met"))}'
        f"</b> <code>{e(line)}</code></li>"
        for ok, line in lab.outcomes
    )
    met = sum(1 for ok, _line in lab.outcomes if ok)
    return f"""<section class="panel lab-result" aria-labelledby="lab-h">
<h2 id="lab-h">{e(_("Lab scenario: {title}", title=_told(lab.title)))}</h2>
<div class="two">
<div><h3>{e(_("What the censor does"))}</h3><p class="desc">{e(_told(lab.description))}</p></div>
<div><h3>{e(ngettext("{met} of {n} expectation met ({s} s)", "{met} of {n} expectations met ({s} s)", len(lab.outcomes), met=met, s=format_number(lab.seconds, 1)))}</h3>
<ul class="outcomes">{items}</ul></div>
</div>
</section>"""


def actions(v: View, profile: Profile) -> str:
    """Save the profile and the report, keep the profile in the history, make and send the summary."""
    summary = ""
    if v.summary is not None:
        sent = "".join(f"<li><b>{e(word)}</b> {e(msg)}</li>" for word, msg in v.sent)
        summary = f"""<h3 id="summary-h">{e(_("Anonymised summary"))}</h3>
<pre id="summary" class="summary" tabindex="0">{e(safe_json(v.summary))}</pre>
<p><a class="button" href="/summary.json" download="pathprobe-summary.json">{e(_("Save the summary"))}</a></p>
<form method="post" action="/submit" id="submit-form" class="stack">
<h3>{e(_("Send the summary to a collector"))}</h3>
<p><label for="collector">{e(_("Collector address (https://…)"))}</label>
<input type="url" id="collector" name="collector" value="{e(v.collector)}" required autocomplete="off"></p>
<p><label for="token">{e(_("Token from the collector's operator"))}</label>
<input type="password" id="token" name="token" required autocomplete="off"></p>
<p><label for="proxy">{e(_("Send through this proxy (optional, e.g. socks5h://127.0.0.1:9050)"))}</label>
<input type="text" id="proxy" name="proxy" autocomplete="off"></p>
<p><input type="checkbox" id="tor" name="tor" value="1"> <label for="tor">{e(_("Send through a private Tor client (the collector sees a Tor exit, not you; takes a minute)"))}</label></p>
<button type="submit">{e(_("Send"))}</button>
</form>
<ul id="sent">{sent}</ul>"""
    return f"""<section id="actions" class="panel" aria-labelledby="actions-h">
<h2 id="actions-h">{e(_("Keep or share this result"))}</h2>
<p class="buttons">
<a class="button" id="save-profile" href="/profile.json" download="pathprobe-profile.json">{e(_("Save the profile (JSON)"))}</a>
<a class="button" id="save-report" href="/report.html" download="pathprobe-report.html">{e(_("Save the report (HTML)"))}</a>
</p>
<form method="post" action="/history/save"><button type="submit" id="keep">{e(_("Keep it in this computer's history"))}</button></form>
<form method="post" action="/summary" class="stack" id="summary-form">
<h3>{e(_("Make an anonymised summary"))}</h3>
<p class="note">{e(_("A summary keeps the paths' verdicts and interception findings, the day and the tool version; never this network's name, addresses, bridge lines, VPN endpoints or keys. Country and network number only if you give them."))}</p>
<p><label for="country">{e(_("Country code (optional, e.g. KZ)"))}</label>
<input type="text" id="country" name="country" maxlength="2" autocomplete="off"></p>
<p><label for="asn">{e(_("Network number, ASN (optional)"))}</label>
<input type="text" id="asn" name="asn" maxlength="12" inputmode="numeric" autocomplete="off"></p>
<button type="submit" id="make-summary">{e(_("Make the summary"))}</button>
</form>
{summary}
</section>"""


def history_section(v: View) -> str:
    """This machine's saved profiles, newest first, each with what changed since the previous one."""
    if not v.history:
        items = f'<p class="note">{e(_("No saved profile yet. After a check, keep it in this computer’s history to compare later checks of the same network."))}</p>'
    else:
        rows = []
        for entry in v.history:
            rows.append(_history_row(entry))
        items = f'<ul class="history">{"".join(rows)}</ul>'
    return f"""<section id="history" class="panel" aria-labelledby="history-h">
<h2 id="history-h">{e(_("History on this computer"))}</h2>
{items}
</section>"""


def _history_row(entry: Entry) -> str:
    name = e(entry.name)
    delete = (
        f'<form method="post" action="/history/delete" class="inline"><input type="hidden" name="name" value="{name}">'
        f'<button type="submit">{e(_("Delete"))}</button></form>'
    )
    p = entry.profile
    if p is None:
        return f"<li><b>{name}</b>: {e(entry.problem)} {delete}</li>"
    sev = severity(p)
    label = p.label or _("(no name)")
    if entry.changes is None:
        changes = f'<p class="note">{e(_("The first saved check of this network."))}</p>'
    else:
        changes = (
            f"<details><summary>{e(_('What changed since the check before'))}</summary>"
            f'<pre class="diff">{e(entry.changes)}</pre></details>'
        )
    return (
        f'<li><b>{e(label)}</b> <span class="note">{e(format_datetime(p.created or ""))}</span> '
        f'<span class="chip {sev}">{e(_(SEVERITY_WORD[sev]))}</span> '
        f'<a href="/history/{name}">{e(_("Show"))}</a> '
        f'<a href="/history/{name}?download=1" download="pathprobe-{name}">{e(_("Download"))}</a> '
        f"{delete}{changes}</li>"
    )


def trainer_section(v: View) -> str:
    """Trainer mode: the lab's scenarios, each with what its censor does, and a button to run one."""
    if v.scenarios is None:
        return ""
    running = v.job is not None and v.job.state == RUNNING
    options = "".join(
        f'<li><input type="radio" name="scenario" id="scn-{e(s.name)}" value="{e(s.name)}"{" checked" if i == 0 else ""}>'
        f' <label for="scn-{e(s.name)}"><b>{e(_told(s.title))}</b> <code>{e(s.name)}</code></label>'
        f"<details><summary>{e(_('What the censor does'))}</summary><p>{e(_told(s.description))}</p></details></li>"
        for i, s in enumerate(v.scenarios)
    )
    return f"""<section id="trainer" class="panel" aria-labelledby="trainer-h">
<h2 id="trainer-h">{e(_("Trainer mode: lab scenarios"))}</h2>
<p class="note">{e(_("Each scenario builds a censored network on this computer (no traffic leaves it), runs the check inside it and compares the answer with what the scenario expects."))}</p>
<form method="post" action="/lab" data-live="lab" id="lab-form">
<fieldset><legend>{e(_("Scenario"))}</legend><ul class="scenarios">{options}</ul></fieldset>
<button type="submit" id="lab-button"{" disabled" if running else ""}>{e(_("Run the lab check"))}</button>
</form>
</section>"""


def saved_page(lang: str, name: str, profile: Profile) -> str:
    """One saved profile's report in the page, in ``lang``."""
    with using(lang):
        return _saved_page(lang, name, profile)


def _saved_page(lang: str, name: str, profile: Profile) -> str:
    back = f'<p><a href="/#history">{e(_("Back to the check"))}</a></p>'
    body = f'{back}<section id="result"><div class="report">{report_body(profile)}</div></section>{back}'
    return shell(lang, _("Saved check {name}", name=name), body)


def snapshot(job: Job | None) -> dict[str, Any]:
    """The live view's data for the page's script (JSON; the script sets it as text, never as HTML)."""
    if job is None:
        return {"state": "idle"}
    return {
        "state": job.state,
        "kind": job.kind,
        "number": job.number,
        "elapsed": round(job.elapsed(), 1),
        "paths": [[pid, done, total] for pid, (done, total) in job.progress.items()],
        "log": job.log[-60:],
        "title": job.title,
    }
