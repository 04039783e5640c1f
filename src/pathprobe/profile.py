"""The profile (``schema: "pathprobe.profile/1"``): written as JSON, read back strictly. The analysis
that makes one from measurements is :func:`pathprobe.analysis.pipeline.analyse`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pathprobe.errors import BadInput
from pathprobe.vocab import Connectivity, Reachability, TlsVerdict

SCHEMA = "pathprobe.profile/1"


def dumps(profile: dict[str, Any]) -> str:
    return json.dumps(profile, indent=2, ensure_ascii=False) + "\n"


_VERDICTS: dict[str, frozenset[str]] = {"reachability": frozenset(Reachability), "tls": frozenset(TlsVerdict)}


def validate_profile(data: Any, source: str) -> dict[str, Any]:
    """Check the parts every reader relies on; raise :class:`BadInput` naming the first problem."""

    def bad(msg: str) -> BadInput:
        return BadInput(f"{source}: not a pathprobe profile: {msg}")

    if not isinstance(data, dict):
        raise bad("the top level must be a JSON object")
    if data.get("schema") != SCHEMA:
        raise bad(f"'schema' must be \"{SCHEMA}\" (found {data.get('schema')!r})")
    for key, typ in (("paths", list), ("interception", list), ("recommendation", dict), ("network", dict)):
        if not isinstance(data.get(key), typ):
            raise bad(f"'{key}' must be a {'list' if typ is list else 'object'}")
    for i, p in enumerate(data["paths"]):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise bad(f"paths[{i}] needs an 'id' string")
        for k, allowed in _VERDICTS.items():
            if not isinstance(p.get(k), str) or p[k] not in allowed:
                raise bad(f"paths[{i}] ('{p['id']}'): '{k}' must be one of {', '.join(sorted(allowed))}")
        if not isinstance(p.get("targets", []), list):
            raise bad(f"paths[{i}]: 'targets' must be a list")
        for j, t in enumerate(p.get("targets", [])):
            if not isinstance(t, dict) or not isinstance(t.get("target"), str):
                raise bad(f"paths[{i}].targets[{j}] needs a 'target' string")
    for i, f in enumerate(data["interception"]):
        if not isinstance(f, dict) or not isinstance(f.get("host"), str) or not isinstance(f.get("paths"), list):
            raise bad(f"interception[{i}] needs 'host' and 'paths'")
    rec = data["recommendation"]
    if not isinstance(rec.get("ranked", []), list) or not (rec.get("path") is None or isinstance(rec["path"], str)):
        raise bad("'recommendation' needs 'path' (string or null) and 'ranked' (list)")
    _validate_optional(data, bad)
    return data


def _validate_optional(data: dict[str, Any], bad: Any) -> None:
    """Fields readers use that older or hand-made profiles may leave out: when present, of the right type."""

    def opt(value: Any, types: Any, where: str, what: str) -> None:
        if value is not None and not isinstance(value, types):
            raise bad(f"{where} must be {what}")

    def strings(value: Any, where: str) -> None:
        if value is not None and (not isinstance(value, list) or not all(isinstance(x, str) for x in value)):
            raise bad(f"{where} must be a list of strings")

    def objects(value: Any, where: str) -> None:
        if value is not None and (not isinstance(value, list) or not all(isinstance(x, dict) for x in value)):
            raise bad(f"{where} must be a list of objects")

    def scalars(obj: dict[str, Any], where: str, texts: tuple[str, ...], flags: tuple[str, ...] = ()) -> None:
        for k in texts:
            opt(obj.get(k), str, f"{where}: '{k}'", "a string or null")
        for k in flags:
            opt(obj.get(k), bool, f"{where}: '{k}'", "true, false or null")

    for key in ("label", "created", "tool_version"):
        opt(data.get(key), str, f"'{key}'", "a string or null")
    net = data["network"]
    if not (net.get("connectivity") is None or net["connectivity"] in tuple(Connectivity)):
        raise bad("'network.connectivity' must be online, portal or offline")
    portal = net.get("portal")
    opt(portal, dict, "'network.portal'", "an object or null")
    if isinstance(portal, dict):
        opt(portal.get("detected"), bool, "'network.portal.detected'", "true, false or null")
        opt(portal.get("host"), str, "'network.portal.host'", "a string or null")
        objects(portal.get("offered_certificates"), "'network.portal.offered_certificates'")
        opt(portal.get("failure"), str, "'network.portal.failure'", "a string or null")
        for i, c in enumerate(portal.get("offered_certificates") or []):
            scalars(c, f"network.portal.offered_certificates[{i}]",
                    ("sha256", "spki_sha256", "subject", "known_as", "over"), ("in_device_store", "anchors_interception"))
    for i, p in enumerate(data["paths"]):
        where = f"paths[{i}] ('{p['id']}')"
        lat = p.get("latency_ms")
        if lat is not None and (isinstance(lat, bool) or not isinstance(lat, int | float)):
            raise bad(f"{where}: 'latency_ms' must be a number or null")
        opt(p.get("reason"), str, f"{where}: 'reason'", "a string")
        opt(p.get("detail"), dict, f"{where}: 'detail'", "an object")
        for j, t in enumerate(p.get("targets", [])):
            for k, allowed in _VERDICTS.items():
                if t.get(k) is not None and (not isinstance(t[k], str) or t[k] not in allowed):
                    raise bad(f"{where}.targets[{j}]: '{k}' must be one of {', '.join(sorted(allowed))}")
            strings(t.get("signals"), f"{where}.targets[{j}]: 'signals'")
            scalars(t, f"{where}.targets[{j}]", ("role", "failure", "note"))
    for i, f in enumerate(data["interception"]):
        strings(f["paths"], f"interception[{i}]: 'paths'")
        strings(f.get("signals"), f"interception[{i}]: 'signals'")
        for key in ("issuer", "root_sha256", "known_as"):
            opt(f.get(key), str, f"interception[{i}]: '{key}'", "a string or null")
    trust = data.get("trust_store")
    opt(trust, dict, "'trust_store'", "an object")
    if isinstance(trust, dict):
        opt(trust.get("source"), str, "'trust_store.source'", "a string")
        objects(trust.get("known_interception_roots"), "'trust_store.known_interception_roots'")
        for i, r in enumerate(trust.get("known_interception_roots") or []):
            scalars(r, f"trust_store.known_interception_roots[{i}]", ("sha256", "spki_sha256", "subject", "known_as"))
    rec = data["recommendation"]
    strings(rec.get("ranked"), "'recommendation.ranked'")
    strings(rec.get("cases"), "'recommendation.cases'")
    opt(rec.get("advice"), str, "'recommendation.advice'", "a string")


def load_profile(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise BadInput(f"{p}: no such profile file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{p}: cannot read the profile: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return validate_profile(data, str(p))
