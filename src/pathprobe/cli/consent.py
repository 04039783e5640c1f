"""Informed consent before the first real check (as OONI Probe asks before its first run)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pathprobe.errors import ConsentRequired

NOTICE = """\
Before you run pathprobe on this network, know what a check does:

  * It connects to every site, resolver, Tor relay or bridge and VPN server in the plan, from this
    device, as any browser would. Your network operator (the hotel, the ISP, the state) can see which
    names and addresses you contact, and that they look like a test. Some plans name sites that are
    blocked where you are; contacting them may draw attention.
  * It sends no data about you anywhere. The profile stays on this device unless you share it.
    `pathprobe summary` makes an anonymised version; only `pathprobe submit` sends one, to the
    collector you name.
  * In some countries, testing for censorship or using circumvention tools is itself risky or illegal.
    Only run a check if you accept that risk.
"""


def _config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pathprobe"


def consent_file() -> Path:
    return _config_dir() / "consent"


def has_consent(accept_risk: bool) -> bool:
    if accept_risk or os.environ.get("PATHPROBE_ACCEPT_RISK") == "1":
        return True
    return consent_file().is_file()


def ensure_consent(accept_risk: bool) -> None:
    """Return when consent is given; ask on a terminal; otherwise raise :class:`ConsentRequired` (exit 3)."""
    if has_consent(accept_risk):
        return
    if not sys.stdin.isatty():
        raise ConsentRequired(
            "a check needs your informed consent first. Run `pathprobe check` once in a terminal to read what "
            "it sends and agree, or pass --accept-risk (or set PATHPROBE_ACCEPT_RISK=1) if you have read it: "
            "see `pathprobe check --help`."
        )
    print(NOTICE, file=sys.stderr)
    answer = input("Type 'yes' to agree and run the check: ").strip().lower()
    if answer != "yes":
        raise ConsentRequired("no consent given; nothing was sent")
    try:
        consent_file().parent.mkdir(parents=True, exist_ok=True)
        consent_file().write_text("accepted\n", "utf-8")
    except OSError:
        pass
