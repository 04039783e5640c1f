"""How an unreached target was blocked: ``blocking`` {stage, action, trigger, evidence, evasion} (pure).

DESIGN "Blocking diagnosis, evasion and throttling". For every target on ``direct`` and ``doh:*``
that was not reached:

- ``stage``: the first step that failed (``dns``, ``tcp``, ``tls``, ``http``); a site whose DNS
  answer was a lie (``dns_tampering``) was blocked at ``dns`` whatever failed after it;
- ``action``: what the network did, from the target's ``failure`` (:func:`action_of`);
- ``trigger`` (stage ``tls``): from the ``diagnosis`` observations the probe recorded
  (:mod:`pathprobe.net.diagnose`): the control name at the same address got an answer (``sni``) or
  failed the same way (``address``); null otherwise;
- ``evasion`` (trigger ``sni`` only): each strategy's handshake, ``reached`` ones judged by the same
  two-store validation and signals as any target (:func:`evasion_verdict`), so an evasion that only
  reaches an interceptor says ``intercepted``. It never changes the target's own verdict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pathprobe.analysis.signals import TargetEvidence, chain_signals, cross_path_signals
from pathprobe.analysis.validate import validate
from pathprobe.model import Observation, TargetMeasurement
from pathprobe.profile import Blocking, EvasionResult, Target
from pathprobe.vocab import (
    BlockAction,
    BlockStage,
    BlockTrigger,
    Evasion,
    EvasionOutcome,
    Failure,
    Reachability,
    Role,
    Signal,
    Step,
    TlsVerdict,
    is_unknown_failure,
)

if TYPE_CHECKING:
    from pathprobe.analysis.verdicts import Roots

DIAGNOSED_KINDS = ("direct", "doh")
"""Path kinds whose unreached targets get a ``blocking`` object."""
CONTROL = "control_sni"
"""``detail.diagnosis`` of the control handshake (:data:`pathprobe.net.diagnose.CONTROL`)."""
_STAGES = {Step.DNS: BlockStage.DNS, Step.TCP: BlockStage.TCP, Step.TLS: BlockStage.TLS, Step.HTTP: BlockStage.HTTP,
           Step.DOH: BlockStage.DNS}
"""A site's ``doh`` observation is its name lookup (a resolver's own ``doh`` step is its HTTP exchange)."""
_ACTIONS = {
    Failure.GENERIC_TIMEOUT_ERROR: BlockAction.TIMEOUT,
    Failure.CONNECTION_RESET: BlockAction.RESET,
    Failure.EOF_ERROR: BlockAction.CLOSE,
    Failure.CONNECTION_REFUSED: BlockAction.REFUSED,
    Failure.DNS_NXDOMAIN_ERROR: BlockAction.NXDOMAIN,
    Failure.SSL_UNKNOWN_AUTHORITY: BlockAction.CERTIFICATE,
    Failure.SSL_INVALID_HOSTNAME: BlockAction.CERTIFICATE,
    Failure.SSL_INVALID_CERTIFICATE: BlockAction.CERTIFICATE,
}


def action_of(failure: str | None) -> BlockAction:
    """The ``action`` a failure shows: timeout, reset, close, refused, nxdomain, certificate, else other."""
    for f, action in _ACTIONS.items():
        if f == failure:
            return action
    return BlockAction.OTHER


def diagnosis_observations(t: TargetMeasurement) -> list[Observation]:
    """The target's ``diagnosis`` observations, in the order they were recorded."""
    return [o for o in t.observations if o.step == Step.DIAGNOSIS]


def stage_of(t: TargetMeasurement, signals: set[str]) -> BlockStage:
    """The first step of ``t`` that failed (see the module)."""
    if Signal.DNS_TAMPERING in signals:
        return BlockStage.DNS
    if t.tls is not None:
        return BlockStage.TLS if t.failure is None else BlockStage.HTTP  # a chain that failed validation
    for o in t.observations:
        if o.failure is None or o.step == Step.DIAGNOSIS or str(o.detail.get("resolver", "")).startswith("do53"):
            continue
        stage = _STAGES.get(o.step)
        if stage == BlockStage.DNS and o.step == Step.DOH and t.role == Role.RESOLVER:
            stage = BlockStage.HTTP
        if stage is not None:
            return stage
    failure = t.failure or ""
    if failure.startswith("dns_"):
        return BlockStage.DNS
    if failure.startswith("ssl_"):
        return BlockStage.TLS
    if failure.startswith("doh_") or failure.startswith("http_"):
        return BlockStage.HTTP
    return BlockStage.TCP


