#!/usr/bin/env python3
"""Make the screenshots of ``pathprobe ui`` shown in the README: docs/ui/, in English, Russian and Kazakh.

    .venv/bin/python scripts/ui_screenshots.py            # writes docs/ui/*.png
    .venv/bin/python scripts/ui_screenshots.py --out DIR  # somewhere else

For each language: the consent notice and the answer at 1280 px, and the answer at 390 px (a phone or a
small laptop). The check runs against two real local TLS servers under a lab public CA (the page tests'
network, tests/ui/uihelpers.py): nothing leaves 127.0.0.1. It needs the ``test`` and ``ui`` extras
(Playwright for Python) and Debian's Chromium (/usr/bin/chromium); no browser is downloaded. Ports:
19348-19349 (the page tests' range; do not run it while they run).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

LABELS = {"en": "Hotel lobby", "ru": "Гостиница, лобби", "kk": "Қонақүй фойесі"}
"""The network name typed on the page, in each language."""
ACCEPT = {"en": "I have read this and accept the risk", "ru": "Я прочитал(а) это и принимаю риск",
          "kk": "Мен мұны оқыдым және тәуекелді қабылдаймын"}

HIDE_TRAINER = "document.getElementById('trainer')?.remove()"
"""What a traveller sees: trainer mode (the lab's scenarios) shows only when pathprobe ui runs as root."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "ui", help="folder for the PNG files")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright
    from tests.chromium import CHROMIUM, HEADLESS
    from tests.ui.uihelpers import local_net, run_ui

    if CHROMIUM is None:
        print("ui_screenshots: chromium is not installed (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pp-shots-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=[a for a in HEADLESS if a != "--headless"])
        try:
            for i, lang in enumerate(("en", "ru", "kk")):
                folder = Path(tmp) / lang
                folder.mkdir()
                with local_net(folder) as net, run_ui(folder, 19348 + i % 2, net.check_args(), net.hosts) as ui:
                    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = ctx.new_page()
                    page.goto(f"{ui.url}&lang={lang}")
                    page.screenshot(path=str(out / f"consent-{lang}.png"), full_page=True)
                    page.get_by_role("button", name=ACCEPT[lang]).click()
                    page.locator("#label").fill(LABELS[lang])
                    page.locator("#check-button").click()
                    page.locator("#result #advice").wait_for(timeout=60000)
                    page.mouse.move(0, 0)  # no hover style on the button just clicked
                    page.evaluate("document.activeElement.blur()")
                    page.evaluate(HIDE_TRAINER)
                    page.screenshot(path=str(out / f"result-{lang}.png"), full_page=True)
                    page.set_viewport_size({"width": 390, "height": 844})
                    page.reload()
                    page.locator("#result #advice").wait_for()
                    page.evaluate(HIDE_TRAINER)
                    page.screenshot(path=str(out / f"result-390px-{lang}.png"), full_page=True)
                    ctx.close()
                print(f"ui_screenshots: {lang}: consent-{lang}.png, result-{lang}.png, result-390px-{lang}.png in {out}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
