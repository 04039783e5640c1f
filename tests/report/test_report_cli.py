"""``pathprobe profile show|diff|render`` and ``check`` output: exit codes, messages, exact diffs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathprobe.cli.main import main
from pathprobe.profile import Profile, load_profile
from pathprobe.report.diff import diff_profiles, render_text

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
CLEAN, KZ = FIXTURES / "clean.json", FIXTURES / "kz-2019.json"
GOLDEN = HERE.parent / "golden" / "recommend"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


# ------------------------------------------------------------------------------------------ diff


def _kz_changes() -> list[dict[str, Any]]:
    """Exactly what differs between the lab's clean network and the kz-2019 one (real measurements)."""
    kz = load_profile(KZ)
    root = kz.trust_store.known_interception_roots[0].sha256
    signals = ["cross_path_mismatch", "device_trusted_not_public", "known_interception_root"]
    out: list[dict[str, Any]] = [
        {"what": "path_verdict", "path": "direct", "field": "tls", "before": "intact", "after": "intercepted"}
    ]
    for host in ("facebook.com", "twitter.com"):
        base = {"what": "target_verdict", "path": "direct", "target": f"{host}:8443"}
        out += [
            {**base, "field": "tls", "before": "intact", "after": "intercepted"},
            {**base, "field": "signals", "before": [], "after": signals},
        ]
    for host in ("facebook.com", "twitter.com"):
        out.append(
            {
                "what": "interception",
                "change": "added",
                "host": host,
                "issuer": "CN=Security Certificate",
                "root_sha256": root,
                "known_as": "Qaznet Trust Network (lab copy) (KZ, 2019)",
                "paths": ["direct"],
            }
        )
    out.append(
        {
            "what": "trust_root",
            "change": "added",
            "sha256": root,
            "known_as": "Qaznet Trust Network (lab copy) (KZ, 2019)",
            "subject": "CN=Qaznet Trust Network,O=Lab copy,C=KZ",
        }
    )
    out.append(
        {
            "what": "recommendation",
            "field": "ranked",
            "before": ["vpn:lab-socks", "direct"],
            "after": ["vpn:lab-socks"],
        }
    )
    out.append(
        {
            "what": "recommendation",
            "field": "advice",
            "before": load_profile(CLEAN).recommendation.advice,
            "after": kz.recommendation.advice,
        }
    )
    return out


def test_diff_clean_vs_kz_names_exactly_what_changed() -> None:
    d = diff_profiles(load_profile(CLEAN), load_profile(KZ))
    assert d["changes"] == _kz_changes()


def test_diff_cli_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["profile", "diff", str(CLEAN), str(KZ)], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[1:4] == [
        "Paths",
        "  direct: TLS intact → intercepted",
        "  direct · facebook.com:8443: TLS intact → intercepted; signals +cross_path_mismatch "
        "+device_trusted_not_public +known_interception_root",
    ]
    assert "  ranked: [vpn:lab-socks, direct] → [vpn:lab-socks]" in lines
    assert not any(ln.startswith("  path:") for ln in lines)  # the recommended path did not change
    assert not any("www.google.com" in ln or "example.com" in ln or "vpn:lab-socks ·" in ln for ln in lines)
    code, out, _ = run(["profile", "diff", str(CLEAN), str(KZ), "--json"], capsys)
    assert code == 0 and json.loads(out)["changes"] == _kz_changes()


def test_diff_same_profile_and_reverse(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["profile", "diff", str(KZ), str(KZ)], capsys)
    assert code == 0 and "No change" in out
    back = diff_profiles(load_profile(KZ), load_profile(CLEAN))["changes"]
    assert {c["change"] for c in back if "change" in c} == {"removed"}
    assert "- Qaznet Trust Network (lab copy) (KZ, 2019): no longer trusted" in render_text(
        diff_profiles(load_profile(KZ), load_profile(CLEAN))
    )


def test_diff_paths_added_removed_and_portal(capsys: pytest.CaptureFixture[str]) -> None:
    a = GOLDEN / "clean" / "profile.json"
    b = GOLDEN / "portal-offers-certificates" / "profile.json"
    code, out, _ = run(["profile", "diff", str(a), str(b)], capsys)
    assert code == 0
    assert "  connectivity: online → portal" in out
    assert "  portal detected: none → True" in out
    assert "+ offered certificate Qaznet Trust Network — known as Qaznet Trust Network (KZ, 2019)" in out
    for gone in ("doh:quad9", "tor:vanilla", "vpn:office"):
        assert f"  - {gone}: removed" in out
    assert "  path: tor:vanilla → tor:obfs4" in out


# ------------------------------------------------------------------------------- show / render


