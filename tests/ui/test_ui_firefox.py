"""``pathprobe ui`` in Firefox: Debian's Firefox ESR, headless, driven over WebDriver BiDi
(tests/ui/firefox.py; Playwright cannot drive a stock Firefox).

Covered: the page loads with the token (and the cookie after it), the consent, the check run by the
page's script (live progress over server-sent events, the answer put in place without a reload), no
console error (a CSP violation is one), the language switch, a screenshot that is not blank; and with
JavaScript switched off in the profile: the answer after a reload, and a new check run by the form and
the ``<noscript>`` refresh; and a phone-sized window (390 px) in Kazakh with nothing scrolling
sideways; the Tab order to the accept and check buttons. Not covered in Firefox (Chromium's Playwright tests cover them): the focus
ring, Enter on a button, downloads, summary and history.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ui.firefox import firefox, require_firefox
from tests.ui.uihelpers import local_net, run_ui

PORT = 19344
KEYBOARD_PORT = 19345


def test_the_page_in_firefox_with_and_without_javascript(tmp_path: Path) -> None:
    require_firefox()
    with local_net(tmp_path) as net, run_ui(tmp_path, PORT, net.check_args(), net.hosts) as ui:
        with firefox(tmp_path) as tab:
            tab.goto("about:blank")
            blank = len(tab.screenshot())
            tab.bidi.command("session.subscribe", events=["log.entryAdded"])
            tab.goto(ui.url)
            assert tab.js("document.documentElement.lang") == "en"
            assert "Who can see it" in tab.text("#consent")
            assert tab.count("#check-button") == 0  # consent first
            tab.js("document.getElementById('accept').click()")
            tab.wait("document.getElementById('check-button') !== null")
            assert tab.js("location.search") == ""  # after the token in the URL, the cookie carries it

            # The script runs the check: no navigation (a marker in the page survives), live progress.
            tab.js("window.ppMarker = 1; document.getElementById('label').value = 'Firefox'; "
                   "document.getElementById('check-button').click()")
            tab.wait("document.querySelector('#result #advice') !== null", within=40)
            assert tab.js("window.ppMarker") == 1
            assert "✓ done" in tab.text('#paths li[data-path="direct"]')
            assert re.fullmatch(r"Finished in \d+ s", tab.text("#progress-status"))
            assert "Use:" in tab.text("#result #advice")
            assert tab.js("document.activeElement.id") == "result-h"
            shot = tab.screenshot()
            assert shot.startswith(b"\x89PNG") and len(shot) > 4 * blank, (len(shot), blank)

            # The language switch (a form post): the page in Russian.
            tab.js("document.querySelector('button[name=lang][value=ru]').click()")
            tab.wait("document.documentElement.lang === 'ru'")
            assert tab.text("#check-button") == "Проверить эту сеть" and tab.text("#result-h") == "Ответ"
            errors = [e["params"] for e in tab.bidi.events
                      if e.get("method") == "log.entryAdded" and e["params"].get("level") == "error"]
            assert errors == [], errors

        # JavaScript off: the answer is in the page after a reload, and a new check runs by the form.
        with firefox(tmp_path, javascript=False) as tab:
            tab.goto(ui.url)
            assert tab.js("document.title") and tab.count("#result #advice") == 1
            assert "Use:" in tab.text("#result #advice")
            tab.js("window.ppMarker = 1; document.getElementById('check-form').requestSubmit()")
            # The POST answers with the page; while the check runs, <noscript> refreshes it.
            tab.wait("window.ppMarker === undefined && document.querySelector('#result #advice') !== null", within=40)
            assert "✓" in tab.text("#progress")
            shot = tab.screenshot()
            assert shot.startswith(b"\x89PNG") and len(shot) > 4 * blank, (len(shot), blank)

        # A phone-sized window, in Kazakh (the longest words): the answer fits, nothing scrolls sideways.
        with firefox(tmp_path, javascript=False) as tab:
            # (a headless window is at least 500 px wide: the viewport is set as a phone's)
            tab.bidi.command("browsingContext.setViewport", context=tab.context,
                             viewport={"width": 390, "height": 844})
            tab.goto(ui.url + "&lang=kk")
            assert tab.js("document.documentElement.lang") == "kk"
            assert tab.count("#result #advice") == 1
            assert tab.js("window.innerWidth") == 390, tab.js("window.innerWidth")
            assert tab.js("document.documentElement.scrollWidth <= window.innerWidth"), tab.js(
                "[document.documentElement.scrollWidth, window.innerWidth]")


def test_the_page_by_keyboard_alone_in_firefox(tmp_path: Path) -> None:
    """Tab reaches the consent's accept button, then the check button, each activated where the focus
    is: the answer comes.

    The focus ring itself is measured in Chromium (tests/ui/test_ui_browser.py): Firefox does not count
    WebDriver BiDi's keys as keyboard use for ``:focus-visible`` (checked: no Tab stop matched it, with
    or without ``browser.display.show_focus_rings``), so the page's ring is not drawn here."""
    require_firefox()
    with (local_net(tmp_path) as net, run_ui(tmp_path, KEYBOARD_PORT, net.check_args(), net.hosts) as ui,
          firefox(tmp_path / "kb") as tab):
        tab.goto(ui.url)
        for target in ("accept", "check-button"):
            for _ in range(30):
                tab.press("Tab")
                if tab.js("document.activeElement.id") == target:
                    break
            else:
                pytest.fail(f"Tab never reached #{target}")
            # Activate what the keyboard reached. (Enter is pressed too, but Firefox does not activate a
            # button on WebDriver BiDi's Enter or Space: the key events arrive, trusted, and nothing is
            # submitted. A native <button> activates on Enter for a person; Chromium's test presses it.)
            tab.press("Enter")
            tab.js("document.activeElement.click()")
            if target == "accept":
                tab.wait("document.getElementById('check-button') !== null")
        tab.wait("document.querySelector('#result #advice') !== null", within=40)
        assert "Use:" in tab.text("#result #advice")
