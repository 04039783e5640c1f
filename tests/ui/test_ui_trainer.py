"""Trainer mode (root on Linux): the page lists the lab's scenarios and runs ``lab check`` on one
(the real lab: namespaces, the censor's router, the scenario's services), showing the scenario's
description next to each expectation met or not, and the answer."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.lab.conftest import need_kinds, need_lab
from tests.ui.uihelpers import run_ui

pytestmark = pytest.mark.lab


def test_a_lab_check_from_the_page(tmp_path: Path) -> None:
    need_lab()
    need_kinds("clean")
    with run_ui(tmp_path, 19330, ["--plan", str(tmp_path / "unused.toml")]) as ui:
        jar = {"pathprobe_ui_19330": ui.token}
        with httpx.Client(base_url=ui.base, cookies=jar, headers={"Origin": ui.base}, timeout=600) as c:
            c.post("/consent")
            page = c.get("/").text
            assert 'id="trainer"' in page and 'value="clean"' in page and "What the censor does" in page
            r = c.post("/lab", data={"scenario": "no-such"}, headers={"Accept": "application/json"})
            assert r.status_code == 400 and r.json()["error"] == "No such lab scenario."
            r = c.post("/lab", data={"scenario": "clean"}, headers={"Accept": "application/json"})
            assert r.status_code == 202
            # One job at a time: a check asked for meanwhile is refused with a message.
            busy = c.post("/check", headers={"Accept": "application/json"})
            assert busy.status_code == 409 and "running already" in busy.json()["error"]
            with c.stream("GET", "/events") as events:
                for line in events.iter_lines():
                    if line == "event: end":
                        break
            result = c.get("/part/result").text
    assert "Lab scenario: Clean" in result and "What the censor does" in result
    met = re.search(r"(\d+) of (\d+) expectations met", result)
    assert met is not None and met.group(1) == met.group(2) and int(met.group(2)) > 0
    assert "✗ not met" not in result and 'id="advice"' in result


def test_stopping_the_server_during_a_lab_check_takes_the_lab_down(tmp_path: Path) -> None:
    """SIGTERM (as Ctrl-C) while a lab check runs from the page: the check in the client namespace is
    stopped, the lab is taken down, and pathprobe ui exits 130 without leaving a namespace."""
    import json
    import signal

    from pathprobe.lab import topology

    need_lab()
    need_kinds("tor-bridge")
    with run_ui(tmp_path, 19331, ["--plan", str(tmp_path / "unused.toml")]) as ui:
        jar = {"pathprobe_ui_19331": ui.token}
        with httpx.Client(base_url=ui.base, cookies=jar, headers={"Origin": ui.base}, timeout=600) as c:
            c.post("/consent")
            r = c.post("/lab", data={"scenario": "tor-bridge"}, headers={"Accept": "application/json"})
            assert r.status_code == 202
            with c.stream("GET", "/events") as events:
                for line in events.iter_lines():
                    if line.startswith("data: ") and "running the check in" in line:
                        assert json.loads(line[6:])["state"] == "running"
                        break
            assert topology.existing()  # the lab is up, its check running
            ui.proc.send_signal(signal.SIGTERM)
            code = ui.proc.wait(120)
            stderr = ui.proc.stderr.read() if ui.proc.stderr else ""
    assert code == 130, stderr
    assert "The check that was running was stopped." in stderr  # cut short, not left to finish
    assert topology.existing() == []


def test_the_scenarios_are_listed_in_the_page_language() -> None:
    """Trainer mode tells each shipped scenario's title and description in the page's language (the
    catalogs hold them); the English text is the scenario file's."""
    from pathprobe.i18n import translations, using
    from pathprobe.lab import scenario
    from pathprobe.ui.page import View, trainer_section
    from pathprobe.ui.trainer import ScenarioInfo

    scn = scenario.load("sni-drop")
    infos = [ScenarioInfo(scn.name, scn.title, scn.description)]
    english = trainer_section(View(lang="en", consent=True, scenarios=infos))
    assert scn.title.replace("'", "&#x27;") in english or scn.title in english
    for lang in ("ru", "kk"):
        told = translations(lang).gettext(scn.title)
        assert told != scn.title, f"the {lang} catalog lacks the scenario's title"
        with using(lang):
            html = trainer_section(View(lang=lang, consent=True, scenarios=infos))
        assert scn.title not in html
        assert told.split()[0] in html
