"""``pathprobe summary`` (profile -> anonymised summary) and ``pathprobe submit`` (send to a collector)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from pathprobe.errors import BadInput
from pathprobe.report.safe import clip, safe_json, say

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
        raise BadInput(f"--out {out}: cannot write: {exc.strerror}") from None
    say("summary {} written to {}", data["id"], out, err=True)


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
        raise BadInput("--attempts must be from 1 to 20")
    if not 0 <= backoff <= 60 or not 0 < timeout <= 300:
        raise BadInput("--backoff must be 0-60 seconds and --timeout 0-300 seconds")
    if tor and proxy:
        raise BadInput("give --tor or --proxy, not both")
    if tor_config is not None and not tor:
        raise BadInput("--tor-config goes with --tor")
    options = tor_options(tor_config) if tor_config is not None else []
    loaded = [load_summary_file(p) for p in summaries or []]
    submitter = Submitter(collector, token, attempts=attempts, backoff=backoff, timeout=timeout, proxy=proxy)
    queue = Queue()
    words = {ACCEPTED: "stored", DUPLICATE: "already stored", QUEUED: "queued"}

    def report(o: Outcome) -> None:
        # The message may quote the collector's error body: hostile text, shown escaped and cut short.
        msg = clip(o.message, SHOWN_MESSAGE)
        if o.status in words:
            say("{}: {}{}", o.summary_id, words[o.status], f" ({msg})" if msg else "")
        else:
            say("{}: refused by the collector (HTTP {}): {}", o.summary_id, o.http_status, msg)

    try:
        if tor:
            print("starting a private tor client for the upload...", file=sys.stderr, flush=True)
            submitter.start_tor(options)
            if submitter.unavailable:
                print(f"pathprobe: {submitter.unavailable}; summaries stay queued", file=sys.stderr)
        outcomes = submit_all(loaded, submitter, queue, report)
    finally:
        submitter.close()
    if not outcomes:
        say("nothing to send: no summary given and the queue is empty")
    waiting = len(queue)
    if waiting:
        say(
            "{} summar{} in the offline queue ({}); run `pathprobe submit` again when the collector can be"
            " reached",
            waiting,
            "y" if waiting == 1 else "ies",
            queue.root,
            err=True,
        )
    if any(o.status not in words for o in outcomes):
        raise typer.Exit(1)
