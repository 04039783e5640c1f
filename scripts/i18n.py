#!/usr/bin/env python3
"""Keep pathprobe's gettext catalogs in step with the code.

    python scripts/i18n.py extract   # src/pathprobe -> src/pathprobe/locale/pathprobe.pot
    python scripts/i18n.py merge     # the .pot into locale/{ru,kk}/LC_MESSAGES/pathprobe.po
    python scripts/i18n.py check     # every msgid translated, no fuzzy, same placeholders; msgfmt -c
    python scripts/i18n.py all       # the three in turn (what to run after changing a message)

Messages are what the code marks: ``_("...")``, ``N_("...")``, ``ngettext("...", "...", n)``,
``translate("...", ...)`` and ``translate_plural("...", "...", n, ...)`` with literal strings (adjacent
literals joined, as Python joins them), and the commands' help (:func:`extract_cli_help`: ``help=`` /
``short_help=`` / ``epilog=`` strings and command docstrings in the CLI modules, which are translated
when the command tree is built, so the command modules mark nothing). The extractor reads the code's syntax tree, so it needs nothing
but Python; ``merge`` keeps every translation whose msgid is still used, adds new msgids untranslated and
keeps dropped ones as obsolete (``#~``) entries; ``check`` also runs GNU ``msgfmt -c`` when it is
installed (Debian's ``gettext`` package; scripts/setup.sh installs it), which checks the
``python-brace-format`` placeholders too. Exit 1 when a check fails.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "pathprobe"
LOCALE = SRC / "locale"
POT = LOCALE / "pathprobe.pot"
sys.path.insert(0, str(REPO / "src"))

from pathprobe.i18n import LANGUAGES, PoEntry, parse_po, placeholders  # noqa: E402

KEYWORDS = {"_": (0,), "N_": (0,), "ngettext": (0, 1), "translate": (0,), "translate_plural": (0, 1)}
PLURAL_FORMS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "kk": "nplurals=2; plural=(n != 1);",
}
NAMES = {"ru": "Russian", "kk": "Kazakh"}


@dataclass
class Found:
    msgid: str
    plural: str | None
    places: list[str] = field(default_factory=list)


def extract() -> list[Found]:
    """Every marked message in src/pathprobe, in order of first use."""
    found: dict[tuple[str, str | None], Found] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        plural_of: dict[int, ast.Call] = {}  # Msg(N_("one"), plural=N_("many"), ...): one plural entry
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) == "Msg" and node.args and _name(node.args[0]) == "N_":
                for kw in node.keywords:
                    if kw.arg == "plural" and isinstance(kw.value, ast.Call) and _name(kw.value) == "N_":
                        plural_of[id(node.args[0])] = kw.value
                        skip.add(id(kw.value))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in skip:
                continue
            name = _name(node)
            if name not in KEYWORDS:
                continue
            idx = KEYWORDS[name]
            args = [node.args[i] if i < len(node.args) else None for i in idx]
            if id(node) in plural_of:
                args.append(plural_of[id(node)].args[0] if plural_of[id(node)].args else None)
            if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                continue
            msgid = args[0].value  # type: ignore[union-attr]
            plural = args[1].value if len(args) > 1 else None  # type: ignore[union-attr]
            f = found.setdefault((msgid, plural), Found(msgid, plural))
            f.places.append(f"{path.relative_to(REPO / 'src')}:{node.lineno}")
    for msgid, place in extract_cli_help():
        found.setdefault((msgid, None), Found(msgid, None)).places.append(place)
    extract_scenario_texts(found)
    return list(found.values())


CLI_HELP_FILES = ("cli/*.py", "ui/cli.py")
HELP_KEYWORDS = ("help", "short_help", "epilog")


def extract_cli_help() -> list[tuple[str, str]]:
    """The commands' help texts, as (msgid, place): what click shows for ``--help`` and what
    ``pathprobe.cli.clickmessages.translate_commands`` looks up at run time.

    In the CLI modules (:data:`CLI_HELP_FILES`): every string given as ``help=`` / ``short_help=`` /
    ``epilog=`` (a literal, or the name of a module-level string constant), and the docstring of every
    command: a function decorated with ``@....command(...)`` / ``@....callback(...)``, or one whose
    parameters default to ``typer.Option(...)`` / ``typer.Argument(...)`` (commands registered by name
    in cli/main.py), cleaned as ``inspect.cleandoc`` cleans it (as typer reads it). Anywhere in the
    package: the help of a probe kind's ``CliOption(name, help)``, which becomes a ``check`` option.
    """
    out: list[tuple[str, str]] = []
    files = sorted({p for pattern in CLI_HELP_FILES for p in SRC.glob(pattern)})
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        place = str(path.relative_to(REPO / "src"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) == "CliOption":
                text = node.args[1] if len(node.args) > 1 else next(
                    (kw.value for kw in node.keywords if kw.arg == "help"), None)
                if isinstance(text, ast.Constant) and isinstance(text.value, str) and text.value:
                    out.append((text.value, f"{place}:{node.lineno}"))
        if path not in files:
            continue
        constants = {
            t.id: n.value.value
            for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
            and isinstance(n.value.value, str) for t in n.targets if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg not in HELP_KEYWORDS:
                        continue
                    value = kw.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                        out.append((value.value, f"{place}:{node.lineno}"))
                    elif isinstance(value, ast.Name) and constants.get(value.id):
                        out.append((constants[value.id], f"{place}:{node.lineno}"))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_command(node):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    out.append((doc, f"{place}:{node.lineno}"))
    return out


def _is_command(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A click command's function: decorated ``@x.command(...)`` / ``@x.callback(...)``, or taking
    ``typer.Option`` / ``typer.Argument`` parameters."""
    for dec in fn.decorator_list:
        call = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(call, ast.Attribute) and call.attr in ("command", "callback"):
            return True
    defaults = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d is not None)]
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("Option", "Argument")
               and isinstance(d.func.value, ast.Name) and d.func.value.id == "typer" for d in defaults)



