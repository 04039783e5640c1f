"""Throttling (pure; DESIGN "Throughput and throttling"): which reached targets came far slower than a
comparable one.

Each reached site check read its page's body for a bounded time and recorded, on its ``http``
observation, ``body_bytes``, ``goodput_kbps`` (from the first body byte on), ``transfer_ms`` and
``page_bytes`` (:func:`pathprobe.net.sitecheck.http_step`). A target is **throttled** on a path when

- it was reached, its page is at least :data:`MIN_PAGE_BYTES` (a smaller page is never judged: it
  comes in a few packets, whatever the network does), and its transfer lasted at least
  :data:`MIN_TRANSFER_MS`;
- and its goodput is below :data:`RATIO` (a tenth) of a **comparable**: a control on the same path, or
  the same target on another path that reached it, that was itself judgeable by size. The fastest
  comparable is the one named;
- and it was slow **all along**: its steady rate (``steady_kbps``, the median rate of the body's
  arrivals) is below a tenth of the comparable too. A read that recorded no steady rate (fewer than
  three arrivals) is not judged: a stall or two and a burst look the same whether loss or a shaper
  caused them. Loss stalls a flow for retransmission timeouts
  and then lets it run at full rate, so its goodput can fall far below a lucky control's while its
  arrivals still come fast; a shaper slows every arrival.

It then carries the signal ``throttled`` (never interception evidence: it stays ``reachable``, its
``tls`` verdict unchanged) and ``throttle: {goodput_kbps, compared_with, comparable_kbps}``.

Loss is not throttling (the steady-rate rule above; the ``lossy`` lab scenario, with large pages, pins it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from pathprobe.model import PathMeasurement, TargetMeasurement
from pathprobe.profile import Path, Target, Throttle
from pathprobe.vocab import Reachability, Role, Signal, Step

MIN_PAGE_BYTES = 16 * 1024
"""Pages under this size are never judged (nor used as a comparable)."""
MIN_TRANSFER_MS = 500.0
"""A transfer shorter than this is never called throttled."""
RATIO = 0.1
"""Throttled: a goodput below this fraction of the comparable's."""
JUDGED_ROLES = frozenset({Role.SITE, Role.CONTROL})


@dataclass(frozen=True)
class Transfer:
    """What one reached target's body read showed."""

    path: str
    target: str
    role: str
    goodput_kbps: float
    transfer_ms: float
    page_bytes: int
    """The page's size as far as it is known: its Content-Length, else at least the bytes read."""
    steady_kbps: float | None = None
    """The median rate of its arrivals (None: not recorded; then the goodput stands for it)."""
    few_arrivals: bool = False
    """The read recorded no steady rate: fewer than three arrivals, too few to tell a shaper (slow all
    along) from loss (a stall or two, then a burst). Such a transfer is never judged."""

    @property
    def sized(self) -> bool:
        """Large enough to judge (at least :data:`MIN_PAGE_BYTES`)."""
        return self.page_bytes >= MIN_PAGE_BYTES


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def transfer_of(path: str, tm: TargetMeasurement) -> Transfer | None:
    """The body read of ``tm`` (its last successful ``http`` step with a goodput), or None."""
    for o in reversed(tm.observations):
        if o.step != Step.HTTP or o.failure is not None:
            continue
        goodput, body = _num(o.detail.get("goodput_kbps")), _num(o.detail.get("body_bytes"))
        if goodput is None or body is None:
            return None
        page = _num(o.detail.get("page_bytes"))
        steady = _num(o.detail.get("steady_kbps"))
        return Transfer(path, tm.target, str(tm.role), goodput, _num(o.detail.get("transfer_ms")) or 0.0,
                        int(max(body, page or 0.0)), steady,
                        few_arrivals="steady_kbps" in o.detail and steady is None)
    return None


def judge(me: Transfer, comparables: Sequence[Transfer]) -> Throttle | None:
    """The ``throttle`` of ``me`` when it is throttled against the fastest of ``comparables`` (each already
    the same target on another path, or a control on the same path), else None."""
    if not me.sized or me.transfer_ms < MIN_TRANSFER_MS or me.few_arrivals:
        return None
    usable = sorted((c for c in comparables if c.sized), key=lambda c: (-c.goodput_kbps, c.path, c.target))
    if not usable:
        return None
    best = usable[0]
    steady = me.goodput_kbps if me.steady_kbps is None else me.steady_kbps
    if not (me.goodput_kbps < RATIO * best.goodput_kbps and steady < RATIO * best.goodput_kbps):
        return None
    return Throttle(goodput_kbps=me.goodput_kbps, compared_with=f"{best.target} on {best.path}",
                    comparable_kbps=best.goodput_kbps)


def apply_throttling(measured: Sequence[PathMeasurement], paths: Sequence[Path]) -> tuple[Path, ...]:
    """``paths`` (the verdicts of ``measured``, target for target) with ``throttled`` and ``throttle`` on
    the targets that were throttled; every other target is returned as it was."""
    reached: dict[tuple[str, int], Transfer] = {}
    for pm, pv in zip(measured, paths, strict=True):
        for i, (tm, tv) in enumerate(zip(pm.targets, pv.targets, strict=True)):
            if tv.reachability != Reachability.REACHABLE or tm.role not in JUDGED_ROLES:
                continue
            t = transfer_of(pm.id, tm)
            if t is not None:
                reached[(pm.id, i)] = t
    out = []
    for pv in paths:
        targets = list(pv.targets)
        for i, tv in enumerate(targets):
            me = reached.get((pv.id, i))
            if me is None:
                continue
            comparables = [
                c for (pid, j), c in reached.items()
                if (pid == pv.id and j != i and c.role == Role.CONTROL)
                or (pid != pv.id and c.target == me.target)
            ]
            throttle = judge(me, comparables)
            if throttle is not None:
                targets[i] = _throttled(tv, throttle)
        out.append(dataclasses.replace(pv, targets=tuple(targets)) if targets != list(pv.targets) else pv)
    return tuple(out)


def _throttled(t: Target, throttle: Throttle) -> Target:
    signals = t.signals if Signal.THROTTLED in t.signals else (*t.signals, Signal.THROTTLED)
    return dataclasses.replace(t, signals=signals, throttle=throttle)
