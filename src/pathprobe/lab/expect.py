"""Expected verdicts (a scenario's ``[expect]``) compared with a profile, one outcome per expectation (pure).

TOML has no null: the string ``"none"`` stands for JSON null (``recommendation``, ``failure``,
``known_as``, ``root``). ``failure`` and ``recommendation`` may be globs (``"ssl_*"``, ``"vpn:*"``).
``signals`` is the exact set; ``signals_include`` / ``signals_exclude`` check members only.
``ranked_any_order`` compares ``ranked`` as a set (paths of one privacy class are ordered by measured
latency, which no scenario can fix). ``note_contains``: each string must occur in the target's note
(the reason given for an ``unknown`` or ``blocked`` verdict).

``[expect.portal]`` compares ``network.portal`` (``detected``, ``host``, ``failure``, and each
``[[expect.portal.offered]]`` certificate found by ``sha256``, by ``root = "interceptor"`` or by
position; giving ``offered`` at all — ``offered = []`` included — also fixes how many are offered);
``[expect.advice]`` checks ``recommendation.cases`` and words of ``recommendation.advice``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pathprobe.analysis.signals import host_of
from pathprobe.i18n import _
from pathprobe.profile import Portal, Profile, Recommendation, Target
from pathprobe.report.safe import term_safe
from pathprobe.vocab import EvasionOutcome, Signal, TlsVerdict

NONE = "none"


@dataclass(frozen=True)
class PathExp:
    """One ``[[expect.path]]``: the path ``id`` and the verdicts it must have; a field left None is not
    checked.
    """

    id: str
    reachability: str | None = None
    tls: str | None = None
    reason: str | None = None
    """The path's ``reason``: exact, a glob, or ``"none"``."""


@dataclass(frozen=True)
class TargetExp:
    """One ``[[expect.target]]``: the expectations every one of ``targets`` (target names as the profile
    spells them) must meet on the path ``path``. ``failure`` may be a glob or ``"none"``; a field left None or
    empty is not checked.
    """

    path: str
    targets: tuple[str, ...]
    reachability: str | None = None
    tls: str | None = None
    failure: str | None = None
    signals: tuple[str, ...] | None = None
    signals_include: tuple[str, ...] = ()
    signals_exclude: tuple[str, ...] = ()
    note_contains: tuple[str, ...] = ()
    # --- blocking diagnosis (issue 17) ---
    blocking: str | None = None
    """``"none"``: the target carries no ``blocking``; ``"present"``: it does."""
    stage: str | None = None
    action: str | None = None
    trigger: str | None = None
    """A word, or ``"none"`` for null."""
    evasion_reached: tuple[str, ...] | None = None
    """The exact set of strategies that reached the site with HTTPS intact (``[]``: none did)."""
    evasion_tried: tuple[str, ...] | None = None
    """The exact set of strategies tried (``[]``: none, as when the trigger is not ``sni``)."""


@dataclass(frozen=True)
class FindingExp:
    """One ``[[expect.interception]]``: every host in ``hosts`` must have a finding; its findings must
    together show exactly the ``paths`` and ``signals`` given, share one ``known_as`` and ``root``, and all
    have an issuer containing ``issuer_contains``. A field left None is not checked.
    """

    hosts: tuple[str, ...]
    paths: tuple[str, ...] | None = None
    known_as: str | None = None
    root: str | None = None
    """``interceptor`` (the scenario's interception root), ``none``, or a SHA-256 hex digest."""
    issuer_contains: str | None = None
    signals: tuple[str, ...] | None = None


@dataclass(frozen=True)
class OfferedExp:
    """One certificate a portal offers (``network.portal.offered_certificates``); unset fields are not compared.

    Which one: ``sha256`` (hex), or ``root = "interceptor"`` (the scenario's interception root), else
    the entry at the same position (also when the interception root's hash is not known)."""

    sha256: str | None = None
    root: str | None = None
    known_as: str | None = None
    in_device_store: bool | None = None
    anchors_interception: bool | None = None
    over: str | None = None
    subject_contains: str | None = None