def _trigger(t: TargetMeasurement, failure: str | None) -> tuple[BlockTrigger | None, list[str]]:
    control = next((o for o in diagnosis_observations(t) if o.detail.get("diagnosis") == CONTROL), None)
    if control is None:
        if not diagnosis_observations(t):
            return None, ["the diagnosis did not run (no second handshake was made)"]
        return None, ["no control name to compare with at the same address (give the plan a control site or "
                      "'diagnosis_name')"]
    name = str(control.detail.get("sni", "?"))
    if control.failure is None:
        return BlockTrigger.SNI, [f"same address, control SNI {name}: handshake completed"]
    if control.detail.get("spoke") is True:
        return BlockTrigger.SNI, [f"same address, control SNI {name}: the server answered ({control.failure})"]
    if is_unknown_failure(control.failure):
        return None, [f"same address, control SNI {name}: {control.failure} (a fault of this device)"]
    if control.failure == failure:
        return BlockTrigger.ADDRESS, [f"same address, control SNI {name}: {control.failure} too"]
    return None, [f"same address, control SNI {name}: {control.failure}, not {failure}: the trigger cannot be told"]


def evasion_verdict(ev: TargetEvidence, tls_obs: Observation, roots: Roots, items: Sequence[TargetEvidence],
                    now: dt.datetime | None) -> TlsVerdict:
    """The TLS verdict of a reached evasion handshake: the chain validated against both stores, its own
    signals and the cross-path ones against the other paths' chains, read as a target's would be
    (:func:`~pathprobe.analysis.verdicts.target_verdict`). Nothing of the other targets changes."""
    from pathprobe.analysis.verdicts import target_verdict

    assert tls_obs.tls is not None
    tm = TargetMeasurement(target=ev.target.target, role=ev.target.role, observations=(), tls=tls_obs.tls)
    host = tls_obs.tls.sni
    probe = TargetEvidence(path=ev.path, target=tm, public=validate(tls_obs.tls, host, roots.public, now),
                           device=validate(tls_obs.tls, host, roots.device, now), signals=set())
    chain_signals(probe, roots.known, roots.legacy, require_sct=roots.require_sct)
    others = [dataclasses.replace(x, signals=set(x.signals)) for x in items]
    cross_path_signals([*others, probe])
    verdict = target_verdict(probe)
    return TlsVerdict(verdict.tls) if verdict.tls is not None else TlsVerdict.UNVERIFIED


def blocking_of(ev: TargetEvidence, verdict: Target, roots: Roots, items: Sequence[TargetEvidence],
                now: dt.datetime | None = None) -> Blocking | None:
    """``blocking`` for one target and its verdict: None unless it is on a diagnosed path kind and
    ``blocked``."""
    if ev.path.kind not in DIAGNOSED_KINDS or verdict.reachability != Reachability.BLOCKED:
        return None
    t = ev.target
    stage = stage_of(t, ev.signals)
    failure = verdict.failure
    if stage == BlockStage.DNS and Signal.DNS_TAMPERING in ev.signals and failure != Failure.DNS_NXDOMAIN_ERROR:
        action = BlockAction.BOGUS_ANSWER
    else:
        action = action_of(failure)
    trigger: BlockTrigger | None = None
    evidence: list[str] = []
    evasion: list[EvasionResult] = []
    if stage == BlockStage.TLS and t.tls is None:
        trigger, evidence = _trigger(t, t.failure)
    if trigger == BlockTrigger.SNI:
        for strategy in Evasion:
            o = next((x for x in diagnosis_observations(t) if x.detail.get("diagnosis") == strategy), None)
            if o is None:
                continue
            if o.failure is None and o.tls is not None:
                tls = evasion_verdict(ev, o, roots, items, now)
                evasion.append(EvasionResult(strategy=strategy, outcome=EvasionOutcome.REACHED, tls=tls))
            else:
                evasion.append(EvasionResult(strategy=strategy, outcome=EvasionOutcome.BLOCKED,
                                             failure=o.failure))
    return Blocking(stage=stage, action=action, trigger=trigger, evidence=tuple(evidence), evasion=tuple(evasion))


def evasion_summary(targets: Sequence[Target]) -> dict[str, Any] | None:
    """The path's ``detail.evasion``: for each strategy tried, the targets it reached (with HTTPS
    intact, or not) and those it did not; None when no evasion was tried on the path."""
    out: dict[str, Any] = {}
    for t in targets:
        if t.blocking is None:
            continue
        for e in t.blocking.evasion:
            entry = out.setdefault(e.strategy, {"reached_intact": [], "reached_not_intact": [], EvasionOutcome.BLOCKED: []})
            if e.outcome == EvasionOutcome.REACHED:
                entry["reached_intact" if e.tls == TlsVerdict.INTACT else "reached_not_intact"].append(t.target)
            else:
                entry[EvasionOutcome.BLOCKED].append(t.target)
    return out or None
