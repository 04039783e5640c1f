"""Languages (issue 18): bad input, click's own usage errors and every command's ``--help`` in Russian
and Kazakh; English unchanged.

"A bad plan in Russian gives a Russian message and exit 2": through the real CLI (a subprocess), with
the language from ``--lang``, ``LANG`` and ``PATHPROBE_LANG``, for several kinds of bad input. Every
case fails before anything is sent (the plan or profile is read first), so no test here makes traffic.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pathprobe import i18n
from pathprobe.cli import clickmessages
from pathprobe.cli.main import build_app, main
from tests.i18n.clihelp import i18n_script

REPO = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


SCRIPT = i18n_script()




def pathprobe(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("PATHPROBE_ACCEPT_RISK", "PATHPROBE_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    return subprocess.run([sys.executable, "-m", "pathprobe", *args], capture_output=True, text=True,
                          env={**base, "COLUMNS": "200", **(env or {})}, timeout=60, check=False, cwd=cwd)


# ------------------------------------------------------------------------------------------ bad input

BAD = {
    # kind: (file name, content, command, the problem's msgid as the message ends with it, its params)
    "malformed TOML": ("plan.toml", "[[probe]\nkind = 1\n", "check",
                       "{what}: not valid TOML ({reason})", None),
    "bad key value": ("plan.toml", '[[probe]]\nkind = "tor"\nbootstrap = "yes"\n', "check",
                      "must be true or false", {}),
    "unknown key": ("plan.toml", '[[probe]]\nkind = "direct"\ntimeout = 3\n', "check", "{where}: unknown key", None),
    "bad bridge line": ("plan.toml", '[[probe]]\nkind = "tor"\ntransport = "obfs4"\n'
                        'bridges = ["obfs4 192.0.2.1:443 1234"]\n', "check",
                        "the fingerprint must be 40 hex digits", {}),
    "bad ss:// URL": ("plan.toml", '[[probe]]\nkind = "vpn"\nprotocol = "shadowsocks"\n'
                      'url = "ss://YWVzLTI1Ni1nY206c2VjcmV0@192.0.2.1"\n', "check",
                      "the server address needs a port (host:port)", {}),
    "bad profile JSON": ("profile.json", '{"schema": "pathprobe.profile/1", "paths": {}}', "profile show",
                         "'{key}' must be a list", {"key": "paths"}),
    "profile not JSON": ("profile.json", "{nope", "profile show",
                         "{what}: not valid JSON ({reason} at line {line})", None),
}
ENGLISH_START = {
    "malformed TOML": "pathprobe: plan.toml: not valid TOML (",
    "bad key value": "pathprobe: plan.toml: [[probe]] #1 (kind \"tor\"), key 'bootstrap': must be true or false\n",
    "unknown key": "pathprobe: plan.toml: [[probe]] #1 (kind \"direct\"), key 'timeout': unknown key\n",
    "bad bridge line": "pathprobe: plan.toml: [[probe]] #1 (kind \"tor\"), key 'bridges', bridge #1: bad bridge line: "
                       "the fingerprint must be 40 hex digits\n",
    "bad ss:// URL": "pathprobe: plan.toml: [[probe]] #1 (kind \"vpn\"), key 'url': not a usable ss:// URL: "
                     "the server address needs a port (host:port)\n",
    "bad profile JSON": "pathprobe: profile.json: not a pathprobe profile: 'paths' must be a list\n",
    "profile not JSON": "pathprobe: profile.json: not valid JSON (",
}
HOW = {  # how the language is chosen: (extra arguments, environment, the language it gives)
    "--lang ru": (["--lang", "ru"], {}, "ru"),
    "LANG=ru_RU.UTF-8": ([], {"LANG": "ru_RU.UTF-8"}, "ru"),
    "PATHPROBE_LANG=kk": ([], {"PATHPROBE_LANG": "kk", "LANG": "ru_RU.UTF-8"}, "kk"),
    "--lang=kk": (["--lang=kk"], {"LANG": "en_US.UTF-8"}, "kk"),
}


def _run_bad(kind: str, tmp_path: Path, extra: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    name, content, command, _msgid, _params = BAD[kind]
    (tmp_path / name).write_text(content, "utf-8")
    args = [*command.split(), name] if command == "profile show" else [command, "--plan", name]
    return pathprobe(*args, *extra, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg"), **env}, cwd=tmp_path)


@pytest.mark.parametrize("how", list(HOW))
@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_in_the_readers_language_exit_2(kind: str, how: str, tmp_path: Path) -> None:
    extra, env, lang = HOW[how]
    res = _run_bad(kind, tmp_path, extra, env)
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathprobe: "), res.stderr
    assert "Traceback" not in res.stderr
    msgid, params = BAD[kind][3], BAD[kind][4]
    if params is not None:  # the whole problem, translated, ends the message
        want = i18n.translate(msgid, lang, **params)
        assert want != msgid and CYRILLIC.search(want)
        assert res.stderr.rstrip("\n").endswith(want), res.stderr
        assert i18n.fill(msgid, params) not in res.stderr
    else:  # a message around a library's own detail: its translated words are there, the English ones not
        words = [w for w in re.split(r"\{[a-z]+\}", i18n.translations(lang).gettext(msgid)) if w.strip(" :()")]
        assert words and all(w in res.stderr for w in words), res.stderr
        assert not any(w in res.stderr for w in re.split(r"\{[a-z]+\}", msgid) if len(w.strip(" :()")) > 3)
    english = ENGLISH_START[kind]
    assert english not in res.stderr
    assert CYRILLIC.search(res.stderr)


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_in_english_unchanged(kind: str, tmp_path: Path) -> None:
    res = _run_bad(kind, tmp_path, [], {"LANG": "C.UTF-8"})
    assert res.returncode == 2
    assert res.stderr.startswith(ENGLISH_START[kind]), res.stderr
    assert not CYRILLIC.search(res.stderr)


@pytest.mark.parametrize(("env", "words"), [
    ({}, "unknown language; choose one of"),
    ({"LANG": "ru_RU.UTF-8"}, "неизвестный язык; выберите один из"),
    ({"PATHPROBE_LANG": "kk"}, "белгісіз тіл; мыналардың бірін таңдаңыз"),
])
def test_bad_lang_lists_the_languages_in_the_environments_language(env: dict[str, str], words: str) -> None:
    res = pathprobe("--lang", "xx", "check", env=env)
    assert res.returncode == 2
    assert res.stderr == f"pathprobe: --lang 'xx': {words}: en, ru, kk\n"


def test_bad_options_of_the_probe_kinds_are_translated(tmp_path: Path) -> None:
    """A bad --bridge line (an option a probe kind adds) and --timeout out of range: Russian, exit 2."""
    (tmp_path / "p.toml").write_text('[[probe]]\nkind = "tor"\n', "utf-8")
    res = pathprobe("check", "--plan", "p.toml", "--bridge", "obfs4 192.0.2.1:443", "--lang", "ru",
                    env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, cwd=tmp_path)
    assert res.returncode == 2
    problem = i18n.translate("an obfs4 bridge needs 'cert=' (or 'node-id=' and 'public-key=')", "ru")
    assert res.stderr == f"pathprobe: --bridge: неверная строка моста: {problem}\n"
    res = pathprobe("check", "--plan", "p.toml", "--timeout", "9999", "--lang", "kk", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == "pathprobe: --timeout 0-ден 600-ге дейінгі секунд саны болуы керек\n"


# ------------------------------------------------------------------------------- click's own words

USAGE_ERRORS = [
    (["check", "--bogus"], "No such option: --bogus"),
    (["profile", "show"], "Missing argument 'file'."),
    (["profile", "show", "a.json", "b.json"], "Got unexpected extra argument"),
    (["check", "--timeout", "abc"], "Invalid value for '--timeout'"),
    (["profile", "render", "x.json", "--format", "pdf"], "is not one of 'md', 'html'."),
    (["nosuch"], "No such command 'nosuch'."),
    (["check", "--out"], "Option '--out' requires an argument."),
]
CLICK_ENGLISH = ("Usage:", "Error:", "Try '", "for help", "No such", "Missing", "Got unexpected", "Invalid value",
                 "is not one of", "requires an argument", "Input should be")


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize(("argv", "english"), USAGE_ERRORS)
def test_click_usage_errors_in_russian_and_kazakh(argv: list[str], english: str, lang: str) -> None:
    res = pathprobe(*argv, "--lang", lang)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    for word in CLICK_ENGLISH:
        assert word not in res.stderr, res.stderr
    assert i18n.translate("Error: {message}", lang, message="") in res.stderr
    if argv != ["check", "--out"]:  # click shows no usage line for an option's missing value
        assert res.stderr.startswith(i18n.translate("Usage:", lang) + " pathprobe"), res.stderr
        assert "--help" in res.stderr
    assert CYRILLIC.search(res.stderr.splitlines()[-1])


@pytest.mark.parametrize(("argv", "english"), USAGE_ERRORS)
def test_click_usage_errors_in_english_unchanged(argv: list[str], english: str) -> None:
    res = pathprobe(*argv, env={"LANG": "C.UTF-8"})
    assert res.returncode == 2
    assert english in res.stderr and "Error: " in res.stderr
    assert not CYRILLIC.search(res.stderr)
    if argv == ["check", "--bogus"]:
        assert res.stderr == ("Usage: pathprobe check [OPTIONS]\nTry 'pathprobe check --help' for help.\n\n"
                              "Error: No such option: --bogus (Possible options: --out)\n")


def test_translate_message_reads_clicks_english_back() -> None:
    i18n.set_language("ru")
    assert clickmessages.translate_message("No such option: --x (Possible options: --y, --z)") == \
        "Нет такого параметра: --x (возможные параметры: --y, --z)"
    assert clickmessages.translate_message("Invalid value for '--n': 'q' is not a valid integer.") == \
        "Недопустимое значение '--n': 'q' — не целое число."
    assert clickmessages.translate_message("something no template knows") == "something no template knows"
    i18n.set_language("en")
    assert clickmessages.translate_message("No such option: --x") == "No such option: --x"


# ---------------------------------------------------------------------------------------------- --help

def _commands() -> list[tuple[list[str], Any]]:
    import typer

    out: list[tuple[list[str], Any]] = []
    stack: list[tuple[list[str], Any]] = [([], typer.main.get_command(build_app("check")))]
    while stack:
        path, cmd = stack.pop()
        out.append((path, cmd))
        stack.extend(([*path, name], sub) for name, sub in getattr(cmd, "commands", {}).items())
    return sorted(out, key=lambda x: x[0])


COMMANDS = [path for path, _cmd in _commands()]
ENGLISH_HELP = sorted({m for m, _place in SCRIPT.extract_cli_help()} | {"Show this message and exit."})


def test_every_command_is_covered() -> None:
    names = {" ".join(p) for p in COMMANDS}
    for want in ("", "check", "profile show", "profile diff", "profile render", "summary", "submit",
                 "trust audit", "lab list", "lab check", "lab demo", "collector serve", "collector token add",
                 "collector token list", "collector token revoke"):
        assert want in names
    if importlib.util.find_spec("pathprobe.ui.cli") is not None:
        assert "ui" in names


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_help_text_has_a_translation(lang: str) -> None:
    """Each command's help and each parameter's help (--help's own included) is replaced by its catalog
    translation: a help string the extractor missed would stay English and fail here."""
    import typer

    i18n.set_language(lang)
    root = typer.main.get_command(build_app("check"))
    english = {id(c): (c.help, {p.name: p.help for p in c.params}) for _p, c in _walk(root)}
    clickmessages.translate_commands(root)
    for path, cmd in _walk(root):
        was_help, was_params = english[id(cmd)]
        if was_help:
            assert cmd.help != was_help and CYRILLIC.search(cmd.help), (path, was_help)
        for p in cmd.params:
            if was_params[p.name]:
                assert p.help != was_params[p.name] and CYRILLIC.search(p.help), (path, p.name)
        helpopt = cmd.get_help_option(cmd.context_class(cmd))
        assert helpopt.help == i18n.translate("Show this message and exit.", lang)


def _walk(root: Any) -> list[tuple[list[str], Any]]:
    out, stack = [], [([], root)]
    while stack:
        path, cmd = stack.pop()
        out.append((path, cmd))
        stack.extend(([*path, n], s) for n, s in getattr(cmd, "commands", {}).items())
    return out


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _help(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "250")
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    assert exc.value.code in (0, None), err
    return _flat(out)


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "pathprobe")
def test_help_of_every_command_in_russian_and_kazakh(path: list[str], lang: str, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    argv = [*path, "--help", "--lang", lang] if path else ["--lang", lang, "--help"]
    shown = _help(argv, capsys, monkeypatch)
    assert CYRILLIC.search(shown)
    for text in ENGLISH_HELP:
        for paragraph in text.split("\n\n"):
            assert _flat(paragraph) not in shown, (path, paragraph)
    for word in ("Usage:", "Options", "Show this message and exit."):
        assert word not in shown
    assert i18n.translate("Usage:", lang) in shown
    assert i18n.translate("Show this message and exit.", lang) in shown


@pytest.mark.parametrize("path", [[], ["check"], ["profile", "render"], ["collector", "token", "add"]],
                         ids=lambda p: " ".join(p) or "pathprobe")
def test_help_in_english_unchanged_even_after_another_language(path: list[str], capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = _help([*path, "--help"], capsys, monkeypatch)
    _help([*path, "--help", "--lang", "kk"], capsys, monkeypatch)  # the same process speaks Kazakh once
    i18n.set_language("en")
    after = _help([*path, "--help"], capsys, monkeypatch)
    assert after == before
    assert not CYRILLIC.search(after)
    assert "Usage: pathprobe" in after and "Show this message and exit." in after
    if path == ["check"]:
        assert "Check which paths keep HTTPS intact on this network." in after
        assert "Print only the recommendation." in after and "A Tor bridge line to test" in after


def test_extractor_finds_the_help_strings() -> None:
    found = {m: place for m, place in SCRIPT.extract_cli_help()}
    assert any(m.startswith("Check which paths keep HTTPS intact on this network.\n\nExit codes:") for m in found)
    assert "A Tor bridge line to test; repeatable (kept secret)." in found  # CliOption, in probes/tor.py
    assert any(m.startswith("Database: a SQLite file path") for m in found)  # help=DB_HELP, a constant
    assert "Print only the recommendation." in found
    assert "Add, list and revoke the bearer tokens of organisations/campaigns." in found  # add_typer(help=)
    msgids = {f.msgid for f in SCRIPT.extract()}
    assert set(found) <= msgids


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_group_without_a_command_shows_its_help_not_an_empty_error(lang: str) -> None:
    """typer's "no arguments" error shows the help itself; in Russian too, not an empty "Ошибка: "."""
    res = pathprobe("collector", "--lang", lang)
    assert res.returncode == 2
    assert res.stderr.strip() == ""
    assert i18n.translate("Run an NGO collector of anonymised summaries.", lang) in _flat(res.stdout)
