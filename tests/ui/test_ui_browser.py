"""``pathprobe ui`` in a real browser (Playwright driving Debian's Chromium, headless): consent, the
check with live progress, the answer, the downloads, the summary, the history, the language switch,
keyboard use, a phone-sized window, the page without JavaScript, and a bad plan's one clear message.

The screenshots shown in the README are made by scripts/ui_screenshots.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import in_ci
from tests.ui.uihelpers import Net, chromium, local_net, run_ui

try:
    from playwright import sync_api  # noqa: F401  (present, or the module is skipped)
except ImportError:  # in CI a missing Playwright fails the tests (scripts/setup.sh installs '.[test]')
    if in_ci():
        raise
    pytest.skip("playwright is not installed (pip install -e '.[test]')", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture()
def net(tmp_path: Path) -> Iterator[Net]:
    with local_net(tmp_path) as n:
        yield n


def watch_errors(page: object) -> list[str]:
    """Console errors (a CSP violation is one) and uncaught page errors."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: errors.append(str(exc)))  # type: ignore[attr-defined]
    return errors


def test_consent_check_answer_downloads_language(browser: object, net: Net, tmp_path: Path) -> None:
    with run_ui(tmp_path, 19300, net.check_args(), net.hosts) as ui:
        ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = ctx.new_page()
        errors = watch_errors(page)
        page.goto(ui.url)
        # Consent first: no check button until the notice is accepted.
        assert page.get_by_role("button", name=re.compile("Check")).count() == 0
        assert "Who can see it" in page.locator("#consent").inner_text()
        page.get_by_role("button", name=re.compile("accept the risk")).click()
        page.locator("#check-button").wait_for()
        consent = Path(ui.env["XDG_CONFIG_HOME"]) / "pathprobe" / "consent"
        assert consent.read_text("utf-8").startswith("accepted notice v1 on ")  # as the CLI stores it

        page.get_by_label(re.compile("A name for this network")).fill("Hotel <b>lobby</b>")
        page.get_by_role("button", name=re.compile("Check")).click()
        # Live progress per path, then the answer: recommendation and advice first.
        page.locator('#paths li[data-path="direct"]').wait_for(timeout=15000)
        advice = page.locator("#result #advice")
        advice.wait_for(timeout=30000)
        assert "Use:" in advice.inner_text() and "direct" in advice.inner_text()
        assert "✓ done" in page.locator('#paths li[data-path="direct"]').inner_text()
        assert page.locator("#result table.matrix").count() == 1
        assert "facebook.com" in page.locator("#result table.matrix").inner_text()
        # The label from the form is shown escaped, never as markup.
        assert page.locator("#result header h1").inner_text() == "pathprobe — Hotel <b>lobby</b>"
        assert page.locator("#result header h1 b").count() == 0
        # The focus moved to the answer for screen readers and keyboards.
        assert page.evaluate("document.activeElement.id") == "result-h"

        with page.expect_download() as dl:
            page.get_by_role("link", name="Save the report (HTML)").click()
        report = Path(dl.value.path()).read_text("utf-8")
        assert report.startswith("<!DOCTYPE html>") and "Paths × sites" in report and "Hotel &lt;b&gt;lobby" in report
        with page.expect_download() as dl:
            page.get_by_role("link", name="Save the profile (JSON)").click()
        profile = json.loads(Path(dl.value.path()).read_text("utf-8"))
        assert profile["schema"] == "pathprobe.profile/1" and profile["recommendation"]["path"] == "direct"

        # The anonymised summary, shown; the label never in it.
        page.get_by_label(re.compile("Country code")).fill("KZ")
        page.get_by_role("button", name="Make the summary").click()
        summary = json.loads(page.locator("#summary").inner_text())
        assert summary["schema"].startswith("pathprobe.summary/") and summary["network"]["country"] == "KZ"
        assert "lobby" not in page.locator("#summary").inner_text()

        # The history: kept twice, the second compared with the first (same label).
        page.get_by_role("button", name=re.compile("history")).click()
        page.get_by_role("button", name=re.compile("history")).click()
        items = page.locator("#history li")
        assert items.count() == 2
        assert "What changed" in items.nth(0).inner_text() and "first saved check" in items.nth(1).inner_text()
        saved = list((Path(ui.env["XDG_DATA_HOME"]) / "pathprobe" / "profiles").iterdir())
        assert len(saved) == 2 and all(p.stat().st_mode & 0o777 == 0o600 for p in saved)

        # The language switch: <html lang> follows (the words: tests/ui/test_ui_lang.py).
        page.get_by_role("button", name="Русский").click()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.get_by_role("button", name="Русский").get_attribute("aria-pressed") == "true"
        page.get_by_role("button", name="Қазақша").click()
        assert page.locator("html").get_attribute("lang") == "kk"
        page.get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
        assert errors == [], errors  # no CSP violation, no script error
        ctx.close()


