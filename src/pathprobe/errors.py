"""Every error class pathprobe defines, in one tree.

    Exception
     ├── PathprobeError        leaves through the CLI's one exit point (cli/main.py): "pathprobe: MESSAGE"
     │    ├── BadInput         exit 2: one clear message (plans, bridge lines, URLs, profiles, options)
     │    │    └── SummaryError       a summary that does not follow its schema (names the field)
     │    ├── ConsentRequired  exit 3: a non-interactive run without accepted risk
     │    ├── LabError         exit 1: the lab could not do what was asked (a service crashed, a lab is up)
     │    └── Interrupted      exit 130: Ctrl-C or SIGTERM (what the command started was stopped first)
     ├── NetFailure            a network step failed; never leaves a probe: its ``failure`` string
     │                         becomes data in an observation
     └── ValueError
          ├── BadKey           a WireGuard key that is not base64 of 32 bytes
          ├── BadProxyUrl      a socks5:// or http:// proxy URL that cannot be used
          └── BadSsUrl         an ss:// URL that cannot be used
                               (plan validation turns these three into BadInput naming file and key;
                               their messages never repeat the secret they were given)

Network failures are never exceptions at the CLI: they are data (failure strings in observations).
Third-party errors are translated once, where they enter (``raise ... from exc``).
"""

from __future__ import annotations


class PathprobeError(Exception):
    """Base of every error that leaves through the CLI's single exit point."""

    exit_code = 1


class BadInput(PathprobeError):
    """Input the user gave is wrong; the message says what and where."""

    exit_code = 2


class SummaryError(BadInput):
    """A summary that does not follow the schema; the message names the field."""


class ConsentRequired(PathprobeError):
    """A real check needs informed consent first."""

    exit_code = 3


class LabError(PathprobeError):
    """The lab could not do what was asked (a service crashed, a lab is already up); exit 1."""

    exit_code = 1


class Interrupted(PathprobeError):
    """Ctrl-C or SIGTERM; whatever the command had started was stopped before this is raised."""

    exit_code = 130

    def __init__(self, message: str = "interrupted") -> None:
        super().__init__(message)


class NetFailure(Exception):
    """A network step failed; ``failure`` is the normalised string."""

    def __init__(self, failure: str, message: str = "") -> None:
        super().__init__(message or failure)
        self.failure = failure


class BadKey(ValueError):
    """A key that is not base64 of 32 bytes, or not a usable X25519 public key."""


class BadProxyUrl(ValueError):
    """The message never contains the URL (it may hold credentials)."""


class BadSsUrl(ValueError):
    """An ``ss://`` URL that cannot be used; the message never repeats the URL or its secrets."""
