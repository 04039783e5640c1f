"""``profile diff A B``: what changed between two networks or two days, and nothing else (pure).

Compared, and only these (latency, timings, observations and failure strings are measurements that
differ on every run and are left out on purpose):

- ``network``: ``connectivity``; the portal's ``detected`` and ``host``; offered certificates (by SHA-256)
- ``paths``: added / removed (by id); per path ``reachability`` and ``tls``; per target (site or
  control) added / removed, ``reachability``, ``tls`` and its ``signals``
- ``interception``: findings added / removed, keyed by (host, issuer, anchoring root); for a finding in
  both, its ``paths``, ``known_as`` and ``signals``
- ``trust_store``: known interception roots added / removed (by SHA-256); the store's ``source`` path is ignored
- ``recommendation``: ``path``, ``ranked`` and ``advice``
"""

from __future__ import annotations

from typing import Any

from pathprobe.report.view import issuer_name, short_hash

Change = dict[str, Any]


def _paths(p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {x["id"]: x for x in p.get("paths") or [] if isinstance(x, dict) and isinstance(x.get("id"), str)}


def _targets(path: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"]: t for t in path.get("targets") or [] if isinstance(t, dict) and "target" in t}


def _finding_key(f: dict[str, Any]) -> tuple[str, str, str]:
    return (str(f.get("host")), str(f.get("issuer") or ""), str(f.get("root_sha256") or ""))


def _field(changes: list[Change], base: Change, field: str, a: Any, b: Any) -> None:
    if a != b:
        changes.append({**base, "field": field, "before": a, "after": b})


def _by_sha256(changes: list[Change], what: str, a: Any, b: Any, fields: tuple[str, ...]) -> None:
    """Certificates (keyed by SHA-256) present on one side only: removed ones first, then added ones."""
    ma = {c.get("sha256"): c for c in a or [] if isinstance(c, dict)}
    mb = {c.get("sha256"): c for c in b or [] if isinstance(c, dict)}
    for change, here, there in (("removed", ma, mb), ("added", mb, ma)):
        for sha in sorted(set(here) - set(there), key=str):
            changes.append({"what": what, "change": change, "sha256": sha,
                            **{f: here[sha].get(f) for f in fields}})


def diff_profiles(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The changes from profile ``a`` to profile ``b``, as a list of small records."""
    ch: list[Change] = []

    na, nb = a.get("network") or {}, b.get("network") or {}
    _field(ch, {"what": "network"}, "connectivity", na.get("connectivity"), nb.get("connectivity"))
    pa, pb = na.get("portal") or {}, nb.get("portal") or {}
    _field(ch, {"what": "portal"}, "detected", pa.get("detected"), pb.get("detected"))
    _field(ch, {"what": "portal"}, "host", pa.get("host"), pb.get("host"))
    _by_sha256(ch, "portal_certificate", pa.get("offered_certificates"), pb.get("offered_certificates"),
               ("subject", "known_as"))

    paths_a, paths_b = _paths(a), _paths(b)
    for pid in paths_a:
        if pid not in paths_b:
            p = paths_a[pid]
            ch.append(
                {
                    "what": "path",
                    "change": "removed",
                    "path": pid,
                    "reachability": p.get("reachability"),
                    "tls": p.get("tls"),
                }
            )
    for pid, p in paths_b.items():
        if pid not in paths_a:
            ch.append(
                {
                    "what": "path",
                    "change": "added",
                    "path": pid,
                    "reachability": p.get("reachability"),
                    "tls": p.get("tls"),
                }
            )
            continue
        q = paths_a[pid]
        base = {"what": "path_verdict", "path": pid}
        _field(ch, base, "reachability", q.get("reachability"), p.get("reachability"))
        _field(ch, base, "tls", q.get("tls"), p.get("tls"))
        ta, tb = _targets(q), _targets(p)
        for name in ta:
            if name not in tb:
                ch.append({"what": "target", "change": "removed", "path": pid, "target": name})
        for name, t in tb.items():
            if name not in ta:
                ch.append(
                    {
                        "what": "target",
                        "change": "added",
                        "path": pid,
                        "target": name,
                        "reachability": t.get("reachability"),
                        "tls": t.get("tls"),
                    }
                )
                continue
            s = ta[name]
            tbase = {"what": "target_verdict", "path": pid, "target": name}
            _field(ch, tbase, "reachability", s.get("reachability"), t.get("reachability"))
            _field(ch, tbase, "tls", s.get("tls"), t.get("tls"))
            _field(ch, tbase, "signals", sorted(s.get("signals") or []), sorted(t.get("signals") or []))

    fa = {_finding_key(f): f for f in a.get("interception") or [] if isinstance(f, dict)}
    fb = {_finding_key(f): f for f in b.get("interception") or [] if isinstance(f, dict)}
    for key in sorted(set(fa) - set(fb)):
        ch.append(_finding("removed", fa[key]))
    for key in sorted(set(fb) - set(fa)):
        ch.append(_finding("added", fb[key]))
    for key in sorted(set(fa) & set(fb)):
        base_f: dict[str, Any] = {
            "what": "interception_finding",
            "host": key[0],
            "issuer": key[1],
            "root_sha256": key[2] or None,
        }
        x, y = fa[key], fb[key]
        _field(ch, base_f, "paths", sorted(x.get("paths") or []), sorted(y.get("paths") or []))
        _field(ch, base_f, "known_as", x.get("known_as"), y.get("known_as"))
        _field(ch, base_f, "signals", sorted(x.get("signals") or []), sorted(y.get("signals") or []))

    sa, sb = a.get("trust_store") or {}, b.get("trust_store") or {}
    # The store's ``source`` (a file path) is not a property of the network: never a change.
    _by_sha256(ch, "trust_root", sa.get("known_interception_roots"), sb.get("known_interception_roots"),
               ("known_as", "subject"))

    rec_a, rec_b = a.get("recommendation") or {}, b.get("recommendation") or {}
    base = {"what": "recommendation"}
    _field(ch, base, "path", rec_a.get("path"), rec_b.get("path"))
    _field(ch, base, "ranked", list(rec_a.get("ranked") or []), list(rec_b.get("ranked") or []))
    _field(ch, base, "advice", rec_a.get("advice"), rec_b.get("advice"))

    return {"a": _ident(a), "b": _ident(b), "changes": ch}


def _finding(change: str, f: dict[str, Any]) -> Change:
    return {
        "what": "interception",
        "change": change,
        "host": f.get("host"),
        "issuer": f.get("issuer"),
        "root_sha256": f.get("root_sha256"),
        "known_as": f.get("known_as"),
        "paths": list(f.get("paths") or []),
    }


def _ident(p: dict[str, Any]) -> dict[str, Any]:
    return {"label": p.get("label"), "created": p.get("created")}


# ----------------------------------------------------------------------------------------- text


def _v(x: Any) -> str:
    if x is None:
        return "none"
    if isinstance(x, list):
        return "[" + ", ".join(str(i) for i in x) + "]" if x else "[]"
    return str(x)


def _arrow(c: Change) -> str:
    return f"{_v(c['before'])} → {_v(c['after'])}"


def _root(c: Change) -> str:
    known = f", known as {c['known_as']}" if c.get("known_as") else ""
    return f"issuer '{issuer_name(c.get('issuer'))}', root {short_hash(c.get('root_sha256'))}{known}"


def _field_text(c: Change) -> str:
    label = "TLS" if c["field"] == "tls" else c["field"]
    if c["field"] == "signals":
        before, after = set(c["before"]), set(c["after"])
        parts = [f"+{x}" for x in sorted(after - before)] + [f"-{x}" for x in sorted(before - after)]
        return f"signals {' '.join(parts)}"
    return f"{label} {_arrow(c)}"


def render_text(d: dict[str, Any]) -> str:
    """The diff in plain lines, grouped by section; one line per thing that changed."""

    def who(x: dict[str, Any]) -> str:
        return f"'{x['label']}' ({x['created']})" if x.get("label") else f"({x.get('created')})"

    out = [f"Comparing A {who(d['a'])} with B {who(d['b'])}:"]
    changes: list[Change] = d["changes"]
    if not changes:
        out.append("No change in paths, verdicts, interception, trust store, network or recommendation.")
        return "\n".join(out) + "\n"
    sections: dict[str, dict[str, list[str]]] = {}

    def add(section: str, subject: str, text: str) -> None:
        sections.setdefault(section, {}).setdefault(subject, []).append(text)

    for c in changes:
        w = c["what"]
        sign = "+" if c.get("change") == "added" else "-"
        if w in ("network", "portal"):
            add("Network", f"{'portal ' if w == 'portal' else ''}{c['field']}", _arrow(c))
        elif w == "portal_certificate":
            known = f" — known as {c['known_as']}" if c.get("known_as") else ""
            add(
                "Network",
                f"{sign} offered certificate {issuer_name(c.get('subject'))}{known} "
                f"(sha256 {short_hash(c['sha256'])})",
                c["change"],
            )
        elif w == "path":
            add("Paths", f"{sign} {c['path']}", f"{c['change']} ({c['reachability']}, TLS {c['tls']})")
        elif w == "path_verdict":
            add("Paths", c["path"], _field_text(c))
        elif w == "target":
            add("Paths", f"{c['path']} {sign} {c['target']}", c["change"])
        elif w == "target_verdict":
            add("Paths", f"{c['path']} · {c['target']}", _field_text(c))
        elif w == "interception":
            add(
                "Interception", f"{sign} {c['host']} on {', '.join(c['paths'])}", f"{c['change']}; {_root(c)}"
            )
        elif w == "interception_finding":
            add("Interception", f"{c['host']} ({_root(c)})", _field_text(c))
        elif w == "trust_root":
            verb = "now trusted" if c["change"] == "added" else "no longer trusted"
            add(
                "Trust store",
                f"{sign} {c.get('known_as') or c.get('subject')}",
                f"{verb} (sha256 {short_hash(c['sha256'])})",
            )
        elif w == "recommendation":
            add("Recommendation", c["field"], str(c["after"]) if c["field"] == "advice" else _arrow(c))
    for name in ("Network", "Paths", "Interception", "Trust store", "Recommendation"):
        if name in sections:
            out.append(name)
            out.extend(f"  {subject}: {'; '.join(texts)}" for subject, texts in sections[name].items())
    return "\n".join(out) + "\n"
