"""The vocabulary is spelled once: in ``pathprobe.vocab`` and nowhere else in ``src/pathprobe``.

Every string constant in the package's code (docstrings and other bare string statements aside) that
equals a failure, signal, reachability, TLS verdict, connectivity, advice-case or severity word is a
second spelling of it, and fails this test with its file and line. The fallback failure
``unknown_failure: <detail>`` counts too.

Role and step words (``"tls"``, ``"dns"``, ``"http"``, ``"proxy"``, ``"site"``, ...) are also JSON keys,
URL schemes, lab services and probe kinds, so they are checked only where they can mean nothing else:
compared with an observation's ``step`` or a target's ``role``, or passed as ``step=`` / ``role=``.
(mypy does the rest: observations and targets are typed with the enums.)
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

import pytest

from pathprobe import vocab

PACKAGE = Path(vocab.__file__).parent

STRICT: tuple[type[StrEnum], ...] = (
    vocab.Failure,
    vocab.Signal,
    vocab.Reachability,
    vocab.TlsVerdict,
    vocab.Connectivity,
    vocab.AdviceCase,
    vocab.Severity,
)
CONTEXTUAL: dict[str, type[StrEnum]] = {
    "step": vocab.Step,
    "role": vocab.Role,
    # blocking diagnosis (issue 17): the fields of ``blocking`` and ``blocking.evasion[]``
    "stage": vocab.BlockStage,
    "action": vocab.BlockAction,
    "trigger": vocab.BlockTrigger,
    "strategy": vocab.Evasion,
    "outcome": vocab.EvasionOutcome,
}
"""Field name -> the enum its values come from (checked only next to that field)."""

KEYS = frozenset({"portal", "blocking"})
"""Strict words that are also keys of the profile's JSON objects (``network.portal``): as a key
(``d["portal"]``, ``{"portal": ...}``, ``d.get("portal")``) they are not the word."""

ALLOWED: dict[tuple[str, str, str], str] = {
    # ``blocking`` is an advice case, and also the key of a target's blocking diagnosis (issue 17):
    ("profile.py", "blocking", 'frozenset({"legacy_root", "note", "blocking", "throttle"})'): "the key targets[].blocking",
    ("profile.py", "blocking", 'r.obj("blocking")'): "the key targets[].blocking",
    ("lab/scenario.py", "blocking", 'blocking=x.text("blocking"'): "the key expect.target.blocking",
    ("report/diff.py", "blocking", '_field(ch, tbase, "blocking"'): "the changed field targets[].blocking",
    ("report/diff.py", "blocking", 'if c["field"] == "blocking":'): "the changed field targets[].blocking",
    ("report/diff.py", "blocking", 'field=_label("blocking")'): "the changed field's label",
    ("summary/schema.py", "blocking", 'frozenset({"blocking"})'): "the key sites[].blocking of a summary",
    ("summary/schema.py", "blocking", 'if "blocking" in s:'): "the key sites[].blocking of a summary",
    # (file, word, text on its line): why this is not vocabulary use.
    # ``portal`` is a connectivity word, and also a probe kind, a path id, a lab service, a scenario
    # table and a change record:
    ("probes/portal.py", "portal", 'kind: ClassVar[str] = "portal"'): "the portal probe kind",
    ("probes/portal.py", "portal", 'PATH = "portal"'): "the portal probe's path id in its observations",
    ("lab/services/portal.py", "portal", 'kind = "portal"'): "the lab's portal service",
    ("lab/services/portal.py", "portal", 'instance: str = "portal"'): "the lab's portal service",
    ("lab/scenario.py", "portal", 't.sub("portal")'): "the scenario's [expect.portal] table",
    ("lab/expect.py", "portal", '"portal",'): "the key network.portal, in a list of keys to compare",
    ("summary/schema.py", "portal", '"connectivity", "portal"}'): "the key network.portal, in a set of keys",
    ("report/diff.py", "portal", '{"what": "portal"}'): "a kind of change record (network, portal, ...)",
    ("report/diff.py", "portal", 'elif w == "portal":'): "a kind of change record",
    # ``unknown`` is a reachability verdict, and also what a report prints for a field it lacks:
    ("report/html.py", "unknown", 'net.connectivity or "unknown"'): "a profile without connectivity",
    ("report/markdown.py", "unknown", "net.connectivity or 'unknown'"): "a profile without connectivity",
    ("profile.py", "portal", 'r.obj("portal")'): "the key network.portal, read",
    ("profile.py", "portal", 'r.at("portal")'): "the key network.portal, where its fields are",
    **{
        ("collector/migrations.py", word, f'"{word}",'): "a SQL column of a shipped migration: frozen, "
        "so that a new verdict word can never change an old migration"
        for word in ("reachable", "partial", "blocked", "unknown", "intact", "intercepted", "unverified")
    },
}
"""Precise exceptions, each with why. An entry that no longer matches anything fails the test."""


def _members(enums: Iterable[type[StrEnum]]) -> dict[str, str]:
    """value -> "Enum.MEMBER" (or several, for a word two enums share)."""
    out: dict[str, list[str]] = {}
    for e in enums:
        for m in e:
            out.setdefault(m.value, []).append(f"{e.__name__}.{m.name}")
    return {k: " or ".join(v) for k, v in out.items()}


WORDS = _members(STRICT)
FIELD_WORDS = {field: _members([enum]) for field, enum in CONTEXTUAL.items()}


def _word(value: str) -> str | None:
    if value in WORDS:
        return WORDS[value]
    head, sep, _ = value.partition(":")
    if sep and head in vocab.Failure._value2member_map_:
        return WORDS[head]
    return None


def _prose(tree: ast.AST) -> set[int]:
    """ids of string statements (docstrings, attribute docstrings) and of msgids given to the translation
    markers (``_``, ``N_``, ``ngettext``, ``translate``, ``translate_plural``: words shown to a person,
    translated, not vocabulary values)."""
    out = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "_", "N_", "ngettext", "translate", "translate_plural"):
            out.update(id(a) for a in node.args[:2] if isinstance(a, ast.Constant))
    return out


def _keys(tree: ast.AST) -> set[int]:
    """ids of constants used as a key: ``d["k"]``, ``{"k": v}``, ``d.get("k")``."""
    keys: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            keys.add(id(node.slice))
        elif isinstance(node, ast.Dict):
            keys.update(id(k) for k in node.keys if k is not None)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and node.args
        ):
            keys.add(id(node.args[0]))
    return keys


def _field_of(node: ast.expr) -> str | None:
    """``x.step`` / ``x["step"]`` / ``x.get("step")`` -> ``"step"`` (for the contextual fields)."""
    name: object = None
    if isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        name = node.slice.value
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        name = node.args[0].value
    return name if isinstance(name, str) and name in CONTEXTUAL else None


def _strings(node: ast.expr) -> list[ast.Constant]:
    """A string constant, or those of a tuple/list/set literal."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [n for n in items if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _contextual(tree: ast.AST) -> list[tuple[ast.Constant, str]]:
    """Step and role words next to a ``step`` or ``role`` field: compared with it, or passed as it."""
    out: list[tuple[ast.Constant, str]] = []
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.expr]] = []
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            fields = [f for f in map(_field_of, sides) if f]
            pairs = [(f, side) for f in fields for side in sides]
        elif isinstance(node, ast.Call):
            pairs = [(k.arg, k.value) for k in node.keywords if k.arg in CONTEXTUAL]
        for field, side in pairs:
            for const in _strings(side):
                if const.value in FIELD_WORDS[field]:
                    out.append((const, FIELD_WORDS[field][const.value]))
    return out


