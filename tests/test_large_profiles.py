"""Large profiles are read, shown, rendered, diffed and summarised in roughly linear time (issue 16,
part 2): ten times the targets may take at most 20 times as long (linear is ~10; the quadratic steps
this replaced gave ~30-40). Ratios within one run, never a wall-clock bound (bench/bench_render.py
prints the same figures at 2,000 and 20,000 targets; BENCHMARKS.md)."""

from __future__ import annotations

from bench.bench_render import COMMANDS, measure


def test_ten_times_the_targets_take_about_ten_times_as_long() -> None:
    res = measure(1000, 10_000, runs=2)  # the best of two: one busy moment is not growth
    assert set(res) == set(COMMANDS)
    ratios = {command: big / small for command, (small, big) in res.items()}
    assert max(ratios.values()) < 20, ratios
