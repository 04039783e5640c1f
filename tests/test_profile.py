"""The typed profile: every reference profile and golden round-trips byte for byte, and bad input is
one BadInput naming the source and the field."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from pathprobe.errors import BadInput
from pathprobe.profile import Finding, Network, Profile, Recommendation, Target, TrustStore, load_profile
from pathprobe.profile import Path as ProfilePath
from pathprobe.vocab import Connectivity, Reachability, TlsVerdict

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(ROOT.glob("profiles/*.json")) + sorted(ROOT.glob("tests/golden/**/profile.json"))
KZ = ROOT / "profiles" / "kz-2019.json"


def kz() -> dict[str, Any]:
    return json.loads(KZ.read_text("utf-8"))


def test_there_are_files_to_round_trip() -> None:
    assert len(list(ROOT.glob("profiles/*.json"))) >= 16
    assert len(list(ROOT.glob("tests/golden/**/profile.json"))) >= 20


@pytest.mark.parametrize("file", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_round_trip_is_byte_identical(file: Path) -> None:
    """from_json then to_json gives the file's text again: key order, absent keys and numbers included."""
    text = file.read_text("utf-8")
    profile = Profile.from_json(json.loads(text), str(file))
    assert profile.to_json() == text
    assert load_profile(file) == profile


def test_fields_are_typed() -> None:
    p = load_profile(KZ)
    assert isinstance(p.network, Network) and p.network.connectivity is Connectivity.ONLINE
    direct = p.path("direct")
    assert isinstance(direct, ProfilePath) and direct.tls is TlsVerdict.INTERCEPTED
    assert all(isinstance(t, Target) and isinstance(t.reachability, Reachability) for t in direct.targets)
    assert all(isinstance(f, Finding) for f in p.interception)
    assert isinstance(p.recommendation, Recommendation) and isinstance(p.trust_store, TrustStore)
    assert p.observations and p.observations[0].path
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.label = "x"  # type: ignore[misc]


def test_built_profile_writes_keys_in_field_order_and_leaves_out_empty_extras() -> None:
    target = Target(target="a.test", role="site", reachability=Reachability.REACHABLE, tls=TlsVerdict.INTACT)
    path = ProfilePath(id="direct", kind="direct", reachability=Reachability.REACHABLE, tls=TlsVerdict.INTACT,
                       latency_ms=12.0, targets=(target,))
    d = Profile(label=None, created="2026-11-22T10:00:00Z", tool_version="0.1.0",
                network=Network(connectivity=Connectivity.ONLINE), paths=(path,),
                recommendation=Recommendation(path="direct", ranked=("direct",), advice="ok")).to_dict()
    assert list(d) == ["schema", "label", "created", "tool_version", "network", "paths", "interception",
                       "trust_store", "recommendation", "observations"]
    assert list(d["paths"][0]) == ["id", "kind", "reachability", "tls", "latency_ms", "targets"]  # no reason, detail
    assert d["paths"][0]["targets"][0] == {"target": "a.test", "role": "site", "reachability": "reachable",
                                           "tls": "intact", "failure": None, "signals": []}
    assert d["recommendation"] == {"path": "direct", "ranked": ["direct"], "advice": "ok", "cases": []}


def test_unknown_fields_are_kept_where_they_were() -> None:
    data = kz()
    data = {"x_top": [1, {"a": None}], **data}
    data["network"]["x_net"] = "n"
    data["paths"][0]["x_path"] = {"k": 1}
    data["paths"][0]["targets"][0] = {"x_target": True, **data["paths"][0]["targets"][0]}
    data["interception"][0]["x_finding"] = 2.5
    data["recommendation"]["x_rec"] = "r"
    p = Profile.from_json(copy.deepcopy(data), "test")
    assert p.extra == {"x_top": [1, {"a": None}]} and p.paths[0].extra == {"x_path": {"k": 1}}
    assert p.to_json() == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_older_profiles_without_optional_fields_load() -> None:
    """The fields the first profiles had, or a hand-made one has: everything else has a default."""
    minimal = {
        "schema": "pathprobe.profile/1",
        "network": {},
        "paths": [{"id": "direct", "kind": "direct", "reachability": "blocked", "tls": "unverified",
                   "targets": [{"target": "a.test"}]}],
        "interception": [{"host": "a.test", "paths": ["direct"]}],
        "recommendation": {"path": None},
    }
    p = Profile.from_json(copy.deepcopy(minimal), "old.json")
    assert p.network.connectivity is None and p.network.portal is None
    assert p.paths[0].targets[0].reachability is None and p.paths[0].targets[0].signals == ()
    assert p.trust_store == TrustStore() and p.recommendation.ranked == () and p.observations == ()
    assert p.interception[0].root_subject is None
    assert json.loads(p.to_json()) == minimal  # nothing added on the way back


