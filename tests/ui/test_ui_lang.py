"""The page in Russian and Kazakh (Playwright, Debian's Chromium): the switch and ``?lang=`` choose
the language of this browser's page, ``<html lang>`` follows, the buttons and headings are the
catalogs' words, and no English sentence of the page is left; the check's live status and the
history's dates are told in the chosen language too.

"English sentence of the page": every message the page's code marks (``src/pathprobe/ui``, and the
consent notice it shows), as ``scripts/i18n.py extract`` finds them; the embedded report is the report's
own (its translation is tested with the report).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathprobe.i18n import translations
from tests.conftest import in_ci
from tests.ui.uihelpers import Net, chromium, local_net, run_ui

try:
    from playwright import sync_api  # noqa: F401  (present, or the module is skipped)
except ImportError:  # in CI a missing Playwright fails the tests (scripts/setup.sh installs '.[test]')
    if in_ci():
        raise
    pytest.skip("playwright is not installed (pip install -e '.[test]')", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z’'-]+(?:[ ,;]+[A-Za-z][A-Za-z’'-]+){2,}")
"""Three English-looking words in a row: a sentence left untranslated."""


def page_msgids() -> list[str]:
    """The messages the page shows: those marked in src/pathprobe/ui and the consent notice."""
    spec = importlib.util.spec_from_file_location("pp_i18n_script", REPO / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pp_i18n_script"] = mod
    spec.loader.exec_module(mod)
    out = []
    for found in mod.extract():
        if any(p.startswith(("pathprobe/ui/", "pathprobe/cli/consent.py")) for p in found.places):
            out.extend([found.msgid, *([found.plural] if found.plural else [])])
    return out


def english_left(text: str, lang: str) -> list[str]:
    """The page's English sentences (or their pieces between placeholders) found in ``text``."""
    left = []
    for msgid in page_msgids():
        shown = translations(lang).gettext(msgid)
        for piece in re.split(r"\{[a-z_]+\}", msgid):
            for line in piece.splitlines():
                line = line.strip().lstrip("* ").strip(" .:;,()")
                if len(re.findall(r"[A-Za-z]", line)) < 3 or line in shown:
                    continue  # no words, or the translation keeps it (a name: JSON, HTML, KZ, ASN)
                if re.search(r"(?<![A-Za-z])" + re.escape(line) + r"(?![A-Za-z])", text):
                    left.append(line)
    return left


VISIBLE = """() => {
  const skip = new Set();
  // Not the page's sentences: the report's own, logs and code, path ids, and the lab scenarios' titles
  // and descriptions (text of the scenario files, shown in trainer mode).
  for (const el of document.querySelectorAll('.report, pre, code, #paths .path-id, .scenarios b, .scenarios details p'))
    skip.add(el);
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    let el = n.parentElement, hidden = false;
    for (let p = el; p; p = p.parentElement) if (skip.has(p) || p.hidden) { hidden = true; break; }
    if (!hidden && el.getClientRects().length) out.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [title]'))
    if (!el.closest('.report') && !el.closest('#paths'))
      out.push(el.getAttribute('aria-label') || '', el.getAttribute('title') || '');
  out.push(document.title);
  return out.join('\\n');
}"""


def visible(page: object) -> str:
    return str(page.evaluate(VISIBLE))  # type: ignore[attr-defined]


def no_english(page: object, lang: str) -> None:
    text = visible(page)
    assert english_left(text, lang) == [], english_left(text, lang)
    runs = [r for r in LATIN_RUN.findall(text) if not r.startswith("pathprobe")]
    assert runs == [], runs


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture()
def net(tmp_path: Path) -> Iterator[Net]:
    with local_net(tmp_path) as n:
        yield n


def test_english_check_finds_english(browser: object, net: Net, tmp_path: Path) -> None:
    """The checker itself: on the English page it finds the page's sentences (so it can fail)."""
    with run_ui(tmp_path, 19345, net.check_args(), net.hosts) as ui:
        page = browser.new_context().new_page()  # type: ignore[attr-defined]
        page.goto(ui.url)
        text = visible(page)
        assert "I have read this and accept the risk" in english_left(text, "ru")
        assert "Before the first check" in english_left(text, "kk")
        assert LATIN_RUN.search(text)
        page.context.close()


def test_the_page_in_russian_and_kazakh(browser: object, net: Net, tmp_path: Path) -> None:
    with run_ui(tmp_path, 19346, net.check_args(), net.hosts) as ui:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(ui.url + "&lang=ru")
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.locator("#consent-h").inner_text() == "Перед первой проверкой"
        assert "Кто это видит" in page.locator("#consent").inner_text()  # the CLI's notice, in Russian
        no_english(page, "ru")
        page.get_by_role("button", name="Я прочитал(а) это и принимаю риск").click()

        # The check button's accessible name is the translated "Check".
        button = page.get_by_role("button", name=re.compile("Проверить"))
        assert button.inner_text() == "Проверить эту сеть"
        button.click()
        page.locator("#result #advice").wait_for(timeout=30000)
        assert page.locator("#result-h").inner_text() == "Ответ"
        assert page.locator("#actions-h").inner_text() == "Сохранить результат или поделиться им"
        assert re.fullmatch(r"Готово за \d+ с", page.locator("#progress-status").inner_text())  # the script's words
        assert "✓ готово" in page.locator('#paths li[data-path="direct"]').inner_text()
        page.get_by_role("button", name="Сохранить в истории этого компьютера").click()
        history = page.locator("#history li").first.inner_text()
        assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d UTC", history), history  # dates for a Russian reader
        assert "Первая сохранённая проверка этой сети." in history
        no_english(page, "ru")

        # The switch: this browser's page in Kazakh, the answer still there (also after a reload).
        page.get_by_role("button", name="Қазақша").click()
        assert page.locator("html").get_attribute("lang") == "kk"
        assert page.get_by_role("button", name=re.compile("тексеру")).first.inner_text() == "Осы желіні тексеру"
        assert page.locator("#result-h").inner_text() == "Жауап"
        assert page.locator("#history-h").inner_text() == "Осы компьютердегі тарих"
        no_english(page, "kk")
        page.reload()
        assert page.locator("html").get_attribute("lang") == "kk" and page.locator("#result #advice").count() == 1

        # Another browser still gets the language pathprobe ui started in (English here).
        other = browser.new_context().new_page()  # type: ignore[attr-defined]
        other.goto(ui.url)
        assert other.locator("html").get_attribute("lang") == "en"
        assert other.get_by_role("button", name="Check this network").count() == 1
        other.context.close()

        page.get_by_role("button", name="English").click()
        assert page.get_by_role("button", name="Check this network").count() == 1
        assert errors == [], errors
        ctx.close()


def test_started_in_kazakh(browser: object, net: Net, tmp_path: Path) -> None:
    """``pathprobe ui --lang kk``: the page speaks Kazakh until the switch says otherwise."""
    with run_ui(tmp_path, 19347, ["--lang", "kk", *net.check_args()], net.hosts) as ui:
        page = browser.new_context().new_page()  # type: ignore[attr-defined]
        page.goto(ui.url)
        assert page.locator("html").get_attribute("lang") == "kk"
        assert page.get_by_role("button", name="Мен мұны оқыдым және тәуекелді қабылдаймын").count() == 1
        no_english(page, "kk")
        page.context.close()