def test_show_and_render(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(["profile", "show", str(KZ)], capsys)
    assert code == 0
    assert "intercepted" in out and "vpn:lab-socks" in out and "\x1b[" not in out  # no colours off a TTY
    assert "Recommended: the SOCKS proxy 'lab-socks' (vpn:lab-socks)" in out
    code, out, _ = run(["profile", "render", str(KZ), "--format", "md"], capsys)
    assert code == 0 and out.startswith("# pathprobe report")
    dest = tmp_path / "r.html"
    code, out, _ = run(["profile", "render", str(KZ), "--format", "html", "--out", str(dest)], capsys)
    assert code == 0 and out == "" and dest.read_text("utf-8").startswith("<!DOCTYPE html>")
    code, out, _ = run(["profile", "show", str(KZ), "--json"], capsys)
    assert code == 0 and out == KZ.read_text("utf-8")  # the profile as read, byte for byte


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_every_golden_profile_renders(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = str(GOLDEN / case / "profile.json")
    for argv in (
        ["profile", "show", f],
        ["profile", "render", f, "--format", "md"],
        ["profile", "render", f, "--format", "html"],
        ["profile", "diff", f, str(CLEAN)],
    ):
        code, out, err = run(argv, capsys)
        assert code == 0 and out and err == "", (argv, err)


# ------------------------------------------------------------------------------- bad profiles

BAD: dict[str, tuple[str, str]] = {
    "not-json": ("{ nope", "not valid JSON"),
    "not-object": ("[1, 2]", "the top level must be a JSON object"),
    "wrong-schema": ('{"schema": "pathprobe.profile/9"}', "'schema' must be"),
    "no-paths": (
        '{"schema": "pathprobe.profile/1", "network": {}, "interception": [], "recommendation": {}}',
        "'paths' must be a list",
    ),
}


def _mutated(tmp_path: Path, name: str, change: Any) -> Path:
    p = json.loads(KZ.read_text("utf-8"))
    change(p)
    f = tmp_path / f"{name}.json"
    f.write_text(json.dumps(p), "utf-8")
    return f


MUTATIONS = {
    "bad-verdict": (lambda p: p["paths"][0].update(tls="maybe"), "'tls' must be one of"),
    "signals-not-list": (lambda p: p["paths"][0]["targets"][0].update(signals=5), "'signals' must be a list"),
    "portal-string": (lambda p: p["network"].update(portal="yes"), "'network.portal' must be an object"),
    "trust-roots-bad": (lambda p: p["trust_store"].update(known_interception_roots=["x"]), "list of objects"),
    "finding-no-host": (lambda p: p["interception"][0].pop("host"), "needs 'host' and 'paths'"),
    "latency-string": (lambda p: p["paths"][0].update(latency_ms="fast"), "'latency_ms' must be a number"),
    "advice-number": (lambda p: p["recommendation"].update(advice=3), "'recommendation.advice' must be"),
}


@pytest.mark.parametrize("command", ["show", "diff-a", "diff-b", "render"])
def test_bad_files_exit_2_with_one_message(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for name, (text, _msg) in BAD.items():
        f = tmp_path / f"{name}.json"
        f.write_text(text, "utf-8")
        files.append((f, _msg))
    for name, (change, msg) in MUTATIONS.items():
        files.append((_mutated(tmp_path, name, change), msg))
    files.append((tmp_path / "missing.json", "no such profile file"))
    files.append((tmp_path, "cannot read the profile"))
    for f, msg in files:
        argv = {
            "show": ["profile", "show", str(f)],
            "diff-a": ["profile", "diff", str(f), str(KZ)],
            "diff-b": ["profile", "diff", str(KZ), str(f)],
            "render": ["profile", "render", str(f), "--format", "html"],
        }[command]
        code, out, err = run(argv, capsys)
        assert code == 2, (f, err)
        assert out == ""
        assert err.count("\n") == 1 and err.startswith("pathprobe: ") and msg in err, (f, err)


def test_render_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["profile", "render", str(KZ), "--format", "pdf"], capsys)
    assert code == 2 and "pdf" in err
    code, _, err = run(["profile", "render", str(KZ), "--format", "md", "--out", str(tmp_path)], capsys)
    assert code == 2 and "is a directory" in err
    code, _, err = run(
        ["profile", "render", str(KZ), "--format", "md", "--out", str(tmp_path / "no" / "x.md")], capsys
    )
    assert code == 2 and "cannot write" in err


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def _paths_in(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k != "observations":
                out += _paths_in(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _paths_in(v, (*prefix, i))
    return out


KZ_DATA = json.loads(KZ.read_text("utf-8"))
KZ_DATA["observations"] = []
LOCATIONS = [p for p in _paths_in(KZ_DATA) if p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(LOCATIONS), value=JSONISH)
def test_any_damaged_profile_gives_output_or_exit_2(
    where: tuple[Any, ...], value: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replace any one field of a real profile with any JSON value: never a traceback, only 0 or 2."""
    data = json.loads(json.dumps(KZ_DATA))
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    f = tmp_path / "fuzz.json"
    f.write_text(json.dumps(data), "utf-8")
    for argv in (
        ["profile", "show", str(f)],
        ["profile", "render", str(f), "--format", "html"],
        ["profile", "render", str(f), "--format", "md"],
        ["profile", "diff", str(f), str(CLEAN)],
    ):
        code, _out, err = run(argv, capsys)
        assert code in (0, 2), (argv, err)
        if code == 2:
            assert err.count("\n") == 1


def test_diff_same_finding_on_other_paths() -> None:
    a = load_profile(GOLDEN / "kz-2019-trusted-root" / "profile.json")
    data = a.to_dict()
    data["interception"][0]["paths"] = ["direct"]
    data["interception"][0]["known_as"] = None
    b = Profile.from_json(data, "b")
    changes = diff_profiles(a, b)["changes"]
    base = {
        "what": "interception_finding",
        "host": "facebook.com",
        "issuer": "CN=Security Certificate",
        "root_sha256": a.interception[0].root_sha256,
    }
    assert changes == [
        {**base, "field": "paths", "before": ["direct", "doh:quad9"], "after": ["direct"]},
        {**base, "field": "known_as", "before": "Qaznet Trust Network (KZ, 2019)", "after": None},
    ]
    text = render_text(diff_profiles(a, b))
    assert "  facebook.com (issuer 'Security Certificate', root " in text
    assert "paths [direct, doh:quad9] → [direct]; known_as Qaznet Trust Network (KZ, 2019) → none" in text
