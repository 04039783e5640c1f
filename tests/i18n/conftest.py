"""Every test here leaves the process English again: ``main()`` sets the process's language and, in
Russian or Kazakh, routes click's words through the catalogs (:mod:`pathprobe.cli.clickmessages`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from pathprobe import i18n


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    yield
    i18n.set_language("en")
    words = sys.modules.get("pathprobe.cli.clickmessages")
    if words is not None:
        words.install()
