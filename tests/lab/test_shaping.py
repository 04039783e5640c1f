"""The throttle scenario's shaping commands (pure): one class and one mark per site, a short queue."""

from __future__ import annotations

from pathprobe.lab.censor import shaping_commands
from pathprobe.lab.scenario import Throttle


def test_each_throttled_site_gets_its_own_class_and_mark() -> None:
    cmds = shaping_commands(Throttle(sites=("a.test", "b.test"), kbps=64))
    classes = [c[c.index("classid") + 1] for c in cmds if c[:3] == ["tc", "class", "add"] and "64kbit" in c]
    assert classes == ["1:18", "1:19"]
    marks = [c[c.index("--set-mark") + 1] for c in cmds if "--set-mark" in c]
    assert marks == ["0x1701", "0x1702"]
    sites = [c[c.index("--string") + 1] for c in cmds if "--string" in c]
    assert sites == ["a.test", "b.test"]
    # each mark is classified into its own site's class
    pairs = [(c[c.index("--mark") + 1], c[c.index("--set-class") + 1]) for c in cmds if "CLASSIFY" in c]
    assert pairs == [("0x1701", "1:18"), ("0x1702", "1:19")]


def test_queues_hold_about_half_a_second() -> None:
    slow = shaping_commands(Throttle(sites=("a.test",), kbps=64))
    fast = shaping_commands(Throttle(sites=("a.test",), kbps=10000))
    limit = [c[c.index("limit") + 1] for c in slow if "pfifo" in c]
    assert limit == ["3"]
    assert [c[c.index("limit") + 1] for c in fast if "pfifo" in c] == ["417"]
    assert shaping_commands(None) == []
