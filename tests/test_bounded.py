"""pathprobe.bounded: JSON and TOML from files or the network, bounded in size, depth and number length.

Every violation is one BadInput naming the document; nothing leaks a RecursionError, ValueError or
OverflowError, and a big valid document parses in time proportional to its size.
"""

from __future__ import annotations

import gc
import json
import time

import pytest

from pathprobe.bounded import MAX_DEPTH, MAX_NUMBER_CHARS, check_size, loads_json, loads_toml
from pathprobe.errors import BadInput

CAP = 64 * 1024 * 1024


def refused(data: str | bytes, *, toml: bool = False, max_bytes: int = CAP) -> str:
    with pytest.raises(BadInput) as exc:
        if toml:
            assert isinstance(data, str)
            loads_toml(data, "doc.toml", max_bytes=max_bytes)
        else:
            loads_json(data, "doc.json", max_bytes=max_bytes)
    msg = str(exc.value)
    assert msg.startswith("doc.") and "\n" not in msg
    return msg


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000, 1_000_000])
def test_json_nested_too_deep(depth: int) -> None:
    assert "nested deeper" in refused("[" * depth + "]" * depth)
    assert "nested deeper" in refused('{"a":' * depth + "1" + "}" * depth)
    assert "nested deeper" in refused("[" * depth)  # never closed


def test_json_nesting_up_to_the_limit_and_brackets_in_strings() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads_json(ok, "d", max_bytes=CAP) is not None
    s = json.dumps({"text": "[" * 10_000 + '\\"{' * 100})
    assert loads_json(s, "d", max_bytes=CAP)["text"].startswith("[[[")


@pytest.mark.parametrize(
    "number", ["9" * 5000, "9" * (MAX_NUMBER_CHARS + 1), "-" + "1" * 100, "1." + "0" * 100, "1e999", "-1e999"]
)
def test_json_huge_numbers(number: str) -> None:
    msg = refused('{"x": ' + number + "}")
    assert "number" in msg


def test_json_numbers_within_limits_keep_their_type() -> None:
    d = loads_json('{"i": 12345678901234567890, "f": 1.5e300, "n": -0.0}', "d", max_bytes=CAP)
    assert d == {"i": 12345678901234567890, "f": 1.5e300, "n": -0.0}
    assert type(d["i"]) is int and type(d["f"]) is float


@pytest.mark.parametrize("const", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity(const: str) -> None:
    assert const in refused('{"x": [1, ' + const + "]}")


@pytest.mark.parametrize("data", [b"\xff\xfe{}", b'{"a": "\xc3"}', b'{"a": "\xed\xa0\x80"}'])
def test_json_not_utf8(data: bytes) -> None:
    assert "not UTF-8" in refused(data)


@pytest.mark.parametrize("data", ["", "{", "[1,]", "<html>", '{"a" 1}', "\x00"])
def test_json_not_json(data: str) -> None:
    assert "not valid JSON" in refused(data)


def test_size_cap_counts_bytes_and_names_the_sizes() -> None:
    doc = json.dumps({"a": "é" * 600}, ensure_ascii=False)  # 1200 bytes of UTF-8 in 600 characters
    msg = refused(doc, max_bytes=1024)
    assert "larger than the 1.0 KiB" in msg
    assert loads_json(doc, "d", max_bytes=2048)["a"] == "é" * 600
    check_size(b"x" * 10, "d", 10)
    with pytest.raises(BadInput):
        check_size(b"x" * 11, "d", 10)


def _document(n: int) -> str:
    return json.dumps(
        {"paths": [{"id": f"p{i}", "targets": [{"target": f"s{i}.test", "signals": ["a", "b"], "n": i, "f": 1.5}]}
                   for i in range(n)]}
    )


def _seconds(text: str) -> float:
    best = float("inf")
    gc.disable()  # a collection landing in one run only is noise, not growth
    try:
        for _ in range(5):
            t = time.perf_counter()
            loads_json(text, "d", max_bytes=CAP)
            best = min(best, time.perf_counter() - t)
    finally:
        gc.enable()
    return best


def test_a_big_valid_document_parses_in_linear_time() -> None:
    small, big = _document(5_000), _document(50_000)
    assert len(big) > 9 * len(small)
    ratio = _seconds(big) / _seconds(small)
    assert ratio < 35, ratio  # ten times the size: ~10x when linear, ~100x when quadratic (a busy CI runner)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_toml_nested_too_deep(depth: int) -> None:
    msg = refused("x = " + "[" * depth + "]" * depth, toml=True)
    assert "nested" in msg
    tables = "\n".join(f"[{'.'.join(['t'] * k)}]" for k in range(1, min(depth, 200) + 1))
    if min(depth, 200) > MAX_DEPTH:
        assert "nested" in refused(tables, toml=True)
    inline = "x = " + "{a = " * depth + "1" + "}" * depth
    assert "nested" in refused(inline, toml=True)


def test_toml_huge_numbers_bad_text_and_size() -> None:
    assert "not valid TOML" in refused("x = 1e999999999999999999999999999999x", toml=True)
    assert "not valid TOML" in refused("[[probe]\nkind = ", toml=True)
    refused("x = " + "9" * 10_000, toml=True)  # an integer tomllib will not make: BadInput, not ValueError
    assert "larger than" in refused('x = "' + "a" * 2000 + '"', toml=True, max_bytes=1024)
    assert loads_toml('[[probe]]\nkind = "direct"\n', "p", max_bytes=1024) == {"probe": [{"kind": "direct"}]}


@pytest.mark.parametrize(
    "unit",
    ['\\"', '"\\', "\\\\\\", '"[', '["', '"\\"[{'],
    ids=["escaped-quotes", "quote-backslash", "backslashes", "quote-bracket", "bracket-quote", "mixed"],
)
def test_unterminated_strings_and_escapes_are_linear(unit: str) -> None:
    # '"\"\"\"...' never ends: a regular expression for JSON strings retried it from every quote
    # (quadratic: 19 s for 80 KB); the check must stay proportional to the size.
    small, big = '"' + unit * 20_000, '"' + unit * 200_000

    def secs(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            with pytest.raises(BadInput):
                loads_json(text, "d", max_bytes=CAP)
            best = min(best, time.perf_counter() - t)
        return best

    assert secs(big) / max(secs(small), 1e-4) < 30


def test_depth_counts_brackets_outside_strings_only() -> None:
    deep_in_string = json.dumps({"s": "[" * 1000 + '\\"' + "{" * 1000, "t": "\\" * 7})
    assert loads_json(deep_in_string, "d", max_bytes=CAP)["t"] == "\\" * 7
    escaped_then_deep = '["\\\\", ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "]"
    assert "nested deeper" in refused(escaped_then_deep)
    at_limit = '["\\"", ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "]"
    assert loads_json(at_limit, "d", max_bytes=CAP)[0] == '"'