FOCUS_RING = """() => {
  const el = document.activeElement, cs = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
          color: cs.outlineColor, background: getComputedStyle(document.body).backgroundColor,
          visible: el.matches(':focus-visible')};
}"""


def test_keyboard_phone_width_and_no_javascript(browser: object, net: Net, tmp_path: Path) -> None:
    with run_ui(tmp_path, 19301, net.check_args(), net.hosts) as ui:
        ctx = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        page = ctx.new_page()
        errors = watch_errors(page)
        page.goto(ui.url)
        # Keyboard alone: Tab to the accept button, Enter; then Tab to the check button, Enter.
        for target in ("accept", "check-button"):
            for _ in range(30):
                page.keyboard.press("Tab")
                # Every stop on the way shows where the focus is: a ring at least 3 px wide, in a colour
                # other than the page's background.
                ring = page.evaluate(FOCUS_RING)
                assert ring["style"] != "none" and ring["width"] >= 3 and ring["color"] != ring["background"], ring
                if page.evaluate("document.activeElement.id") == target:
                    break
            else:
                pytest.fail(f"Tab never reached #{target}")
            if target == "accept":
                with page.expect_navigation():
                    page.keyboard.press("Enter")
            else:
                page.keyboard.press("Enter")  # the script runs the check: no navigation
        page.locator("#result #advice").wait_for(timeout=30000)
        # Readable at 390 px: the page itself never scrolls sideways (the matrix scrolls in its box).
        wide = page.evaluate(
            "Array.from(document.querySelectorAll('main *')).filter(e => e.scrollWidth > e.clientWidth + 1"
            " && getComputedStyle(e).overflowX === 'visible').map(e => e.tagName + '#' + e.id + '.' + e.className)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
        # Colour is never the only signal: every cell says its verdict in words and a symbol.
        for cell in page.locator("#result td.cell").all():
            assert re.search(r"[a-z]", cell.inner_text())
        assert errors == [], errors
        ctx.close()

        # Without JavaScript: the result is there after a reload, and a new check runs by form and refresh.
        ctx = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
        page = ctx.new_page()
        page.goto(ui.url)
        assert page.locator("#result #advice").count() == 1
        page.get_by_role("button", name=re.compile("Check")).click()
        try:
            page.locator("#result #advice").wait_for(timeout=45000)  # <noscript> refresh until the answer
        except Exception as exc:  # say what the page showed instead (a failed check, a notice, ...)
            raise AssertionError(f"no answer; the page at {page.url} shows:\n{page.inner_text('body')[:3000]}") from exc
        assert "✓" in page.locator("#progress").inner_text()
        ctx.close()


def test_without_javascript_a_slow_check_ends_in_its_answer(browser: object, net: Net, tmp_path: Path) -> None:
    """A check that is still running when the page comes back from the form (a silent site keeps it busy
    for its timeout): the <noscript> refresh reloads the page until the answer is there. (It used to
    refresh to /#progress, the same URL with a fragment: no reload, and the answer never came.)"""
    from tests.servers import hostile_server

    with hostile_server("silent") as silent:
        plan = tmp_path / "slow.toml"
        plan.write_text(net.plan.read_text("utf-8").replace('sites = ["', f'sites = ["slow.test:{silent}", "'), "utf-8")
        net.hosts.write_text("127.0.0.1 facebook.com example.com slow.test\n", "utf-8")
        args = ["--plan", str(plan), "--public-roots", str(net.public), "--device-roots", str(net.device),
                "--timeout", "2"]
        with run_ui(tmp_path, 19303, args, net.hosts) as ui:
            ctx = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
            page = ctx.new_page()
            page.goto(ui.url)
            page.locator("#accept").click()
            page.get_by_role("button", name=re.compile("Check")).click()
            assert page.locator("noscript").count() == 1, "the check was to be running when the page came back"
            page.locator("#result #advice").wait_for(timeout=20000)
            assert "slow.test" in page.locator("#result").inner_text()
            ctx.close()


def test_a_bad_plan_shows_one_clear_message(browser: object, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[probe]]\nkind = "direct"\nsites = "not a list"\n', "utf-8")
    with run_ui(tmp_path, 19302, ["--plan", str(bad), "--timeout", "3"]) as ui:
        page = browser.new_context().new_page()  # type: ignore[attr-defined]
        page.goto(ui.url)
        page.get_by_role("button", name=re.compile("accept the risk")).click()
        page.get_by_role("button", name=re.compile("Check")).click()
        error = page.locator("#check-error")
        error.wait_for(timeout=15000)
        text = error.locator("p").inner_text()
        assert str(bad) in text and "\n" not in text.strip() and "Traceback" not in text
        assert page.locator("#result #advice").count() == 0
        page.context.close()
