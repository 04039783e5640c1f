"""Languages (issue 18, first part): the language choice, the catalogs, the advice told again from a
profile's stored messages in Russian and Kazakh, and the terminal layout with Cyrillic."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from pathprobe import i18n
from pathprobe.profile import load_profile
from tests.i18n.clihelp import i18n_script, run

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "profiles"
KZ, KZ_PORTAL = PROFILES / "kz-2019.json", PROFILES / "kz-2019-portal.json"


SCRIPT = i18n_script()






# ------------------------------------------------------------------------------------------ catalogs


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_catalog_complete_no_fuzzy_same_placeholders(lang: str) -> None:
    found = SCRIPT.extract()  # type: ignore[attr-defined]
    assert len(found) > 100
    assert SCRIPT.problems(lang, found) == []  # type: ignore[attr-defined]


def test_catalog_check_catches_each_kind_of_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = (i18n.catalog_text("ru")
          .replace('msgstr "«{name}»"', 'msgstr "«{имя}»"', 1)
          .replace('msgstr "да"', 'msgstr ""', 1)
          .replace('msgid "partial"', '#, fuzzy\nmsgid "partial"', 1))
    (tmp_path / "ru" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "ru" / "LC_MESSAGES" / "pathprobe.po").write_text(po, "utf-8")
    monkeypatch.setattr(SCRIPT, "LOCALE", tmp_path)
    got = "\n".join(SCRIPT.problems("ru", SCRIPT.extract()))  # type: ignore[attr-defined]
    assert "placeholders [] != ['name']" in got and "untranslated: 'yes'" in got and "fuzzy: 'partial'" in got


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_msgfmt_check_passes(lang: str, tmp_path: Path) -> None:
    po = REPO / "src" / "pathprobe" / "locale" / lang / "LC_MESSAGES" / "pathprobe.po"
    res = subprocess.run(["msgfmt", "-c", "-o", str(tmp_path / "x.mo"), str(po)], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stderr


def test_compiled_in_memory_matches_msgfmt(tmp_path: Path) -> None:
    """The .mo made at load is read by gettext exactly as the one GNU msgfmt writes."""
    import gettext

    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt not installed")
    po = REPO / "src" / "pathprobe" / "locale" / "ru" / "LC_MESSAGES" / "pathprobe.po"
    subprocess.run(["msgfmt", "-o", str(tmp_path / "ru.mo"), str(po)], check=True)
    theirs = gettext.GNUTranslations((tmp_path / "ru.mo").open("rb"))
    ours = i18n.translations("ru")
    for e in i18n.parse_po(po.read_text("utf-8")):
        if not e.msgid:
            continue
        if e.msgid_plural:
            for n in (1, 2, 5, 11, 21, 22, 25, 111):
                assert ours.ngettext(e.msgid, e.msgid_plural, n) == theirs.ngettext(e.msgid, e.msgid_plural, n)
        else:
            assert ours.gettext(e.msgid) == theirs.gettext(e.msgid)


def test_russian_three_plural_forms_kazakh_two() -> None:
    one, many = "{n} more interceptor was seen (see the full report).", "{n} more interceptors were seen (see the full report)."
    ru = {n: i18n.translate_plural(one, many, n, "ru") for n in (1, 2, 5, 21, 22, 11, 14)}
    assert ru[1].startswith("Замечен ещё 1 перехватчик ") and ru[21].startswith("Замечен ещё 21 перехватчик ")
    assert "2 перехватчика" in ru[2] and "22 перехватчика" in ru[22]
    assert "5 перехватчиков" in ru[5] and "11 перехватчиков" in ru[11] and "14 перехватчиков" in ru[14]
    assert i18n.translate_plural(one, many, 3, "kk") == "Тағы 3 ұстап алушы байқалды (толық есепті қараңыз)."
    assert i18n.translate_plural(one, many, 1, "en") == "1 more interceptor was seen (see the full report)."


def test_safety_sentences_say_exactly_do_not_install() -> None:
    one = i18n.parse_po(i18n.catalog_text("ru"))
    kk = i18n.parse_po(i18n.catalog_text("kk"))
    for entries, phrase_one, phrase_many in ((one, "Не устанавливайте этот сертификат", "Не устанавливайте эти сертификаты"),
                                              (kk, "Бұл сертификатты орнатпаңыз", "Бұл сертификаттарды орнатпаңыз")):
        for e in entries:
            if e.msgid.startswith("This network's web page offers a certificate"):
                assert phrase_one in e.msgstr[0]
            if e.msgid.startswith("This network's web page offers certificates"):
                assert phrase_many in e.msgstr[0]
            if "do not install that certificate" in e.msgid:
                assert phrase_one.lower() in e.msgstr[0].lower()


# ------------------------------------------------------------------------------- choosing the language


@pytest.mark.parametrize(
    ("env", "want"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "kk_KZ.UTF-8"}, "kk"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "kk_KZ"}, "kk"),
        ({"LANG": "kk_KZ.UTF-8", "LC_ALL": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU.UTF-8", "PATHPROBE_LANG": "kk"}, "kk"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C"}, "en"),
        ({"PATHPROBE_LANG": "xx", "LANG": "ru_RU.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_from_environment(env: dict[str, str], want: str) -> None:
    assert i18n.language_from_env(env) == want


def _clean_env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "PATHPROBE_LANG")}
    env.update(extra)
    return env


def test_lang_environment_honoured_end_to_end() -> None:
    res = subprocess.run([sys.executable, "-m", "pathprobe", "profile", "show", str(KZ)], capture_output=True,
                         text=True, check=False, env=_clean_env(LANG="ru_RU.UTF-8"))
    assert res.returncode == 0, res.stderr
    assert "доступность" in res.stdout and "Не устанавливайте" not in res.stdout
    assert "HTTPS-соединения с" in res.stdout and "is intercepted" not in res.stdout


@pytest.mark.parametrize("argv", [["--lang", "xx", "profile", "show", str(KZ)],
                                  ["profile", "show", str(KZ), "--lang=xx"], ["profile", "show", str(KZ), "--lang"]])
def test_unknown_lang_is_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert "en, ru, kk" in err and "Traceback" not in err and err.startswith("pathprobe: ")


def test_unknown_lang_told_in_the_environment_language(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHPROBE_LANG", "ru")
    code, _out, err = run(["profile", "show", str(KZ), "--lang", "xx"], capsys)
    assert code == 2 and "неизвестный язык" in err and "en, ru, kk" in err


# ------------------------------------------------------------------------------ profile show in ru, kk

LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){2,}")


def _english_sentences(text: str) -> list[str]:
    """Runs of three or more Latin words outside names, commands and paths: an English sentence left."""
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())  # one line: panels and wrapping undone
    text = re.sub(r"«[^«»]*(?:«[^«»]*»[^«»]*)*»", " ", text)  # quoted names (issuers, roots, proxies)
    text = re.sub(r"'[^']*'", " ", text)  # names in a table row
    text = re.sub(r"`[^`]*`", " ", text)  # commands
    text = re.sub(r"\([^()]*\)", " ", text)  # subjects, hashes, hints' UI names in parentheses
    text = re.sub(r"\S*[./@:]\S*", " ", text)  # hosts, files, e-mail, paths ids
    return LATIN_RUN.findall(text)


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("profile", [KZ, KZ_PORTAL])
def test_english_profile_shown_in_russian_and_kazakh(profile: Path, lang: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["profile", "show", str(profile), "--lang", lang], capsys)
    assert code == 0, err
    english = load_profile(profile).recommendation.advice or ""
    assert english and english[:40] not in out
    for header in ("reachability", "latency", "notes", "Recommended", "intercepted", "Interception", "Portal"):
        assert header not in out
    assert _english_sentences(out) == [], out
    # the advice told in the language is the golden one (its words measured against the stored messages)
    golden = REPO / "tests" / "golden" / "lab-advice" / f"{profile.stem}.{lang}.json"
    told = json.loads(golden.read_text("utf-8"))["advice"]
    assert " ".join(told.split()[:6]) in " ".join(out.split())


def test_the_heuristic_sees_an_english_sentence() -> None:
    assert _english_sentences("Сеть: do not click past the warning («Security Certificate»).")
    assert not _english_sentences("удалите «Qaznet Trust Network» (Windows: certmgr.msc › Trusted Root)")


def test_old_profile_without_messages_shows_its_english_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(KZ.read_text("utf-8"))
    del data["recommendation"]["advice_messages"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    code, out, _err = run(["profile", "show", str(old), "--lang", "kk"], capsys)
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", out).split())
    assert code == 0 and "is intercepted with a certificate from" in flat
    assert "қолжетімділік" in out  # the table is still Kazakh
    assert load_profile(old).to_json() == old.read_text("utf-8")  # and it round-trips byte for byte


def test_reference_profile_round_trips_with_messages() -> None:
    assert load_profile(KZ_PORTAL).to_json() == KZ_PORTAL.read_text("utf-8")


def test_hostile_stored_messages_fall_back_to_the_text() -> None:
    bad = [
        [{"msgid": "{x.__class__}", "params": {"x": "a"}}],  # not a known msgid: never a template
        [{"msgid": "'{name}'", "params": {}}],  # a missing parameter
        [{"msgid": "'{name}'", "params": {"name": [1]}}],
        [{"msgid": "'{name}'", "params": {"name": {"list": "ab"}}}],
        [{"msgid": "{n} more interceptor was seen (see the full report).", "plural": "x", "n": True}],
        ["text"],
    ]
    nested: object = "x"
    for _ in range(50):
        nested = {"msgid": "'{name}'", "params": {"name": nested}}
    bad.append([nested])
    for messages in bad:
        assert i18n.render_stored(messages, "ru") is None, messages
    assert i18n.render_stored([{"msgid": "'{name}'", "params": {"name": "{x}"}}], "ru") == "«{x}»"


def test_untranslated_sentence_kept_as_text() -> None:
    """A sentence another part adds as plain text is stored as such and shown as it is."""
    m = i18n.Msg("A new sentence.", raw=True)
    assert i18n.render_stored([m.to_json()], "kk") == "A new sentence."


# ------------------------------------------------------------------------------ terminal and consent


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_table_columns_aligned_in_cells_with_cyrillic(lang: str) -> None:
    from pathprobe.report.terminal import paths_table

    i18n.set_language(lang)
    profile = load_profile(PROFILES / "vpn-endpoints.json")
    console = Console(width=120, record=True, no_color=True)
    console.print(paths_table(profile))
    lines = [line for line in console.export_text().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    assert i18n._("reachability") in header and "TLS" in header
    tls_at = cell_len(header[: header.index("TLS")])
    reach_at = cell_len(header[: header.index(i18n._("reachability"))])
    words = [i18n._(w) for w in ("intact", "intercepted", "unverified")]
    seen = 0
    for row in rows:  # a path's row (a long note wraps onto lines of its own, in the notes column)
        if not any(row.startswith(f"{rank:>1}  {p.id}") or f"  {p.id} " in row for rank in ("", "1", "2", "3", "4", "5")
                   for p in profile.paths):
            continue
        seen += 1
        w = next(w for w in words if w in row)
        assert cell_len(row[: row.index(w)]) - 2 == tls_at, (row, header)
        reach = next(i for i, ch in enumerate(row) if ch in "✓◐✗–")
        assert cell_len(row[:reach]) == reach_at, (row, header)
    assert seen == len(profile.paths)
    assert all(cell_len(line) <= 120 for line in lines)


def test_consent_refusal_in_russian(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    from pathprobe.cli import consent
    from pathprobe.errors import ConsentRequired

    monkeypatch.delenv("PATHPROBE_ACCEPT_RISK", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    i18n.set_language("ru")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(ConsentRequired, match="осознанное согласие"):
        consent.ensure_consent(False)
    assert "Что она отправляет" in consent.notice() and "Кто это видит" in consent.notice()
    i18n.set_language("kk")
    assert "Не жібереді" in consent.notice()


def test_numbers_and_dates_follow_the_language() -> None:
    from pathprobe.i18n import format_date, format_datetime, format_number

    assert format_number(1234567.891, 1, "en") == "1,234,567.9"
    assert format_number(1234567.891, 1, "ru") == "1\u00a0234\u00a0567,9"
    assert format_number(1234.5, 1, "kk") == "1234,5"
    assert format_number(12345, 0, "kk") == "12\u00a0345"
    assert format_number(-2.25, 1, "ru") == "-2,2"
    assert format_number(-0.01, 1, "en") == "0.0"
    assert format_datetime("2026-12-05T08:50:12Z", "en") == "2026-12-05 08:50 UTC"
    assert format_datetime("2026-12-05T08:50:12Z", "ru") == "05.12.2026 08:50 UTC"
    assert format_datetime("not a time\x1b", "kk") == "not a time\x1b"
    assert format_date("2026-12-05T08:50:12Z", "kk") == "05.12.2026"


def test_using_sets_the_language_for_this_thread_only() -> None:
    import threading

    from pathprobe.i18n import get_language, set_language, using

    set_language("en")
    seen: list[str] = []
    with using("kk"):
        assert get_language() == "kk"
        t = threading.Thread(target=lambda: seen.append(get_language()))
        t.start()
        t.join()
    assert seen == ["en"]
    assert get_language() == "en"
