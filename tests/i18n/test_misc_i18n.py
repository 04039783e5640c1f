"""Languages (issue 18): ``summary``, ``submit``, ``trust audit``, the collector's messages and the lab's
texts (``lab list``, scenario titles and descriptions, ``lab check`` lines, scenario errors) in Russian
and Kazakh; English unchanged."""

from __future__ import annotations

import re
import socket
import sys
import tomllib
from pathlib import Path

import certifi
import pytest

from pathprobe import i18n
from pathprobe.errors import BadInput
from pathprobe.lab import scenario as sc
from pathprobe.lab.expect import Outcome
from tests.i18n.clihelp import run

REPO = Path(__file__).resolve().parents[2]
KZ = REPO / "profiles" / "kz-2019.json"
ENGLISH_RUN = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){2,}\b")
"""Three lowercase English words in a row: an English sentence (or its piece) left in the output."""






def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def english_in(text: str) -> list[str]:
    return ENGLISH_RUN.findall(text)


# ------------------------------------------------------------------------------------ summary, submit

NO_FILE = {"en": "no such summary file", "ru": "такого файла сводки нет", "kk": "мұндай нұсқа файлы жоқ"}


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_submit_bad_file_in_each_language(lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["--lang", lang, "submit", str(tmp_path / "missing.json"), "--collector",
                          "http://127.0.0.1:9", "--token", "t0ken"], capsys)
    assert code == 2 and NO_FILE[lang] in err, err
    if lang != "en":
        assert NO_FILE["en"] not in err and not english_in(err), err


def test_submit_a_profile_is_refused_in_russian(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["--lang", "ru", "submit", str(KZ), "--collector", "http://127.0.0.1:9",
                           "--token", "t0ken"], capsys)
    assert code == 2 and "это профиль, а не сводка" in err and "отправляются только сводки" in err, err
    assert not english_in(err), err


