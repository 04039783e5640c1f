"""Headless Debian Chromium for page tests: one flag set, and no silent skip in CI."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import in_ci

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # no connections of its own (this machine has no internet)
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
)


def require_chromium() -> str:
    """The browser's path; in CI a missing browser fails the test instead of skipping it."""
    if CHROMIUM is None:
        if in_ci():
            pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
        pytest.skip("chromium is not installed (scripts/setup.sh)")
    return CHROMIUM
