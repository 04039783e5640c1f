"""Hostile profiles and summaries through every command that reads them (issue 16, part 2).

A corpus is made programmatically from valid documents (the shipped reference profiles, and a summary
made from one): every value, at every distinct place of the schema, replaced in turn by ``[]``, ``{}``,
``1e999``, a very long string and ``null``; plus documents nested too deep, with huge integers, NaN,
not UTF-8, and too large. Each goes through ``profile show``, ``profile diff``, ``profile render`` (md
and html) and ``summary`` (profiles) or ``submit`` (summary files and queued summaries), in-process
through the real CLI entry point. A document may be accepted (a null or an empty list is often
valid); otherwise the command exits 2 with one line ``pathprobe: ...`` naming the file, and never
with a traceback or any other exception.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pathprobe.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("kz-2019-portal.json", "retired-root.json", "dns-poison.json", "tor-bridge.json")
HUGE = "__HUGE_FLOAT__"
REPLACEMENTS: tuple[Any, ...] = ([], {}, HUGE, "x" * 100_000, None)


def sample_profile() -> dict[str, Any]:
    """One valid profile holding what the shipped ones have between them: a portal with offered
    certificates, a formerly public root, notes, tor details, interception findings."""
    base = json.loads((ROOT / "profiles" / SAMPLES[0]).read_text("utf-8"))
    for name in SAMPLES[1:]:
        other = json.loads((ROOT / "profiles" / name).read_text("utf-8"))
        for p in other["paths"]:
            p = copy.deepcopy(p)
            p["id"] = f"{p['id']}-{name.split('.')[0]}"
            base["paths"].append(p)
        base["observations"].extend(other["observations"][:8])
        base["interception"].extend(other["interception"][:1])
        for root in other.get("trust_store", {}).get("known_interception_roots", [])[:1]:
            base.setdefault("trust_store", {}).setdefault("known_interception_roots", []).append(root)
    return base


def _shape(v: Any) -> str:
    return type(v).__name__ + (",".join(sorted(v)) if isinstance(v, dict) else "")


def places(doc: Any) -> Iterator[tuple[Any, ...]]:
    """Every place of a value, once per distinct schema place and shape (list indices generalised)."""
    seen: set[tuple[str, str]] = set()

    def walk(v: Any, at: tuple[Any, ...], generic: str) -> Iterator[tuple[Any, ...]]:
        sig = (generic, _shape(v))
        if sig in seen:
            return
        seen.add(sig)
        if at:
            yield at
        if isinstance(v, dict):
            for k, x in v.items():
                yield from walk(x, (*at, k), f"{generic}.{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                yield from walk(x, (*at, i), f"{generic}[]")

    yield from walk(doc, (), "")


def replaced(doc: Any, at: tuple[Any, ...], value: Any) -> str:
    d = copy.deepcopy(doc)
    parent = d
    for k in at[:-1]:
        parent = parent[k]
    parent[at[-1]] = value
    return json.dumps(d).replace(f'"{HUGE}"', "1e999")


def special_documents(valid: dict[str, Any]) -> dict[str, bytes]:
    """Documents that no reader may accept: too deep, huge numbers, NaN, not UTF-8, too large."""
    text = json.dumps(valid)
    inner = text[1:]  # '"schema": ...}'
    return {
        "deep-array": ("{" + '"x": ' + "[" * 100_000 + "]" * 100_000 + ", " + inner).encode(),
        "deep-object": ('{"x": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + ", " + inner).encode(),
        "deep-unclosed": ("[" * 1_000_000).encode(),
        "huge-int": ('{"x": ' + "9" * 100_000 + ", " + inner).encode(),
        "huge-float": ('{"x": 1e999, ' + inner).encode(),
        "nan": ('{"x": NaN, ' + inner).encode(),
        "infinity": ('{"x": -Infinity, ' + inner).encode(),
        "not-utf8": b'{"x": "\xff\xfe", ' + inner.encode(),
        "not-json": b"<html>not json</html>",
        "empty": b"",
        "top-level-list": b"[1, 2, 3]",
    }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    code = exc.value.code
    return code if isinstance(code, int) else 1, out, err


def assert_clean(code: int, err: str, what: str, *, must_fail: bool) -> None:
    assert "Traceback" not in err, what
    if code == 0 and not must_fail:
        return
    assert code == 2, f"{what}: exit {code}, stderr {err[-500:]!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathprobe: "), f"{what}: {err[-500:]!r}"


def profile_commands(good: Path, bad: Path, tmp: Path) -> list[tuple[str, ...]]:
    return [
        ("profile", "show", str(bad)),
        ("profile", "diff", str(good), str(bad)),
        ("profile", "render", str(bad), "--format", "md"),
        ("profile", "render", str(bad), "--format", "html", "--out", str(tmp / "out.html")),
        ("summary", str(bad)),
    ]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "120")
    return tmp_path


def test_the_sample_profile_is_valid_and_every_command_reads_it(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = env / "good.json"
    good.write_text(json.dumps(sample_profile()))
    for args in profile_commands(good, good, env):
        code, _, err = run(capsys, *args)
        assert code == 0, (args, err)


def test_profiles_with_a_wrong_value_anywhere(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = sample_profile()
    good, bad = env / "good.json", env / "bad.json"
    good.write_text(json.dumps(doc))
    all_places = list(places(doc))
    assert len(all_places) > 100  # the corpus covers the schema, not a handful of fields
    accepted = refused = 0
    for at in all_places:
        for value in REPLACEMENTS:
            bad.write_text(replaced(doc, at, value))
            must_fail = value == HUGE
            what = f"{'.'.join(map(str, at))} = {str(value)[:20]!r}"
            code, _, err = run(capsys, "profile", "show", str(bad))
            assert_clean(code, err, f"show: {what}", must_fail=must_fail)
            if code == 2:
                refused += 1
                assert str(bad) in err
                continue  # every command reads a profile the same way (load_profile): shown once
            accepted += 1
            for args in profile_commands(good, bad, env)[1:]:
                code, _, err = run(capsys, *args)
                assert_clean(code, err, f"{args[:2]}: {what}", must_fail=must_fail)
    assert accepted and refused


@pytest.mark.parametrize("name", sorted(special_documents({"schema": "pathprobe.profile/1"})))
def test_profiles_that_no_parser_may_accept(
    name: str, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = sample_profile()
    good, bad = env / "good.json", env / "bad.json"
    good.write_text(json.dumps(doc))
    bad.write_bytes(special_documents(doc)[name])
    for args in profile_commands(good, bad, env):
        code, _, err = run(capsys, *args)
        assert_clean(code, err, f"{name}: {args[:2]}", must_fail=True)
        assert str(bad) in err


def test_a_profile_over_the_size_cap_is_refused_without_reading_it_all(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pathprobe.profile as profile_module

    monkeypatch.setattr(profile_module, "MAX_PROFILE_BYTES", 64 * 1024)
    bad = env / "big.json"
    doc = sample_profile()
    doc["label"] = "x" * (128 * 1024)
    bad.write_text(json.dumps(doc))
    code, _, err = run(capsys, "profile", "show", str(bad))
    assert_clean(code, err, "big", must_fail=True)
    assert "larger than" in err


def sample_summary(env: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    prof = env / "for-summary.json"
    prof.write_text((ROOT / "profiles" / "kz-2019-portal.json").read_text("utf-8"))
    code, out, err = run(capsys, "summary", str(prof), "--country", "KZ", "--asn", "9198")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    assert data["paths"] and data["interception"] and data["network"]["portal"]["offered_certificates"]
    return data


SUBMIT = ("submit", "--collector", "http://127.0.0.1:9", "--token", "t0k3n", "--attempts", "1", "--backoff", "0")


def test_summaries_with_a_wrong_value_anywhere(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = sample_summary(env, capsys)
    bad = env / "bad-summary.json"
    all_places = list(places(doc))
    assert len(all_places) > 30
    refused = 0
    for at in all_places:
        for value in REPLACEMENTS:
            bad.write_text(replaced(doc, at, value))
            what = f"{'.'.join(map(str, at))} = {str(value)[:20]!r}"
            code, _, err = run(capsys, *SUBMIT, str(bad))
            if code == 2:
                refused += 1
                assert_clean(code, err, f"submit: {what}", must_fail=True)
                assert str(bad) in err
            else:  # accepted (a null where one is allowed): sent, and queued as the collector is not there
                assert "Traceback" not in err and code == 0, (what, code, err)
    assert refused > len(all_places)  # most replacements break the schema


def test_special_summaries_and_a_poisoned_queue(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = sample_summary(env, capsys)
    docs = special_documents(doc)
    for name, data in docs.items():
        bad = env / f"{name}.json"
        bad.write_bytes(data)
        code, _, err = run(capsys, *SUBMIT, str(bad))
        assert_clean(code, err, f"submit {name}", must_fail=True)
        assert str(bad) in err
    # The same documents, and wrongly typed ones, waiting in the offline queue: each is set aside with
    # a warning, nothing crashes, and the queue is empty afterwards.
    queue = env / "data" / "pathprobe" / "queue"
    queue.mkdir(parents=True)
    for name, data in docs.items():
        (queue / f"{name}.json").write_bytes(data)
    for i, at in enumerate(places(doc)):
        (queue / f"typed-{i}.json").write_text(replaced(doc, at, {}))
    code, _, err = run(capsys, *SUBMIT)
    assert "Traceback" not in err
    assert code == 0, err
    assert not list(queue.glob("*.json"))
    assert len(list((queue / "invalid").glob("*.json"))) >= len(docs)


PLAN_OK = '[[probe]]\nkind = "direct"\nsites = ["a.test"]\n'


@pytest.mark.parametrize(
    ("name", "text", "word"),
    [
        ("deep-array", PLAN_OK + "x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested"),
        ("deep-inline", 'x = ' + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n" + PLAN_OK, "nested"),
        ("huge-int", "x = " + "9" * 100_000 + "\n" + PLAN_OK, "TOML"),
        ("too-large", PLAN_OK.replace('"a.test"', ", ".join(['"a.test"'] * 150_000)), "larger than"),
    ],
)
def test_hostile_plans(name: str, text: str, word: str, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = env / f"{name}.toml"
    plan.write_text(text)
    code, out, err = run(capsys, "check", "--plan", str(plan), "--json")
    assert_clean(code, err, name, must_fail=True)
    assert word in err and str(plan) in err and not out


def test_a_plan_that_is_not_utf8(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = env / "latin1.toml"
    plan.write_bytes(PLAN_OK.encode() + b'# caf\xe9\n')
    code, _, err = run(capsys, "check", "--plan", str(plan))
    assert_clean(code, err, "latin1", must_fail=True)
