"""``pathprobe summary`` (profile -> anonymised summary) and ``pathprobe submit`` (send to a collector)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from pathprobe.errors import BadInput
from pathprobe.i18n import _, format_number, ngettext
from pathprobe.report.safe import clip, safe_json, term_safe

SHOWN_MESSAGE = 300
"""At most this many characters of a collector's message are shown (it chose the message and its length)."""


def summary(
    profile: Path = typer.Argument(..., help="A saved profile (JSON), e.g. from `pathprobe check --out`."),
    country: str = typer.Option(None, "--country", help="Two-letter country code to include (e.g. KZ)."),
    asn: str = typer.Option(None, "--asn", help="AS number of the network to include (e.g. 9198)."),
    out: Path = typer.Option(None, "--out", help="Write the summary here instead of printing it."),
) -> None:
    """Make an anonymised summary of a profile, for sharing with an NGO collector.

    It keeps path verdicts and interception findings (issuer, root fingerprint, catalogue hosts), the
    day and the tool version; country and ASN only when given. Never the label, addresses, bridge
    lines, VPN endpoints or keys, or hosts outside the shipped catalogue.
    """
    from pathprobe.profile import load_profile
    from pathprobe.summary.anonymise import parse_asn, parse_country, summarise

    cc = parse_country(country)
    as_number = parse_asn(asn)
    data = summarise(load_profile(profile), country=cc, asn=as_number)
    text = safe_json(data)  # a summary holds names from the network: no raw control character in it
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, "utf-8")
    except OSError as exc:
        raise BadInput(_("--out {path}: cannot write: {reason}", path=out, reason=exc.strerror)) from None
    _say(_("summary {id} written to {path}", id=term_safe(data["id"]), path=term_safe(out)), err=True)


def _say(text: str, err: bool = False) -> None:
    """Print one message whose values were made safe (:func:`term_safe`) before they were put in."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def submit(
    summaries: list[Path] = typer.Argument(
        None, help="Summary files (from `pathprobe summary`). None: send the queue."
    ),
    collector: str = typer.Option(
        ...,
        "--collector",
        envvar="PATHPROBE_COLLECTOR",
        help="The collector's base URL (https://...; http only to this machine).",
    ),
    token: str = typer.Option(
        ...,
        "--token",
        envvar="PATHPROBE_TOKEN",
        help="The token the collector's operator gave you (or PATHPROBE_TOKEN).",
    ),
    attempts: int = typer.Option(4, "--attempts", help="Tries per summary before queueing it."),
    backoff: float = typer.Option(0.5, "--backoff", help="Seconds before the first retry (doubling)."),
    timeout: float = typer.Option(
        10.0, "--timeout", help="Seconds allowed for each request in all (connecting, sending, the answer)."
    ),
    proxy: str = typer.Option(
        None,
        "--proxy",
        help="Send through this proxy so the collector does not see your address: socks5h://HOST:PORT "
        "(e.g. Tor's SOCKS port, socks5h://127.0.0.1:9050), socks5:// or http://.",
    ),
    tor: bool = typer.Option(
        False, "--tor", help="Start a private tor client for the upload: the collector sees a Tor exit, not you."
    ),
    tor_config: Path = typer.Option(
        None,
        "--tor-config",
        help="With --tor: extra torrc lines for that tor (e.g. UseBridges 1 and Bridge lines where Tor is blocked).",
    ),
) -> None:
    """Send summaries to a collector; what cannot be sent now waits in an offline queue.

    Queued summaries go first. Exit 0 when every summary was stored or queued; 1 when the collector
    refused one (the message says why); 2 on bad input (a file that is not a summary, a bad URL).
    """
    from pathprobe.summary.queue import Queue
    from pathprobe.summary.submit import (
        ACCEPTED,
        DUPLICATE,
        QUEUED,
        Outcome,
        Submitter,
        load_summary_file,
        submit_all,
        tor_options,
    )

    if not 1 <= attempts <= 20:
        raise BadInput(_("--attempts must be from 1 to 20"))
    if not 0 <= backoff <= 60 or not 0 < timeout <= 300:
        raise BadInput(_("--backoff must be 0-60 seconds and --timeout 0-300 seconds"))
    if tor and proxy:
        raise BadInput(_("give --tor or --proxy, not both"))
    if tor_config is not None and not tor:
        raise BadInput(_("--tor-config goes with --tor"))
    options = tor_options(tor_config) if tor_config is not None else []
    loaded = [load_summary_file(p) for p in summaries or []]
    submitter = Submitter(collector, token, attempts=attempts, backoff=backoff, timeout=timeout, proxy=proxy)
    queue = Queue()
    taken = (ACCEPTED, DUPLICATE, QUEUED)

    def report(o: Outcome) -> None:
        # The message may quote the collector's error body: hostile text, shown escaped and cut short.
        msg = clip(o.message, SHOWN_MESSAGE)
        sid = term_safe(o.summary_id)
        if o.status == ACCEPTED:
            _say(_("{id}: stored ({message})", id=sid, message=msg) if msg else _("{id}: stored", id=sid))
        elif o.status == DUPLICATE:
            _say(_("{id}: already stored ({message})", id=sid, message=msg) if msg
                 else _("{id}: already stored", id=sid))
        elif o.status == QUEUED:
            _say(_("{id}: queued ({message})", id=sid, message=msg) if msg else _("{id}: queued", id=sid))
        else:
            _say(_("{id}: refused by the collector (HTTP {status}): {message}", id=sid,
                   status=o.http_status, message=msg))

    try:
        if tor:
            _say(_("starting a private tor client for the upload..."), err=True)
            submitter.start_tor(options)
            if submitter.unavailable:
                _say(_("pathprobe: {reason}; summaries stay queued", reason=term_safe(submitter.unavailable)),
                     err=True)
        outcomes = submit_all(loaded, submitter, queue, report)
    finally:
        submitter.close()
    if not outcomes:
        _say(_("nothing to send: no summary given and the queue is empty"))
    waiting = len(queue)
    if waiting:
        _say(
            ngettext(
                "{n} summary in the offline queue ({path}); run `pathprobe submit` again when the collector"
                " can be reached",
                "{n} summaries in the offline queue ({path}); run `pathprobe submit` again when the"
                " collector can be reached",
                waiting,
                n=format_number(waiting),
                path=term_safe(queue.root),
            ),
            err=True,
        )
    if any(o.status not in taken for o in outcomes):
        raise typer.Exit(1)