@dataclass(frozen=True)
class PortalExp:
    """``[expect.portal]``: the portal part of ``network`` (``detected`` / ``host`` ``"none"`` = null)."""

    detected: bool | str | None = None
    host: str | None = None
    failure: str | None = None
    offered: tuple[OfferedExp, ...] = ()
    offered_exact: bool = False
    """``offered`` was given (``offered = []`` or ``[[expect.portal.offered]]``): the count must match."""
    absent: bool = False
    """``absent = true``: ``network.portal`` must be null (the plan has no portal probe)."""


@dataclass(frozen=True)
class AdviceExp:
    """``[expect.advice]``: ``recommendation.cases`` members and words the advice must (not) contain."""

    cases_include: tuple[str, ...] = ()
    cases_exclude: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    """Case-insensitive substrings of ``recommendation.advice``."""
    never_says: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectations:
    """A scenario's whole ``[expect]`` table, as :func:`compare` checks it against a profile; a part left None
    or empty is not checked, and ``"none"`` stands for null.
    """

    recommendation: str | None = None
    ranked: tuple[str, ...] | None = None
    connectivity: str | None = None
    interception_hosts: tuple[str, ...] | None = None
    device_known_roots: int | None = None
    paths: tuple[PathExp, ...] = ()
    targets: tuple[TargetExp, ...] = ()
    interception: tuple[FindingExp, ...] = ()
    ranked_any_order: bool = False
    portal: PortalExp | None = None
    advice: AdviceExp | None = None
    throttled: tuple[str, ...] | None = None
    """The exact set of ``<path> <host>`` that carry the ``throttled`` signal (issue 17); None: not checked."""


@dataclass(frozen=True)
class Outcome:
    """One checked expectation: ``what`` was checked, the ``expected`` and ``actual`` values as shown to
    people, and whether it held (``ok``).
    """

    what: str
    expected: str
    actual: str
    ok: bool

    def line(self) -> str:
        """The outcome as one line of ``lab check`` and ``lab demo`` output: ``PASS  <what> = <expected>``, or
        ``FAIL  <what>: expected ..., got ...``.
        """
        # what, expected and actual quote the scenario file and the profile (names from the network)
        if self.ok:
            return _("PASS  {what} = {expected}", what=term_safe(self.what), expected=term_safe(self.expected))
        return _("FAIL  {what}: expected {expected}, got {actual}", what=term_safe(self.what),
                 expected=term_safe(self.expected), actual=term_safe(self.actual))


def _show(v: Any) -> str:
    if v is None:
        return NONE
    if isinstance(v, list | tuple | set | frozenset):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def _eq(what: str, expected: Any, actual: Any) -> Outcome:
    exp = None if expected == NONE else expected
    return Outcome(what, _show(exp), _show(actual), exp == actual)


def _verdict_checks(
    where: str, reach: str | None, tls: str | None, got_reach: str | None, got_tls: str | None
) -> list[Outcome]:
    """The two verdicts a path or target expectation may name (``None``: not checked)."""
    out = []
    if reach is not None:
        out.append(_eq(f"{where} reachability", reach, got_reach))
    if tls is not None:
        out.append(_eq(f"{where} tls", tls, got_tls))
    return out


def _glob(what: str, pattern: str, actual: str | None) -> Outcome:
    if pattern == NONE:
        return Outcome(what, NONE, _show(actual), actual is None)
    return Outcome(what, pattern, _show(actual), actual is not None and fnmatch.fnmatchcase(actual, pattern))


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _set(what: str, expected: Iterable[str], actual: Iterable[str]) -> Outcome:
    e, a = sorted(set(expected)), sorted(set(actual))
    return Outcome(what, _show(e), _show(a), e == a)


