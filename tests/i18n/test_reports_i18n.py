"""The advice, ``profile show|diff|render`` and the progress display in Russian and Kazakh (issue 18).

The central check, :func:`english_sentences`, looks for an English sentence left in text that should be
Russian or Kazakh: a run of three or more Latin words once everything that is rightly Latin is taken out
(names the profile itself holds — its label, certificate names, issuers, known names, failure strings —,
quoted names, commands, hosts, ids, paths, and the few product names in :data:`NAMES`). It is itself
tested both ways: it finds an English sentence put into Russian, and flags none of the names.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from pathprobe import i18n
from pathprobe.analysis.advice import reason_msg
from pathprobe.i18n import Msg, render_stored
from pathprobe.profile import Profile, load_profile
from pathprobe.report.diff import diff_profiles, render_text
from pathprobe.report.html import render_html
from pathprobe.report.markdown import render_markdown
from pathprobe.report.safe import cells, pad
from pathprobe.report.terminal import render_profile
from pathprobe.report.view import reason_text
from tests.i18n.clihelp import run

REPO = Path(__file__).resolve().parents[2]
REFERENCE = sorted((REPO / "profiles").glob("*.json"))
GOLDEN_CASES = sorted((REPO / "tests" / "golden" / "recommend").glob("*/profile.json"))
LAB_ADVICE = REPO / "tests" / "golden" / "lab-advice"
KZ = REPO / "profiles" / "kz-2019.json"
LANGS = ("ru", "kk")

NAMES = (
    "DNS over HTTPS", "Tor Browser", "Certificate Transparency", "Keychain Access", "smart dialer",
    "GoodbyeDPI", "byedpi", "zapret", "tlsfrag", "Outline", "snowflake, meek, webtunnel", "TCP reset",
)
"""Product and protocol names that stay Latin in every language (the glossary keeps them)."""
WORD = r"[A-Za-z][A-Za-z'’-]*"
LATIN_RUN = re.compile(rf"{WORD}(?:[ ,;]+{WORD}){{2,}}")


def _profile_names(profile: Profile | None) -> list[str]:
    """Strings a profile holds that are names or measurements, not sentences of ours."""
    if profile is None:
        return []
    out: list[str] = [profile.label or "", profile.trust_store.source or "", profile.network.portal.failure or ""
                      if profile.network.portal else ""]
    for f in profile.interception:
        out += [f.issuer or "", f.root_subject or "", f.known_as or ""]
    for r in profile.trust_store.known_interception_roots:
        out += [r.subject or "", r.known_as or ""]
    if profile.network.portal is not None:
        for c in profile.network.portal.offered_certificates:
            out += [c.subject or "", c.known_as or ""]
    for p in profile.paths:
        for t in p.targets:
            out += [t.failure or "", t.legacy_root.subject if t.legacy_root is not None and t.legacy_root.subject else ""]
    names = {n for n in out if n}
    for n in list(names):  # the readable part of a certificate name, as reports show it
        names |= {part.partition("=")[2] for part in re.split(r"(?<!\\),", n) if "=" in part}
    return sorted((n for n in names if n), key=len, reverse=True)


def english_sentences(text: str, profile: Profile | None = None) -> list[str]:
    """Runs of three or more Latin words in ``text`` that are not names: an English sentence left."""
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())  # one line: panels and wrapping undone
    for name in _profile_names(profile):
        text = text.replace(" ".join(name.split()), " ")
    for name in NAMES:
        text = text.replace(name, " ")
    text = re.sub(r"«[^«»]*»", " ", text)  # quoted names
    text = re.sub(r"`[^`]*`", " ", text)  # commands
    text = re.sub(r"\S*[./@:_\d=\\]\S*", " ", text)  # hosts, files, e-mail, ids, hashes, failure strings
    text = re.sub(r"\bpathprobe\b", " ", text)
    return LATIN_RUN.findall(text)






def shown(profile: Profile, lang: str, width: int = 100) -> str:
    i18n.set_language(lang)
    console = Console(width=width, record=True, no_color=True, file=io.StringIO())
    render_profile(profile, console)
    return console.export_text()


def visible(page: str) -> str:
    """The text a person reads in an HTML page (tags, styles and the head's metadata taken out)."""
    page = re.sub(r"<(style|head)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# ------------------------------------------------------------------------------------ the detector


def test_the_detector_finds_an_english_sentence() -> None:
    assert english_sentences("Сеть: do not click past the warning («Security Certificate»).")
    assert english_sentences("Эта сеть (the connection fails after the TLS hello) блокирует.")
    profile = load_profile(KZ)
    told = shown(profile, "kk")
    assert english_sentences(told + " This network filters by server name.", profile)
    assert english_sentences(told.replace("ұсталған", "intercepted on the way"), profile)


def test_the_detector_does_not_flag_names() -> None:
    text = ("удалите «Qaznet Trust Network» (Windows: certmgr.msc › Trusted Root); включите DNS over HTTPS; "
            "программы GoodbyeDPI, byedpi, zapret; `pathprobe check --bridge '...'`; www.tube.test; vpn:ss; "
            "generic_timeout_error; sha256 6f8bd610a95a7bb1…")
    assert english_sentences(text) == []
    profile = load_profile(REPO / "tests" / "golden" / "recommend" / "kz-2019-trusted-root" / "profile.json")
    assert profile.label and english_sentences(f"Профиль {profile.label}: ок.") != []
    assert english_sentences(f"Профиль {profile.label}: ок.", profile) == []  # the profile's own label


# ------------------------------------------------------------------------------- advice goldens


@pytest.mark.parametrize("lang", LANGS)
def test_lab_advice_goldens_have_no_english_sentence(lang: str) -> None:
    goldens = sorted(LAB_ADVICE.glob(f"*.{lang}.json"))
    assert len(goldens) == len(REFERENCE)
    for golden in goldens:
        advice = json.loads(golden.read_text("utf-8"))["advice"]
        profile = load_profile(REPO / "profiles" / golden.name.replace(f".{lang}.json", ".json"))
        assert english_sentences(advice, profile) == [], golden.name


@pytest.mark.parametrize("lang", LANGS)
def test_diagnosis_and_throttling_advice_is_stored_and_told_in_the_language(lang: str) -> None:
    for name, english, word in (("sni-drop", "This network filters by server name", {"ru": "имени сервера",
                                                                                         "kk": "сервер атауы"}),
                                ("ip-drop", "is blocked, whatever the name", {"ru": "независимо от имени",
                                                                              "kk": "атауына қарамастан"}),
                                ("throttle", "throttled to about", {"ru": "замедление", "kk": "баяулату"})):
        rec = load_profile(REPO / "profiles" / f"{name}.json").recommendation
        assert english in (rec.advice or "")
        assert all("text" not in m for m in rec.advice_messages), name  # no sentence kept as English text only
        told = render_stored(rec.advice_messages, lang)
        assert told is not None and word[lang] in told and english not in told
        assert render_stored(rec.advice_messages, "en") == rec.advice  # English byte for byte


def test_a_reason_is_told_in_the_language_and_unknown_ones_stay() -> None:
    m = reason_msg("none of the 3 bridges answered (generic_timeout_error); tor was not started")
    assert isinstance(m, Msg)
    assert m.render("en") == "none of the 3 bridges answered (generic_timeout_error); tor was not started"
    assert m.render("ru") == "не ответил ни один из 3 мостов (generic_timeout_error); tor не запускался"
    assert render_stored([Msg("No path could be tested here: {reason}.", {"reason": m}).to_json()], "kk") is not None
    assert reason_msg("something new happened") == "something new happened"
    i18n.set_language("kk")
    assert reason_text("something new happened") == "something new happened"
    assert reason_text("the tor program was not found (install tor)") == "tor бағдарламасы табылмады (tor орнатыңыз)"


# ------------------------------------------------------------------------- profile show, md, html


@pytest.mark.parametrize("lang", LANGS)
def test_every_profile_shown_and_rendered_without_english(lang: str) -> None:
    assert len(REFERENCE) >= 20
    for path in REFERENCE + GOLDEN_CASES:
        profile = load_profile(path)
        for kind, text in (("show", shown(profile, lang)), ("md", render_markdown(profile, lang)),
                           ("html", visible(render_html(profile, lang)))):
            assert english_sentences(text, profile) == [], (path, kind, english_sentences(text, profile))


@pytest.mark.parametrize("lang", LANGS)
def test_kz_2019_profile_show_has_no_english_sentence(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's done-when, through the command itself."""
    res = subprocess.run([sys.executable, "-m", "pathprobe", "profile", "show", str(KZ), "--lang", lang],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    profile = load_profile(KZ)
    assert english_sentences(res.stdout, profile) == []
    told = json.loads((LAB_ADVICE / f"kz-2019.{lang}.json").read_text("utf-8"))["advice"]
    assert " ".join(told.split()[:6]) in " ".join(re.sub(r"[│╭╮╰╯─]", " ", res.stdout).split())
    code, out, _err = run(["profile", "show", str(REPO / "profiles" / "vpn-endpoints.json"), "--lang", lang], capsys)
    assert code == 0 and english_sentences(out, load_profile(REPO / "profiles" / "vpn-endpoints.json")) == []


def test_a_profile_made_in_english_rendered_in_kazakh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = load_profile(REPO / "profiles" / "sni-drop.json")  # a check run in English
    english = profile.recommendation.advice or ""
    kk = json.loads((LAB_ADVICE / "sni-drop.kk.json").read_text("utf-8"))["advice"]
    code, md, _err = run(["profile", "render", str(REPO / "profiles" / "sni-drop.json"), "--format", "md",
                          "--lang", "kk"], capsys)
    assert code == 0 and f"> {kk[:60]}" in md and english[:40] not in md
    assert "## Бұл желі қалай бұғаттайды" in md and "## Жолдар" in md
    out = tmp_path / "r.html"
    code, _out, _err = run(["profile", "render", str(REPO / "profiles" / "sni-drop.json"), "--format", "html",
                            "--out", str(out), "--lang", "kk"], capsys)
    page = out.read_text("utf-8")
    assert code == 0 and '<html lang="kk">' in page and html.escape(kk[:60], quote=True) in page
    assert english[:40] not in page and "How this network blocks" not in page
    assert english_sentences(visible(page), profile) == []
    # the same profile in English is unchanged, and the HTML says so
    i18n.set_language("en")
    assert '<html lang="en">' in render_html(profile) and english in html.unescape(render_html(profile))
    assert render_html(profile) == render_html(profile, "en") and render_markdown(profile) == render_markdown(profile, "en")


def test_html_lang_follows_the_run_and_the_argument() -> None:
    profile = load_profile(KZ)
    i18n.set_language("ru")
    assert '<html lang="ru">' in render_html(profile)
    assert '<html lang="kk">' in render_html(profile, "kk")
    assert i18n.get_language() == "ru"  # the argument does not change the run's language


# ---------------------------------------------------------------------------------------- diff


@pytest.mark.parametrize("lang", LANGS)
def test_diff_told_in_the_language(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = REPO / "profiles" / "clean.json", REPO / "profiles" / "kz-2019.json"
    code, out, _err = run(["profile", "diff", str(a), str(b), "--lang", lang], capsys)
    assert code == 0
    assert out.startswith({"ru": "Сравнение профиля A", "kk": "A «"}[lang])
    assert {"ru": "Рекомендация", "kk": "Ұсыныс"}[lang] in out
    pa, pb = load_profile(a), load_profile(b)
    assert english_sentences(out, pb) == [] and english_sentences(out, pa) == []
    assert (pb.recommendation.advice or "")[:40] not in out  # the advice told from its messages
    code, same, _err = run(["profile", "diff", str(a), str(a), "--lang", lang], capsys)
    assert code == 0 and english_sentences(same) == [] and "No change" not in same
    i18n.set_language("en")
    assert render_text(diff_profiles(pa, pb)) == render_text(diff_profiles(pa, pb), pa, pb)  # English as before


# ------------------------------------------------------------------------------- terminal layout


def test_cells_counts_terminal_cells() -> None:
    assert cells("қазақша") == 7 and cells("Ұсыныс") == 6
    assert cells("и\u0306") == 1  # a letter and its combining breve
    assert cells("日本") == 4 and cells("a\u200bb") == 2
    assert pad("жол", 6) == "жол   " and cells(pad("日本", 6)) == 6 and pad("toolong", 3) == "toolong"


@pytest.mark.parametrize("name", ["kz-2019", "sni-drop", "vpn-endpoints", "throttle", "kz-2019-portal", "tor-bridge"])
def test_kazakh_at_80_columns_fits_and_wraps_between_words(name: str) -> None:
    profile = load_profile(REPO / "profiles" / f"{name}.json")
    text = shown(profile, "kk", width=80)
    lines = text.splitlines()
    assert all(cells(line) <= 80 for line in lines), [line for line in lines if cells(line) > 80]
    # the advice panel: its lines joined again give the advice word for word (no word cut in two)
    inner = [line[2:-2] for line in lines if line.startswith("│") and line.endswith("│")]
    assert inner and " ".join(" ".join(inner).split()) == " ".join(render_stored(
        profile.recommendation.advice_messages, "kk").split())  # type: ignore[union-attr]
    # every Kazakh word on screen is a whole word of the catalog's text or the profile (none cut by a wrap)
    words = set(re.findall(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі-]{4,}", " ".join(text.split())))
    known = " ".join(i18n.translations("kk").gettext(e.msgid) for e in i18n.parse_po(i18n.catalog_text("kk"))
                     if e.msgid) + " " + " ".join(" ".join(e.msgstr.values()) for e in
                                                 i18n.parse_po(i18n.catalog_text("kk")))
    catalog_words = set(re.findall(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі-]{4,}", known))
    assert words - catalog_words == set()


def test_progress_in_kazakh_is_padded_in_cells() -> None:
    from pathprobe.cli.progress import Progress

    class Probe:
        def path_ids(self) -> list[str]:
            return ["direct", "vpn:қазақ", "tor:日本"]

    i18n.set_language("kk")
    console = Console(width=80, record=True, no_color=True, file=io.StringIO())
    progress = Progress([Probe()], console)
    progress.update("direct", 3, 3)
    console.print(progress.renderable())
    lines = console.export_text().splitlines()
    assert lines[0].startswith("3 жол тексерілуде…")
    bars = [line.index("█") if "█" in line else line.index("░") for line in lines[1:]]
    assert len({cells(line[:i]) for line, i in zip(lines[1:], bars, strict=True)}) == 1  # the bars line up
    assert "дайын" in lines[1] and "күтуде" in lines[2]
    i18n.set_language("en")
    console = Console(width=80, record=True, no_color=True, file=io.StringIO())
    console.print(Progress([Probe()], console).renderable())
    assert console.export_text().startswith("Checking 3 paths…")