def test_a_field_set_after_reading_is_written() -> None:
    p = Profile.from_json(
        {"schema": "pathprobe.profile/1", "network": {}, "paths": [], "interception": [], "recommendation": {}},
        "x",
    )
    q = dataclasses.replace(p, recommendation=dataclasses.replace(p.recommendation, cases=("clean",)))
    assert json.loads(q.to_json())["recommendation"] == {"cases": ["clean"]}


def _mutate(change: Any) -> dict[str, Any]:
    data = kz()
    change(data)
    return data


BAD: list[tuple[str, Any, str]] = [
    ("not an object", [], "the top level must be a JSON object"),
    ("schema", {"schema": "pathprobe.profile/9"}, "'schema' must be \"pathprobe.profile/1\""),
    ("no paths", {"schema": "pathprobe.profile/1", "network": {}, "interception": [], "recommendation": {}},
     "'paths' must be a list"),
    ("path id", _mutate(lambda d: d["paths"][0].pop("id")), "paths[0] needs an 'id' string"),
    ("path kind", _mutate(lambda d: d["paths"][0].update(kind=3)), "paths[0] ('direct'): 'kind' must be a string"),
    ("path tls", _mutate(lambda d: d["paths"][0].update(tls="maybe")),
     "paths[0] ('direct'): 'tls' must be one of intact, intercepted, unverified"),
    ("latency", _mutate(lambda d: d["paths"][0].update(latency_ms=True)),
     "paths[0] ('direct'): 'latency_ms' must be a number or null"),
    ("detail", _mutate(lambda d: d["paths"][0].update(detail=[])), "paths[0] ('direct'): 'detail' must be an object"),
    ("targets", _mutate(lambda d: d["paths"][0].update(targets={})), "paths[0] ('direct'): 'targets' must be a list"),
    ("target name", _mutate(lambda d: d["paths"][0]["targets"][1].update(target=None)),
     "paths[0] ('direct').targets[1] needs a 'target' string"),
    ("target reach", _mutate(lambda d: d["paths"][0]["targets"][0].update(reachability="up")),
     "paths[0] ('direct').targets[0]: 'reachability' must be one of blocked, partial, reachable, unknown"),
    ("signals", _mutate(lambda d: d["paths"][0]["targets"][0].update(signals=["a", 1])),
     "paths[0] ('direct').targets[0]: 'signals' must be a list of strings"),
    ("legacy root", _mutate(lambda d: d["paths"][0]["targets"][0].update(legacy_root={"subject": 5})),
     "paths[0] ('direct').targets[0].legacy_root: 'subject' must be a string or null"),
    ("finding", _mutate(lambda d: d["interception"][0].pop("paths")), "interception[0] needs 'host' and 'paths'"),
    ("root subject", _mutate(lambda d: d["interception"][0].update(root_subject=[])),
     "interception[0]: 'root_subject' must be a string or null"),
    ("connectivity", _mutate(lambda d: d["network"].update(connectivity="maybe")),
     "'network.connectivity' must be online, portal or offline"),
    ("asn", _mutate(lambda d: d["network"].update(asn="AS1")), "'network.asn' must be an AS number"),
    ("portal", _mutate(lambda d: d["network"].update(portal="yes")), "'network.portal' must be an object or null"),
    ("portal cert", _mutate(lambda d: d["network"].update(portal={"offered_certificates": [{"over": 1}]})),
     "network.portal.offered_certificates[0]: 'over' must be a string or null"),
    ("trust", _mutate(lambda d: d["trust_store"].update(known_interception_roots=["x"])),
     "'trust_store.known_interception_roots' must be a list of objects"),
    ("rec", _mutate(lambda d: d["recommendation"].update(path=1)),
     "'recommendation' needs 'path' (string or null) and 'ranked' (list)"),
    ("advice", _mutate(lambda d: d["recommendation"].update(advice=3)), "'recommendation.advice' must be a string"),
    ("cases", _mutate(lambda d: d["recommendation"].update(cases="clean")),
     "'recommendation.cases' must be a list of strings"),
    ("label", _mutate(lambda d: d.update(label=1)), "'label' must be a string or null"),
    ("observations", _mutate(lambda d: d.update(observations={})), "'observations' must be a list of objects"),
    ("observation step", _mutate(lambda d: d["observations"][0].pop("step")),
     "observations[0]: 'step' must be a string"),
    ("observation tls", _mutate(lambda d: next(o for o in d["observations"] if "tls" in o)["tls"].update(chain=[{}])),
     ": 'tls' must be TLS evidence"),
]


@pytest.mark.parametrize("data,message", [(d, m) for _, d, m in BAD], ids=[n for n, _, _ in BAD])
def test_bad_input_is_one_message_naming_source_and_field(data: Any, message: str) -> None:
    with pytest.raises(BadInput) as info:
        Profile.from_json(data, "my.json")
    text = str(info.value)
    assert text.startswith("my.json: not a pathprobe profile: ") and message in text, text
    assert "\n" not in text