def _signal_checks(where: str, exp: TargetExp, signals: list[str]) -> list[Outcome]:
    out = []
    if exp.signals is not None:
        out.append(_set(f"{where} signals", exp.signals, signals))
    for s in exp.signals_include:
        out.append(Outcome(f"{where} signals include", s, _show(signals), s in signals))
    for s in exp.signals_exclude:
        out.append(Outcome(f"{where} signals exclude", s, _show(signals), s not in signals))
    return out


def _blocking_checks(where: str, exp: TargetExp, t: Target) -> list[Outcome]:
    """The ``blocking`` expectations of one target (issue 17)."""
    out = []
    b = t.blocking
    if exp.blocking is not None:
        out.append(Outcome(f"{where} blocking", exp.blocking, "present" if b is not None else NONE,
                           (b is not None) == (exp.blocking != NONE)))
    for key, want in (("stage", exp.stage), ("action", exp.action), ("trigger", exp.trigger)):
        if want is None:
            continue
        got = getattr(b, key) if b is not None else None
        out.append(Outcome(f"{where} blocking.{key}", want, _show(got),
                           (got is None) if want == NONE else (got == want)))
    evasion = b.evasion if b is not None else ()
    if exp.evasion_tried is not None:
        out.append(_set(f"{where} blocking.evasion tried", exp.evasion_tried, [e.strategy for e in evasion]))
    if exp.evasion_reached is not None:
        intact = [e.strategy for e in evasion if e.outcome == EvasionOutcome.REACHED and e.tls == TlsVerdict.INTACT]
        out.append(_set(f"{where} blocking.evasion reached intact", exp.evasion_reached, intact))
    return out


def compare(exp: Expectations, profile: Profile, *, interceptor_root: str | None = None) -> list[Outcome]:
    """Every expectation checked against ``profile``; one :class:`Outcome` each."""
    out: list[Outcome] = []
    rec = profile.recommendation
    if exp.recommendation is not None:
        if _is_glob(exp.recommendation):
            out.append(_glob("recommendation.path", exp.recommendation, rec.path))
        else:
            out.append(_eq("recommendation.path", exp.recommendation, rec.path))
    if exp.ranked is not None:
        got = list(rec.ranked)
        if exp.ranked_any_order:
            ok = len(got) == len(exp.ranked) and set(got) == set(exp.ranked)
            out.append(
                Outcome("recommendation.ranked (any order)", _show(sorted(exp.ranked)), _show(got), ok)
            )
        else:
            out.append(_eq("recommendation.ranked", list(exp.ranked), got))
    if exp.connectivity is not None:
        out.append(_eq("network.connectivity", exp.connectivity, profile.network.connectivity))
    findings = profile.interception
    if exp.interception_hosts is not None:
        out.append(_set("interception hosts", exp.interception_hosts, [f.host for f in findings]))
    if exp.throttled is not None:
        got = [f"{p.id} {host_of(t.target)}" for p in profile.paths for t in p.targets if Signal.THROTTLED in t.signals]
        out.append(_set("throttled (path host)", exp.throttled, got))
    if exp.device_known_roots is not None:
        out.append(
            _eq(
                "trust_store.known_interception_roots (count)",
                exp.device_known_roots,
                len(profile.trust_store.known_interception_roots),
            )
        )
    paths = {p.id: p for p in profile.paths}
    for pe in exp.paths:
        p = paths.get(pe.id)
        if p is None:
            out.append(Outcome(f"path {pe.id}", "present", "absent", False))
            continue
        out.extend(_verdict_checks(f"path {pe.id}", pe.reachability, pe.tls, p.reachability, p.tls))
        if pe.reason is not None:
            out.append(_glob(f"path {pe.id} reason", pe.reason, p.reason))
    for te in exp.targets:
        on_path = paths.get(te.path)
        targets = {t.target: t for t in on_path.targets} if on_path is not None else {}
        for name in te.targets:
            where = f"{te.path} / {name}"
            t = targets.get(name)
            if t is None:
                out.append(Outcome(f"target {where}", "present", "absent", False))
                continue
            out.extend(_verdict_checks(where, te.reachability, te.tls, t.reachability, t.tls))
            if te.failure is not None:
                out.append(_glob(f"{where} failure", te.failure, t.failure))
            out.extend(_signal_checks(where, te, list(t.signals)))
            out.extend(_blocking_checks(where, te, t))
            note = t.note
            for part in te.note_contains:
                out.append(
                    Outcome(f"{where} note contains", part, _show(note), note is not None and part in note)
                )
    for fe in exp.interception:
        for host in fe.hosts:
            mine = [f for f in findings if f.host == host]
            where = f"interception {host}"
            if not mine:
                out.append(Outcome(where, "a finding", "none", False))
                continue
            if fe.paths is not None:
                seen = sorted({p for f in mine for p in f.paths})
                out.append(_set(f"{where} paths", fe.paths, seen))
            if fe.known_as is not None:
                out.append(_eq(f"{where} known_as", fe.known_as, _one(f.known_as for f in mine)))
            if fe.root is not None:
                want = interceptor_root if fe.root == "interceptor" else fe.root
                out.append(
                    _eq(
                        f"{where} root_sha256",
                        want if want is not None else NONE,
                        _one(f.root_sha256 for f in mine),
                    )
                )
            if fe.issuer_contains is not None:
                issuers = [str(f.issuer) for f in mine]
                out.append(
                    Outcome(
                        f"{where} issuer contains",
                        fe.issuer_contains,
                        _show(issuers),
                        all(fe.issuer_contains in i for i in issuers),
                    )
                )
            if fe.signals is not None:
                out.append(_set(f"{where} signals", fe.signals, {s for f in mine for s in f.signals}))
    if exp.portal is not None:
        out.extend(_portal_checks(exp.portal, profile.network.portal, interceptor_root))
    if exp.advice is not None:
        out.extend(_advice_checks(exp.advice, rec))
    return out


