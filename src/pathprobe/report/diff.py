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

:func:`render_text` tells the changes in the current language (:mod:`pathprobe.i18n`); the JSON form keeps
the field names, values and ids in English.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pathprobe.i18n import N_, _, format_datetime, get_language
from pathprobe.profile import Finding, InterceptionRoot, OfferedCertificate, Path, Profile, Target
from pathprobe.report.safe import term_safe
from pathprobe.report.view import advice_text, blocking_kind, issuer_name, short_hash, verdict_word
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

FIELD: dict[str, str] = {
    "connectivity": N_("connectivity"),
    "detected": N_("detected"),
    "host": N_("host"),
    "reachability": N_("reachability"),
    "tls": "TLS",
    "signals": N_("signals"),
    "blocking": N_("blocking"),
    "known_as": N_("known as"),
    "paths": N_("paths"),
    "path": N_("path"),
    "ranked": N_("ranked"),
    "advice": N_("advice"),
}
"""The compared fields as a reader sees them (msgids; the JSON keeps the field names)."""
SECTION: dict[str, str] = {
    "Network": N_("Network"),
    "Paths": N_("Paths"),
    "Interception": N_("Interception"),
    "Trust store": N_("Trust store"),
    "Recommendation": N_("Recommendation"),
}
"""Section headings, in the order shown."""


def _v(x: Any) -> str:
    if x is None:
        return _("none")
    if isinstance(x, list):
        return "[" + ", ".join(str(i) for i in x) + "]" if x else "[]"
    if get_language() == "en":  # the values as they are (the English output is pinned)
        return str(x)
    if isinstance(x, bool):
        return _("yes") if x else _("no")
    return verdict_word(x)


def _arrow(c: Change) -> str:
    return f"{_v(c['before'])} → {_v(c['after'])}"


def _label(field: str) -> str:
    if get_language() == "en":  # the field names as they are (the English output is pinned)
        return "TLS" if field == "tls" else field
    return _(FIELD[field]) if field in FIELD and FIELD[field] != "TLS" else FIELD.get(field, field)


def _root(c: Change) -> str:
    issuer, root = issuer_name(c.get("issuer")), short_hash(c.get("root_sha256"))
    if c.get("known_as"):
        return _("issuer '{issuer}', root {root}, known as {name}", issuer=issuer, root=root, name=c["known_as"])
    return _("issuer '{issuer}', root {root}", issuer=issuer, root=root)


def _field_text(c: Change) -> str:
    if c["field"] == "signals":
        before, after = set(c["before"]), set(c["after"])
        parts = [f"+{x}" for x in sorted(after - before)] + [f"-{x}" for x in sorted(before - after)]
        return _("signals {changes}", changes=" ".join(parts))
    if c["field"] == Signal.THROTTLED:  # issue 17
        return _("throttled added") if c["after"] else _("throttled removed")
    if c["field"] == "blocking":  # the blocking's kind (stage, action, trigger) stays its ids
        return _("{field} {before} → {after}", field=_label("blocking"), before=c["before"] or _("none"),
                 after=c["after"] or _("none"))
    return _("{field} {before} → {after}", field=_label(c["field"]), before=_v(c["before"]), after=_v(c["after"]))


def render_text(d: dict[str, Any], a: Profile | None = None, b: Profile | None = None) -> str:
    """The diff in plain lines, grouped by section; one line per thing that changed (text from the
    profiles with control characters shown as escapes), in the current language. Given the two profiles,
    a changed advice is told from B's stored messages in that language (else B's stored text)."""

    def who(x: dict[str, Any]) -> str:
        created = format_datetime(str(x.get("created"))) if x.get("created") else _("none")
        if x.get("label"):
            return _("'{label}' ({created})", label=x["label"], created=created)
        return f"({created})"

    out = [_("Comparing A {a} with B {b}:", a=who(d["a"]), b=who(d["b"]))]
    changes: list[Change] = d["changes"]
    if not changes:
        out.append(_("No change in paths, verdicts, interception, trust store, network or recommendation."))
        return "\n".join(term_safe(line) for line in out) + "\n"
    sections: dict[str, dict[str, list[str]]] = {}

    def add(section: str, subject: str, text: str) -> None:
        sections.setdefault(section, {}).setdefault(subject, []).append(text)

    def change(c: Change) -> str:
        return _("added") if c.get("change") == "added" else _("removed")

    for c in changes:
        w = c["what"]
        sign = "+" if c.get("change") == "added" else "-"
        if w == "network":
            add("Network", _label(c["field"]), _arrow(c))
        elif w == "portal":
            add("Network", _("portal {field}", field=_label(c["field"])), _arrow(c))
        elif w == "portal_certificate":
            name, sha = issuer_name(c.get("subject")), short_hash(c["sha256"])
            subject = (_("{sign} offered certificate {name} — known as {known} (sha256 {sha256})", sign=sign,
                         name=name, known=c["known_as"], sha256=sha) if c.get("known_as")
                       else _("{sign} offered certificate {name} (sha256 {sha256})", sign=sign, name=name, sha256=sha))
            add("Network", subject, change(c))
        elif w == "path":
            add("Paths", f"{sign} {c['path']}", _("{change} ({reachability}, TLS {tls})", change=change(c),
                                                   reachability=_v(c["reachability"]), tls=_v(c["tls"])))
        elif w == "path_verdict":
            add("Paths", c["path"], _field_text(c))
        elif w == "target":
            add("Paths", f"{c['path']} {sign} {c['target']}", change(c))
        elif w == "target_verdict":
            add("Paths", f"{c['path']} · {c['target']}", _field_text(c))
        elif w == "interception":
            add("Interception", _("{sign} {host} on {paths}", sign=sign, host=c["host"], paths=", ".join(c["paths"])),
                f"{change(c)}; {_root(c)}")
        elif w == "interception_finding":
            add("Interception", f"{c['host']} ({_root(c)})", _field_text(c))
        elif w == "trust_root":
            sha = short_hash(c["sha256"])
            verb = (_("now trusted (sha256 {sha256})", sha256=sha) if c["change"] == "added"
                    else _("no longer trusted (sha256 {sha256})", sha256=sha))
            add("Trust store", f"{sign} {c.get('known_as') or c.get('subject')}", verb)
        elif w == "recommendation":
            if c["field"] == "advice":
                told = advice_text(b) if b is not None else None
                add("Recommendation", _label("advice"), told or str(c["after"]))
            else:
                add("Recommendation", _label(c["field"]), _arrow(c))
    for name, heading in SECTION.items():
        if name in sections:
            out.append(_(heading))
            out.extend(f"  {subject}: {'; '.join(texts)}" for subject, texts in sections[name].items())
    return "\n".join(term_safe(line) for line in out) + "\n"
