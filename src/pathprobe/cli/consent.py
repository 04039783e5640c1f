"""Informed consent before the first real check (as OONI Probe asks before its first run).

A check runs only when one of these holds:

- consent was stored by an earlier run: the file ``$XDG_CONFIG_HOME/pathprobe/consent`` (default
  ``~/.config/pathprobe/consent``) exists — the first interactive run writes it after the person
  types ``yes``; creating it by hand is the configuration setting for managed machines;
- ``--accept-risk`` is given (this run only; nothing is stored);
- ``PATHPROBE_ACCEPT_RISK=1`` is set in the environment (outside checks and CI).

Otherwise, on a terminal the notice is shown on stderr and the answer read from stdin; without a
terminal (scripts, cron) the check stops before sending anything, with one message and **exit code 3**
(:class:`pathprobe.errors.ConsentRequired`). The notice, the prompt and the messages are told in the run's
language (:mod:`pathprobe.i18n`); the answer is ``yes`` or the language's own word for it. Bad input is reported first, whether or not consent was
given, because ``check`` validates everything before it asks.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from pathprobe.errors import ConsentRequired
from pathprobe.i18n import N_, _

NOTICE_VERSION = 1

NOTICE = N_("""\
Before you run pathprobe on this network, know what a check does.

  * What it sends: from this device, it connects to every site, DNS resolver, Tor relay or bridge
    and VPN server in the plan, as a browser or a Tor/VPN client would, and asks each site for its
    front page, reading at most 64 KiB of it to measure the speed. With the default plan that is a
    few dozen well-known sites, public DNS resolvers and Tor's directory authorities and bridges.
    When a site is not reached after the connection was made, the check diagnoses why: it sends a
    second TLS hello with another name (a control site's) to the same server, and tries the site's
    own hello split into pieces, as tools that get past filters do; the network sees these too.
  * Who can see it: whoever runs this network (the hotel, the employer, the ISP, the state) can see
    which names and addresses this device contacts, and may recognise the pattern as a test or as an
    attempt to use Tor or a VPN. Some plans name sites that are blocked where you are; contacting
    them may draw attention.
  * What it does not send: nothing about you goes to pathprobe's authors or anyone else. The profile
    stays on this device unless you share it; `pathprobe summary` makes an anonymised version, and
    only `pathprobe submit` sends one, to the collector you name.
  * The risk: in some countries testing for censorship, or using circumvention tools, is itself
    risky or illegal. Only run a check if you accept that risk for yourself.
""")
"""The notice (English msgid; shown with :func:`notice`)."""

PROMPT = N_("Type 'yes' to agree and run the check (anything else cancels): ")
YES = N_("yes")
"""The answer that agrees (``yes`` is always accepted, and the language's word for it)."""


def notice() -> str:
    """The consent notice in the run's language."""
    return _(NOTICE)


def _config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pathprobe"


def consent_file() -> Path:
    """Where stored consent lives: ``$XDG_CONFIG_HOME/pathprobe/consent`` (default
    ``~/.config/pathprobe/consent``).
    """
    return _config_dir() / "consent"


def has_consent(accept_risk: bool) -> bool:
    """True when ``--accept-risk`` was given, ``PATHPROBE_ACCEPT_RISK=1`` is set or consent was stored;
    never asks.
    """
    if accept_risk or os.environ.get("PATHPROBE_ACCEPT_RISK") == "1":
        return True
    return consent_file().is_file()


def _store() -> None:
    try:
        consent_file().parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        consent_file().write_text(f"accepted notice v{NOTICE_VERSION} on {stamp}\n", "utf-8")
    except OSError as exc:
        print(
            "pathprobe: " + _("note: could not store your consent ({reason}); you will be asked again",
                              reason=exc.strerror),
            file=sys.stderr,
        )


def ensure_consent(accept_risk: bool) -> None:
    """Return when consent is given; ask on a terminal; otherwise raise :class:`ConsentRequired` (exit 3)."""
    if has_consent(accept_risk):
        return
    if not sys.stdin.isatty():
        raise ConsentRequired(
            _("a check needs your informed consent first, and this run has no terminal to ask on. Run "
              "`pathprobe check` once in a terminal to read what it sends and agree, or pass --accept-risk "
              "(or set PATHPROBE_ACCEPT_RISK=1, or create {file}) if you have read it: see "
              "`pathprobe check --help`.", file=consent_file())
        )
    sys.stderr.write(notice() + "\n" + _(PROMPT))
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("yes", _(YES).lower()):
        raise ConsentRequired(_("no consent given; nothing was sent"))
    _store()