def _portal_checks(pe: PortalExp, portal: Portal | None, interceptor_root: str | None) -> list[Outcome]:
    if pe.absent:
        return [Outcome("network.portal", NONE, "present" if portal is not None else NONE, portal is None)]
    if portal is None:
        return [Outcome("network.portal", "present", NONE, False)]
    out: list[Outcome] = []
    if pe.detected is not None:
        out.append(_eq("network.portal.detected", pe.detected, portal.detected))
    if pe.host is not None:
        out.append(_eq("network.portal.host", pe.host, portal.host))
    if pe.failure is not None:
        out.append(_glob("network.portal.failure", pe.failure, portal.failure))
    offered = portal.offered_certificates
    if pe.offered_exact:
        out.append(_eq("network.portal.offered_certificates (count)", len(pe.offered), len(offered)))
    for i, oe in enumerate(pe.offered, start=1):
        want_sha = interceptor_root if oe.root == "interceptor" else oe.sha256
        if want_sha:
            where = f"offered certificate {oe.root or want_sha[:16]}"
            found = [c for c in offered if c.sha256 == want_sha]
        else:
            # By position: no hash given, or the interception root's hash is not known (a reference
            # profile made on another machine, whose lab CAs differ).
            where = f"offered certificate #{i}" + (f" ({oe.root})" if oe.root else "")
            found = list(offered[i - 1 : i])
        if not found:
            out.append(Outcome(where, "offered", "not offered", False))
            continue
        c = found[0]
        for key in ("known_as", "in_device_store", "anchors_interception", "over"):
            want = getattr(oe, key)
            if want is not None:
                out.append(_eq(f"{where} {key}", want, getattr(c, key)))
        if oe.subject_contains is not None:
            subj = str(c.subject)
            out.append(
                Outcome(f"{where} subject contains", oe.subject_contains, subj, oe.subject_contains in subj)
            )
    return out


def _advice_checks(ae: AdviceExp, rec: Recommendation) -> list[Outcome]:
    cases = list(rec.cases)
    text = rec.advice or ""
    low = text.lower()
    out = [Outcome("advice cases include", c, _show(cases), c in cases) for c in ae.cases_include]
    out += [Outcome("advice cases exclude", c, _show(cases), c not in cases) for c in ae.cases_exclude]
    out += [Outcome("advice says", repr(w), repr(text), w.lower() in low) for w in ae.says]
    out += [Outcome("advice never says", repr(w), repr(text), w.lower() not in low) for w in ae.never_says]
    return out