def spellings(path: Path, package: Path = PACKAGE) -> list[tuple[int, str, str]]:
    """(line, string, enum member) for each vocabulary word spelled in ``path``, in line order."""
    source = path.read_text("utf-8")
    lines = source.splitlines()
    tree = ast.parse(source, str(path))
    prose, keys = _prose(tree), _keys(tree)
    rel = path.relative_to(package).as_posix()
    found: list[tuple[ast.Constant, str]] = list(_contextual(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            word = _word(node.value)
            if word is not None and not (id(node) in keys and node.value in KEYS):
                found.append((node, word))
    out = set()
    for node, word in found:
        line = lines[node.lineno - 1]
        if not any(f == rel and w == node.value and text in line for (f, w, text) in ALLOWED):
            out.add((node.lineno, node.value, word))
    return sorted(out)


def _sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p != PACKAGE / "vocab.py"]


def test_vocabulary_is_spelled_once() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {value!r} -> use vocab.{word}"
        for path in _sources()
        for line, value, word in spellings(path)
    ]
    assert not found, "vocabulary spelled outside pathprobe/vocab.py:\n" + "\n".join(found)


def test_every_exception_is_still_needed() -> None:
    """An ALLOWED entry whose line is gone would silently allow the word there again: drop it."""
    stale = []
    for (rel, word, text), _why in ALLOWED.items():
        path = PACKAGE / rel
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
        if not any(text in line and (f'"{word}"' in line or f"'{word}'" in line) for line in lines):
            stale.append(f"{rel}: {text}")
    assert not stale, "ALLOWED entries that match nothing any more:\n" + "\n".join(stale)


@pytest.mark.parametrize("enum", [*STRICT, *CONTEXTUAL.values()])
def test_each_word_names_one_member(enum: type[StrEnum]) -> None:
    values = [m.value for m in enum]
    assert len(values) == len(set(values))
    assert all(m.name == m.value.upper() for m in enum)


def test_the_checker_sees_a_spelling(tmp_path: Path) -> None:
    src = tmp_path / "mod.py"
    src.write_text(
        '"""A docstring naming eof_error is prose."""\n'
        'X = "eof_error"\n'
        'Y = f"unknown_failure: {X}"\n'
        'Z = {"portal": 1}["portal"]\n'
        'W = "portal"\n'
        'ok = [o for o in [] if o.step == "tcp" or o["role"] in ("site", "dns")]\n'
        'T = {"tls": 1, "kind": "dns"}\n'
        'make(step="dns", role="site", kind="http")\n'
        'S = {"device_trusted_not_public": "text"}\n'
    )
    got = [(line, word) for line, _, word in spellings(src, tmp_path)]
    assert got == [
        (2, "Failure.EOF_ERROR"),
        (3, "Failure.UNKNOWN_FAILURE"),
        (5, "Connectivity.PORTAL"),
        (6, "Role.SITE"),
        (6, "Step.TCP"),
        (8, "Step.DNS"),
        (8, "Role.SITE"),
        (9, "Signal.DEVICE_TRUSTED_NOT_PUBLIC"),
    ]


def test_every_enum_is_checked() -> None:
    assert set(vocab.Word.__subclasses__()) == {*STRICT, *CONTEXTUAL.values()}


def test_members_are_the_strings_json_carries() -> None:
    assert vocab.Failure.EOF_ERROR == "eof_error"
    assert str(vocab.Failure.EOF_ERROR) == "eof_error"
    assert repr([vocab.Reachability.BLOCKED]) == repr(["blocked"])
    assert f"{vocab.Failure.UNKNOWN_FAILURE}: x" == "unknown_failure: x"
    assert json.dumps({vocab.Signal.MISSING_SCT: [vocab.TlsVerdict.INTACT]}) == '{"missing_sct": ["intact"]}'
    assert {"intact": 1}[vocab.TlsVerdict.INTACT] == 1