@pytest.mark.parametrize(
    ("lang", "queued", "waiting"),
    [
        ("en", ": queued (collector not reachable (", "1 summary in the offline queue"),
        ("ru", ": в очереди (сборщик недоступен (", "1 сводка в офлайн-очереди"),
        ("kk", ": кезекте (жинаушы қолжетімсіз (", "Офлайн кезекте 1 нұсқа бар"),
    ],
)
def test_summary_then_submit_offline_in_each_language(
    lang: str, queued: str, waiting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A summary is made (its JSON stays English), then sent to a collector that is not there: queued,
    and every line says so in the run's language."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    out_file = tmp_path / "s.json"
    code, _out, err = run(["--lang", lang, "summary", str(KZ), "--out", str(out_file)], capsys)
    written = {"en": "written to", "ru": "записана в", "kk": "файлына жазылды"}[lang]
    assert code == 0 and written in err, err
    assert '"schema": "pathprobe.summary/1"' in out_file.read_text("utf-8")  # the content stays English
    code, out, err = run(["--lang", lang, "submit", str(out_file), "--collector",
                          f"http://127.0.0.1:{closed_port()}", "--token", "t0ken", "--attempts", "1"], capsys)
    assert code == 0 and queued in out and waiting in err, (out, err)
    if lang != "en":
        assert not english_in(out + err), (out, err)


# ------------------------------------------------------------------------------------------ trust audit


@pytest.mark.parametrize(
    ("lang", "checked", "none"),
    [
        ("en", "trusted roots from", "None of them is a known interception root."),
        ("ru", "доверенных корневых сертификат", "Среди них нет ни одного известного корневого сертификата для перехвата."),
        ("kk", "сенімді түбірлік сертификат тексерілді", "Олардың ешқайсысы HTTPS-ті ұстап алуға арналған белгілі"),
    ],
)
def test_trust_audit_in_each_language(lang: str, checked: str, none: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(["--lang", lang, "trust", "audit", "--device-roots", certifi.where()], capsys)
    assert code == 0 and checked in out and none in out, out
    if lang != "en":
        assert not english_in(out), out


def test_trust_audit_plural_forms() -> None:
    one, few, many = (i18n.translate_plural("Checked {n} trusted root from {source}.",
                                            "Checked {n} trusted roots from {source}.", n, "ru", source="x")
                      for n in (1, 3, 25))
    assert one.startswith("Проверен 1 доверенный") and few.startswith("Проверено 3 доверенных корневых сертификата")
    assert many.startswith("Проверено 25 доверенных корневых сертификатов")


# ------------------------------------------------------------------------------------------ collector CLI


def test_collector_bad_db_in_kazakh(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["--lang", "kk", "collector", "token", "list", "--db", "mysql://x"], capsys)
    assert code == 2 and "дерекқоры қолдау көрсетілмейді" in err, err
    assert not english_in(err), err


def test_collector_token_list_in_russian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    code, _out, err = run(["--lang", "ru", "collector", "token", "list", "--db", db], capsys)
    assert code == 0
    code, out, _err = run(["--lang", "ru", "collector", "token", "list", "--db", db], capsys)
    assert "токенов пока нет" in out, out
    code, out, err = run(["--lang", "ru", "collector", "token", "add", "ngo", "--db", db], capsys)
    assert code == 0 and "токен для «ngo»" in err, err
    code, out, _err = run(["--lang", "ru", "collector", "token", "list", "--db", db], capsys)
    assert out.split()[:4] == ["имя", "создан", "отозван", "сводки"], out
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d UTC", out), out  # the date for a Russian reader


# ---------------------------------------------------------------------------------------------- the lab


def _shipped_texts() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(sc.shipped_dir().glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        out.append((path.stem, "title", data["title"]))
        out.append((path.stem, "description", data["description"].strip()))
    return out


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_scenario_title_and_description_is_in_the_catalog(lang: str) -> None:
    """A new scenario without translations fails here (and in ``scripts/i18n.py check``)."""
    entries = {e.msgid: e for e in i18n.parse_po(i18n.catalog_text(lang)) if not e.obsolete}
    texts = _shipped_texts()
    assert len(texts) >= 40
    for name, key, text in texts:
        e = entries.get(text)
        assert e is not None and e.msgstr.get(0) and "fuzzy" not in e.flags, f"{name}.toml {key} not translated"
        assert i18n.translate(text, lang) != text


def test_the_extractor_takes_the_scenario_texts() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import i18n as script  # scripts/i18n.py
    finally:
        sys.path.remove(str(REPO / "scripts"))
    found = {f.msgid: f for f in script.extract()}
    for name, key, text in _shipped_texts():
        assert f"pathprobe/lab/scenarios/{name}.toml:{key}" in found[text].places


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_lab_list_in_each_language(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(["--lang", lang, "lab", "list"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(sc.shipped())
    for name in sc.shipped():
        scn = sc.load(name)
        with i18n.using(lang):
            shown = scn.shown_title()
        assert shown != scn.title and any(line.startswith(name) and shown in line for line in lines), name
        assert scn.title not in out
    assert not english_in(out), english_in(out)


def test_lab_list_in_english_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(["lab", "list"], capsys)
    assert code == 0
    scn = sc.load("kz-2019")
    assert f"{'kz-2019':<24} {scn.title}" in out.splitlines()


def test_demo_description_in_kazakh() -> None:
    scn = sc.load("kz-2019-escape")
    with i18n.using("kk"):
        text = scn.shown_description()
    assert "көпір" in text and "«CN=Security Certificate»" in text and not english_in(text)
    assert scn.shown_description() == scn.description  # English: as written


def test_a_scenario_file_of_ones_own_shows_as_written(tmp_path: Path) -> None:
    src = (sc.shipped_dir() / "clean.toml").read_text("utf-8")
    f = tmp_path / "mine.toml"
    f.write_text(src.replace('title = "', 'title = "{my} own: ', 1), "utf-8")
    scn = sc.load(str(f))
    with i18n.using("ru"):
        assert scn.shown_title().startswith("{my} own: ")  # no catalog entry, no placeholder filling


@pytest.mark.parametrize(
    ("lang", "msg"),
    [("en", "no lab scenario 'nope'; shipped scenarios:"), ("ru", "нет сценария лаборатории «nope»"),
     ("kk", "«nope» зертхана сценарийі жоқ")],
)
def test_unknown_scenario_message(lang: str, msg: str) -> None:
    with i18n.using(lang), pytest.raises(BadInput) as exc:
        sc.load("nope")
    assert msg in str(exc.value)


def test_bad_scenario_key_in_russian(tmp_path: Path) -> None:
    src = (sc.shipped_dir() / "clean.toml").read_text("utf-8")
    f = tmp_path / "bad.toml"
    f.write_text("surprise = 1\n" + src, "utf-8")
    with i18n.using("ru"), pytest.raises(BadInput) as exc:
        sc.load(str(f))
    assert "ключ 'surprise': неизвестный ключ" in str(exc.value), str(exc.value)
    with pytest.raises(BadInput) as exc:
        sc.load(str(f))
    assert "key 'surprise': unknown key" in str(exc.value)


def test_check_lines_in_each_language() -> None:
    ok, bad = Outcome("path direct tls", "intact", "intact", True), Outcome("path tor reachability", "reachable",
                                                                         "blocked\x1b[2J", False)
    assert ok.line() == "PASS  path direct tls = intact"
    assert bad.line() == "FAIL  path tor reachability: expected reachable, got blocked\\x1b[2J"
    with i18n.using("ru"):
        assert bad.line() == "НЕТ   path tor reachability: ожидалось reachable, получено blocked\\x1b[2J"
    with i18n.using("kk"):
        assert ok.line() == "ИӘ    path direct tls = intact"