def _one(values: Iterable[Any]) -> Any:
    """The single value all findings share, or the list of differing values (which then never matches)."""
    vals = list(values)
    uniq = list(dict.fromkeys(str(v) if isinstance(v, list | dict) else v for v in vals))
    return uniq[0] if len(uniq) == 1 else vals


# --------------------------------------------------------------------------- reference profiles


def _privacy_groups(ranked: list[str]) -> list[list[str]]:
    """``ranked`` as runs of one privacy class (``vpn:a``, ``vpn:b`` | ``direct``), each run sorted:
    the order between classes is a verdict, the order inside one (by measured latency) is not."""
    from pathprobe.analysis.paths import path_kind

    groups: list[list[str]] = []
    last = None
    for pid in ranked:
        kind = path_kind(pid)
        if groups and kind == last:
            groups[-1].append(pid)
        else:
            groups.append([pid])
        last = kind
    return [sorted(g) for g in groups]


def verdicts(profile: Profile) -> dict[str, Any]:
    """The verdict part of a profile (no times, hashes or observations): what a reference pins."""
    rec = profile.recommendation
    groups = _privacy_groups(list(rec.ranked))
    path = rec.path
    if groups and len(groups[0]) > 1 and path in groups[0]:
        path = f"one of {_show(groups[0])}"  # which one was fastest is not a verdict
    return {
        "connectivity": profile.network.connectivity,
        "recommendation": path,
        "ranked": groups,
        "paths": {
            p.id: {
                "reachability": p.reachability,
                "tls": p.tls,
                "targets": {
                    t.target: {
                        "reachability": t.reachability,
                        "tls": t.tls,
                        "failure": t.failure,
                        "signals": sorted(t.signals),
                    }
                    for t in p.targets
                },
            }
            for p in profile.paths
        },
        "interception": sorted(
            (f.host, tuple(sorted(f.paths)), f.known_as, tuple(sorted(f.signals))) for f in profile.interception
        ),
        "known_interception_roots": len(profile.trust_store.known_interception_roots),
        "portal": _portal_verdicts(profile.network.portal),
    }


def _portal_verdicts(portal: Portal | None) -> Any:
    """``network.portal`` without what changes from machine to machine (its host, the lab roots' hashes)."""
    if portal is None:
        return None
    return {
        "detected": portal.detected,
        "failure": portal.failure,
        "offered": sorted(
            (str(c.known_as or "-"), bool(c.in_device_store), bool(c.anchors_interception), str(c.over))
            for c in portal.offered_certificates
        ),
    }


def verdict_differences(reference: Profile, fresh: Profile) -> list[str]:
    """Human lines naming every verdict that differs between two profiles (empty when they agree)."""
    a, b = verdicts(reference), verdicts(fresh)
    out: list[str] = []
    for key in (
        "connectivity",
        "recommendation",
        "ranked",
        "interception",
        "known_interception_roots",
        "portal",
    ):
        if a[key] != b[key]:
            out.append(f"{key}: reference {_show(a[key])}, now {_show(b[key])}")
    for pid in sorted(set(a["paths"]) | set(b["paths"])):
        pa, pb = a["paths"].get(pid), b["paths"].get(pid)
        if pa is None or pb is None:
            out.append(f"path {pid}: {'missing now' if pb is None else 'not in the reference'}")
            continue
        for k in ("reachability", "tls"):
            if pa[k] != pb[k]:
                out.append(f"path {pid} {k}: reference {pa[k]}, now {pb[k]}")
        for t in sorted(set(pa["targets"]) | set(pb["targets"])):
            ta, tb = pa["targets"].get(t), pb["targets"].get(t)
            if ta != tb:
                out.append(f"path {pid} / {t}: reference {ta}, now {tb}")
    return out
