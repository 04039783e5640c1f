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

from collections.abc import Sequence
from typing import Any

from pathprobe.profile import Finding, InterceptionRoot, OfferedCertificate, Path, Profile, Target
from pathprobe.report.safe import term_safe
from pathprobe.report.view import blocking_kind, issuer_name, short_hash
from pathprobe.vocab import Signal

Change = dict[str, Any]


def _paths(p: Profile) -> dict[str, Path]:
    return {x.id: x for x in p.paths}


def _targets(path: Path) -> dict[str, Target]:
    return {t.target: t for t in path.targets}


def _finding_key(f: Finding) -> tuple[str, str, str]:
    return (f.host, f.issuer or "", f.root_sha256 or "")


def _field(changes: list[Change], base: Change, field: str, a: Any, b: Any) -> None:
    if a != b:
        changes.append({**base, "field": field, "before": a, "after": b})


def _by_sha256(
    changes: list[Change],
    what: str,
    a: Sequence[OfferedCertificate | InterceptionRoot],
    b: Sequence[OfferedCertificate | InterceptionRoot],
    fields: tuple[str, ...],
) -> None:
    """Certificates (keyed by SHA-256) present on one side only: removed ones first, then added ones."""
    ma = {c.sha256: c for c in a}
    mb = {c.sha256: c for c in b}
    for change, here, there in (("removed", ma, mb), ("added", mb, ma)):
        for sha in sorted(set(here) - set(there), key=str):
            changes.append({"what": what, "change": change, "sha256": sha,
                            **{f: getattr(here[sha], f) for f in fields}})


def diff_profiles(a: Profile, b: Profile) -> dict[str, Any]:
    """The changes from profile ``a`` to profile ``b``, as a list of small records."""
    ch: list[Change] = []

    na, nb = a.network, b.network
    _field(ch, {"what": "network"}, "connectivity", na.connectivity, nb.connectivity)
    pa, pb = na.portal, nb.portal
    _field(ch, {"what": "portal"}, "detected", pa.detected if pa else None, pb.detected if pb else None)
    _field(ch, {"what": "portal"}, "host", pa.host if pa else None, pb.host if pb else None)
    _by_sha256(ch, "portal_certificate", pa.offered_certificates if pa else (),
               pb.offered_certificates if pb else (), ("subject", "known_as"))

    paths_a, paths_b = _paths(a), _paths(b)
    for pid in paths_a:
        if pid not in paths_b:
            p = paths_a[pid]
            ch.append(
                {"what": "path", "change": "removed", "path": pid, "reachability": p.reachability, "tls": p.tls}
            )
    for pid, p in paths_b.items():
        if pid not in paths_a:
            ch.append(
                {"what": "path", "change": "added", "path": pid, "reachability": p.reachability, "tls": p.tls}
            )
            continue
        q = paths_a[pid]
        base = {"what": "path_verdict", "path": pid}
        _field(ch, base, "reachability", q.reachability, p.reachability)
        _field(ch, base, "tls", q.tls, p.tls)
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
                        "reachability": t.reachability,
                        "tls": t.tls,
                    }
                )
                continue
            s = ta[name]
            tbase = {"what": "target_verdict", "path": pid, "target": name}
            _field(ch, tbase, "reachability", s.reachability, t.reachability)
            _field(ch, tbase, "tls", s.tls, t.tls)
            _field(ch, tbase, "signals", sorted(s.signals), sorted(t.signals))
            _field(ch, tbase, "blocking", blocking_kind(s.blocking), blocking_kind(t.blocking))  # issue 17
            # issue 17: throttled added or removed, said on its own
            _field(ch, tbase, Signal.THROTTLED, Signal.THROTTLED in s.signals, Signal.THROTTLED in t.signals)

    fa = {_finding_key(f): f for f in a.interception}
    fb = {_finding_key(f): f for f in b.interception}
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
        _field(ch, base_f, "paths", sorted(x.paths), sorted(y.paths))
        _field(ch, base_f, "known_as", x.known_as, y.known_as)
        _field(ch, base_f, "signals", sorted(x.signals), sorted(y.signals))

    # The store's ``source`` (a file path) is not a property of the network: never a change.
    _by_sha256(ch, "trust_root", a.trust_store.known_interception_roots, b.trust_store.known_interception_roots,
               ("known_as", "subject"))

    rec_a, rec_b = a.recommendation, b.recommendation
    base = {"what": "recommendation"}
    _field(ch, base, "path", rec_a.path, rec_b.path)
    _field(ch, base, "ranked", list(rec_a.ranked), list(rec_b.ranked))
    _field(ch, base, "advice", rec_a.advice, rec_b.advice)

    return {"a": _ident(a), "b": _ident(b), "changes": ch}


def _finding(change: str, f: Finding) -> Change:
    return {
        "what": "interception",
        "change": change,
        "host": f.host,
        "issuer": f.issuer,
        "root_sha256": f.root_sha256,
        "known_as": f.known_as,
        "paths": list(f.paths),
    }


def _ident(p: Profile) -> dict[str, Any]:
    return {"label": p.label, "created": p.created}


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
    if c["field"] == Signal.THROTTLED:  # issue 17
        return f"{Signal.THROTTLED} added" if c["after"] else f"{Signal.THROTTLED} removed"
    return f"{label} {_arrow(c)}"


def render_text(d: dict[str, Any]) -> str:
    """The diff in plain lines, grouped by section; one line per thing that changed (text from the
    profiles with control characters shown as escapes)."""

    def who(x: dict[str, Any]) -> str:
        return f"'{x['label']}' ({x['created']})" if x.get("label") else f"({x.get('created')})"

    out = [f"Comparing A {who(d['a'])} with B {who(d['b'])}:"]
    changes: list[Change] = d["changes"]
    if not changes:
        out.append("No change in paths, verdicts, interception, trust store, network or recommendation.")
        return "\n".join(term_safe(line) for line in out) + "\n"
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
    return "\n".join(term_safe(line) for line in out) + "\n"