def extract_scenario_texts(found: dict[tuple[str, str | None], Found]) -> None:
    """Add each shipped lab scenario's ``title`` and ``description`` (what ``lab list`` and ``lab demo``
    show, translated where they are shown) as msgids, the scenario file as the reference; the
    description as the scenario reads it (stripped)."""
    import tomllib

    for path in sorted((SRC / "lab" / "scenarios").glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        ref = str(path.relative_to(REPO / "src"))
        for key, text in (("title", data.get("title")), ("description", data.get("description"))):
            text = text.strip() if key == "description" and isinstance(text, str) else text
            if isinstance(text, str) and text:
                found.setdefault((text, None), Found(text, None)).places.append(f"{ref}:{key}")


def _name(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    fn = node.func
    return fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n") + '"'


def _field(key: str, value: str) -> str:
    lines = value.splitlines(keepends=True)
    if len(lines) <= 1 and len(value) < 70:
        return f"{key} {_quote(value)}\n"
    return f'{key} ""\n' + "".join(_quote(line) + "\n" for line in lines)


def write_po(path: Path, entries: list[PoEntry], places: dict[str, list[str]] | None = None) -> None:
    out: list[str] = []
    for e in entries:
        block = ""
        if e.msgid and places and e.msgid in places:
            block += "".join(f"#: {p}\n" for p in places[e.msgid][:4])
        flags = set(e.flags)
        if e.msgid and (placeholders(e.msgid) or (e.msgid_plural and placeholders(e.msgid_plural))):
            flags.add("python-brace-format")
        if flags and e.msgid:
            block += "#, " + ", ".join(sorted(flags)) + "\n"
        body = _field("msgid", e.msgid)
        if e.msgid_plural is not None:
            body += _field("msgid_plural", e.msgid_plural)
            for i in sorted(e.msgstr):
                body += _field(f"msgstr[{i}]", e.msgstr[i])
        else:
            body += _field("msgstr", e.msgstr.get(0, ""))
        if e.obsolete:
            body = "".join("#~ " + line + "\n" for line in body.splitlines())
        out.append(block + body)
    path.write_text("\n".join(out), "utf-8")


def header(lang: str | None) -> PoEntry:
    lines = [
        "Project-Id-Version: pathprobe\n",
        f"Language: {lang or ''}\n",
        "MIME-Version: 1.0\n",
        "Content-Type: text/plain; charset=UTF-8\n",
        "Content-Transfer-Encoding: 8bit\n",
    ]
    if lang:
        lines.append(f"Plural-Forms: {PLURAL_FORMS[lang]}\n")
    return PoEntry(msgid="", msgstr={0: "".join(lines)})


def cmd_extract() -> list[Found]:
    found = extract()
    entries = [header(None)] + [
        PoEntry(f.msgid, f.plural, {0: "", 1: ""} if f.plural else {0: ""}) for f in found
    ]
    write_po(POT, entries, {f.msgid: f.places for f in found})
    print(f"{POT.relative_to(REPO)}: {len(found)} messages")
    return found


def cmd_merge(found: list[Found]) -> None:
    for lang in LANGUAGES[1:]:
        po = LOCALE / lang / "LC_MESSAGES" / "pathprobe.po"
        old = {e.msgid: e for e in parse_po(po.read_text("utf-8"))} if po.is_file() else {}
        nplurals = 3 if lang == "ru" else 2
        entries = [header(lang)]
        for f in found:
            e = old.get(f.msgid)
            if e is not None and (e.msgid_plural is None) == (f.plural is None):
                entries.append(PoEntry(f.msgid, f.plural, dict(e.msgstr), flags=set(e.flags) - {"python-brace-format"}))
            else:
                blank = {i: "" for i in range(nplurals)} if f.plural else {0: ""}
                entries.append(PoEntry(f.msgid, f.plural, blank))
        used = {f.msgid for f in found}
        for msgid, e in old.items():
            if msgid and msgid not in used and any(e.msgstr.values()):
                entries.append(PoEntry(msgid, e.msgid_plural, dict(e.msgstr), obsolete=True))
        po.parent.mkdir(parents=True, exist_ok=True)
        write_po(po, entries, {f.msgid: f.places for f in found})
        print(f"{po.relative_to(REPO)}: merged")


def problems(lang: str, found: list[Found] | None = None) -> list[str]:
    """What is wrong with ``lang``'s catalog: untranslated, fuzzy, placeholders, missing msgids."""
    po = LOCALE / lang / "LC_MESSAGES" / "pathprobe.po"
    entries = [e for e in parse_po(po.read_text("utf-8")) if not e.obsolete]
    out: list[str] = []
    nplurals = 3 if lang == "ru" else 2
    for e in entries:
        if not e.msgid:
            if PLURAL_FORMS[lang] not in e.msgstr.get(0, ""):
                out.append(f"{lang}: header without the Plural-Forms {PLURAL_FORMS[lang]!r}")
            continue
        if "fuzzy" in e.flags:
            out.append(f"{lang}: fuzzy: {e.msgid!r}")
        want = placeholders(e.msgid) | (placeholders(e.msgid_plural) if e.msgid_plural else set())
        forms = range(nplurals) if e.msgid_plural is not None else range(1)
        for i in forms:
            text = e.msgstr.get(i, "")
            if not text:
                out.append(f"{lang}: untranslated: {e.msgid!r}")
                break
            got = placeholders(text)
            # a plural form may leave out {n} (Russian "один" for n=1 is not needed, but allowed)
            if got != want and not (e.msgid_plural is not None and got == want - {"n"}):
                out.append(f"{lang}: placeholders {sorted(got)} != {sorted(want)}: {e.msgid!r}")
    if found is not None:
        have = {e.msgid for e in entries}
        out += [f"{lang}: not in the catalog: {f.msgid!r}" for f in found if f.msgid not in have]
    return out


def cmd_check(found: list[Found] | None) -> int:
    bad: list[str] = []
    for lang in LANGUAGES[1:]:
        bad += problems(lang, found)
        po = LOCALE / lang / "LC_MESSAGES" / "pathprobe.po"
        if shutil.which("msgfmt"):
            with tempfile.TemporaryDirectory() as tmp:
                res = subprocess.run(["msgfmt", "-c", "-o", str(Path(tmp) / "x.mo"), str(po)],
                                     capture_output=True, text=True, check=False)
            if res.returncode != 0:
                bad.append(f"{lang}: msgfmt -c: {res.stderr.strip()}")
    for b in bad:
        print(b)
    print("catalogs: " + ("OK" if not bad else f"{len(bad)} problems"))
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "all"
    if cmd == "extract":
        cmd_extract()
        return 0
    if cmd == "merge":
        cmd_merge(extract())
        return 0
    if cmd == "check":
        return cmd_check(extract())
    if cmd == "all":
        found = cmd_extract()
        cmd_merge(found)
        return cmd_check(found)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
