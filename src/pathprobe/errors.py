"""The user-facing error hierarchy.

    PathprobeError
     ├── BadInput        -> exit 2, one clear message (plans, bridge lines, URLs, profiles, options)
     └── ConsentRequired -> exit 3 (non-interactive run without accepted risk)

Network failures are never exceptions at this level: they are data (failure strings in observations).
"""

from __future__ import annotations


class PathprobeError(Exception):
    """Base of every error that leaves through the CLI's single exit point."""

    exit_code = 1


class BadInput(PathprobeError):
    """Input the user gave is wrong; the message says what and where."""

    exit_code = 2


class ConsentRequired(PathprobeError):
    """A real check needs informed consent first."""

    exit_code = 3
