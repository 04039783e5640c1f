"""The probe contract (probes/base.py): what a kind declares, and the defaults a kind that declares
nothing gets — through the real seams: the ``pathprobe.probes`` entry points, plan loading,
``check``'s preparation and command line, and the runner.

The third-party kinds live in a throw-away distribution (a module and a ``.dist-info`` folder with
``entry_points.txt``) put on ``sys.path``, exactly as an installed plug-in is found.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathprobe.check import CheckOptions, prepare
from pathprobe.errors import BadInput
from pathprobe.plan import load_plans
from pathprobe.probes import registry
from pathprobe.probes.base import Probe, RunContext
from pathprobe.runner import probe_budget, run_probes

PLUGIN = '''
from typing import ClassVar

from pathprobe.errors import BadInput
from pathprobe.model import PathMeasurement, TargetMeasurement
from pathprobe.probes.base import CliOption, Probe, ProbeResult
from pathprobe.vocab import Reachability, Role


class Bare:
    """Written to the required part of the contract alone: no Probe subclass, nothing declared."""

    kind: ClassVar[str] = "bare"
    version: ClassVar[str] = "1"

    def __init__(self, name):
        self.name = name

    @classmethod
    def from_plan(cls, entry):
        name = entry.str("name", "one") or "one"
        entry.finish()
        return cls(name)

    def path_ids(self):
        return [f"bare:{self.name}"]

    async def run(self, ctx):
        t = TargetMeasurement("x", Role.ENDPOINT, (), reachability=Reachability.REACHABLE)
        return ProbeResult(paths=(PathMeasurement(self.path_ids()[0], self.kind, (t,)),))


class Loud(Probe):
    """Declares its own check option, a longer budget and at most two instances."""

    kind: ClassVar[str] = "loud"
    version: ClassVar[str] = "1"
    cli_options = (CliOption("colour", "A colour for the loud probes; repeatable.", metavar="COLOUR"),)
    max_instances = 2

    def __init__(self, name):
        self.name = name

    @classmethod
    def from_plan(cls, entry):
        name = entry.str("name", "one") or "one"
        entry.finish()
        return cls(name)

    @classmethod
    def check_cli_options(cls, values, mine):
        for c in values.get("colour", ()):
            if c not in ("red", "blue"):
                raise BadInput(f"--colour: '{c}' is not red or blue")
        if not mine:
            raise BadInput("--colour: no loud probe in the plan")

    def budget_extra(self, ctx):
        return 7.0

    def path_ids(self):
        return [f"loud:{self.name}"]

    async def run(self, ctx):
        colours = ctx.probe_options.get("colour", ())
        targets = tuple(TargetMeasurement(c, Role.ENDPOINT, (), reachability=Reachability.REACHABLE) for c in colours)
        return ProbeResult(paths=(PathMeasurement(self.path_ids()[0], self.kind, targets),))


class Odd(Bare):
    kind: ClassVar[str] = "odd"

    @classmethod
    def from_plan(cls, entry):
        entry.finish()
        return Bare("odd")  # not cls(...): the registry cannot give this instance the defaults
'''

ENTRY_POINTS = """[pathprobe.probes]
bare = pp_contract_plugin:Bare
loud = pp_contract_plugin:Loud
odd = pp_contract_plugin:Odd
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Install the throw-away distribution (on sys.path); the folder it lives in."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "pp_contract_plugin.py").write_text(PLUGIN)
    dist = site / "pp_contract_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pp-contract-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry, "_LOADED", {})
    yield site
    sys.modules.pop("pp_contract_plugin", None)


def _plan(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "plan.toml"
    f.write_text(text)
    return f


def test_the_defaults() -> None:
    class Minimal(Probe):
        kind = "minimal"
        version = "0"

    p = Minimal()
    assert (Minimal.max_instances, Minimal.fills_portal, Minimal.cli_options) == (None, False, ())
    assert p.budget_extra(RunContext(timeout=3)) == 0.0
    assert p.default_targets() is None
    assert Minimal.check_cli_options({"x": ("y",)}, [p]) is None


def test_a_third_party_kind_that_declares_nothing_gets_the_defaults(plugin: Path, tmp_path: Path) -> None:
    cls = registry.get("bare")
    assert issubclass(cls, Probe) and cls.__name__ == "Bare" and cls.__module__ == "pp_contract_plugin"
    assert registry.get("bare") is cls, "one adapted class per kind"
    assert (cls.max_instances, cls.fills_portal, cls.cli_options) == (None, False, ())

    plan = _plan(tmp_path, '[[probe]]\nkind = "bare"\n[[probe]]\nkind = "bare"\nname = "two"\n')
    prepared = prepare(CheckOptions(plans=(plan,), timeout=2))
    assert [p.path_ids() for p in prepared.plan.probes] == [["bare:one"], ["bare:two"]]
    assert prepared.plan.sites == [] and prepared.plan.controls == []  # nobody lends targets
    ctx = prepared.context()
    assert ctx.probe_options == {}
    assert all(isinstance(p, cls) and probe_budget(p, ctx) == 4 * 2 + 2.0 + 2.0 for p in prepared.plan.probes)
    paths, portal = asyncio.run(run_probes(prepared.plan.probes, ctx))
    assert [p.id for p in paths] == ["bare:one", "bare:two"] and portal is None


def test_from_plan_must_give_an_instance_of_its_kind(plugin: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"probe kind 'odd' is broken: its from_plan gave a Bare"):
        load_plans([_plan(tmp_path, '[[probe]]\nkind = "odd"\n')])


def test_a_kind_declares_its_own_option_budget_and_instances(plugin: Path, tmp_path: Path) -> None:
    loud = registry.get("loud")
    assert registry.cli_options()["colour"] == (loud, loud.cli_options[0])
    assert loud.cli_options[0].flag == "--colour"

    plan = _plan(tmp_path, '[[probe]]\nkind = "loud"\n[[probe]]\nkind = "bare"\n')
    prepared = prepare(CheckOptions(plans=(plan,), timeout=2, probe_options={"colour": ("red", "blue")}))
    ctx = prepared.context()
    assert ctx.probe_options == {"colour": ("red", "blue")}
    probe = prepared.plan.probes[0]
    assert probe_budget(probe, ctx) == 4 * 2 + 2.0 + 2.0 + 7.0  # + the body read (issue 17)
    paths, _ = asyncio.run(run_probes(prepared.plan.probes, ctx))
    assert [t.target for t in paths[0].targets] == ["red", "blue"]

    with pytest.raises(BadInput, match="--colour: 'green' is not red or blue"):
        prepare(CheckOptions(plans=(plan,), probe_options={"colour": ("green",)}))
    with pytest.raises(BadInput, match="--colour: no loud probe in the plan"):  # --only left it out
        prepare(CheckOptions(plans=(plan,), only=("bare",), probe_options={"colour": ("red",)}))
    with pytest.raises(BadInput, match="unknown probe option 'flavour'"):
        prepare(CheckOptions(plans=(plan,), probe_options={"flavour": ("x",)}))
    three = _plan(tmp_path, "".join(f'[[probe]]\nkind = "loud"\nname = "n{i}"\n' for i in range(3)))
    with pytest.raises(BadInput, match="at most 2 loud probes per check"):
        load_plans([three])


def _cli(site: Path, tmp_path: Path, *args: str, accept: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PATHPROBE_ACCEPT_RISK"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no stored consent
    if accept:
        env["PATHPROBE_ACCEPT_RISK"] = "1"
    return subprocess.run([sys.executable, "-m", "pathprobe", "check", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=env, timeout=120, check=False)


def test_check_offers_a_kinds_option_and_checks_it_before_anything_else(plugin: Path, tmp_path: Path) -> None:
    helptext = _cli(plugin, tmp_path, "--help", accept=False)
    assert helptext.returncode == 0 and "--colour" in helptext.stdout and "--bridge" in helptext.stdout

    plan = _plan(tmp_path, '[[probe]]\nkind = "loud"\n')
    bad = _cli(plugin, tmp_path, "--plan", str(plan), "--colour", "green", accept=False)
    assert bad.returncode == 2 and bad.stdout == ""  # bad input wins over the missing consent
    assert bad.stderr.strip() == "pathprobe: --colour: 'green' is not red or blue"

    good = _cli(plugin, tmp_path, "--plan", str(plan), "--colour", "red", "--colour", "blue", "--json", accept=True)
    assert good.returncode == 0, good.stderr
    (path,) = json.loads(good.stdout)["paths"]
    assert path["id"] == "loud:one" and [t["target"] for t in path["targets"]] == ["red", "blue"]


def test_only_check_loads_the_kinds_for_their_options() -> None:
    code = (
        "import sys\n"
        "from pathprobe.cli.main import build_app\n"
        "build_app(sys.argv[1])\n"
        "print('pathprobe.probes.tor' in sys.modules)\n"
    )
    for command, loaded in (("profile", "False"), ("check", "True")):
        out = subprocess.run([sys.executable, "-c", code, command], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == loaded, command


def test_a_plain_check_does_not_load_every_kind() -> None:
    """Kinds are loaded before parsing only when ``check`` is asked for help or given an option it
    does not have itself (a kind's); a plain quick check loads only the kinds its plan names."""
    from pathprobe.cli.check import needs_probe_options

    assert not needs_probe_options(["--plan", "p.toml", "--json", "--timeout", "2", "--accept-risk"])
    assert not needs_probe_options(["--public-roots=r.pem", "-q"])
    assert needs_probe_options(["--bridge", "obfs4 192.0.2.1:443 X cert=Y iat-mode=0"])
    assert needs_probe_options(["--plan", "p.toml", "--bridge=obfs4 ..."])
    assert needs_probe_options(["--help"]) and needs_probe_options(["-h"])
    assert not needs_probe_options(["--", "--bridge"])
    code = (
        "import sys\n"
        "from pathprobe.cli import main\n"
        "try:\n"
        "    main.main(['check', '--plan', sys.argv[1], '--json', '--accept-risk', '--timeout', '1'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('pathprobe.probes.tor' in sys.modules, file=sys.stderr)\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.toml"
        plan.write_text('[[probe]]\nkind = "direct"\nsites = ["127.0.0.1:9"]\n')
        out = subprocess.run([sys.executable, "-c", code, str(plan)], capture_output=True, text=True, check=True,
                             timeout=60)
    assert out.stderr.strip().splitlines()[-1] == "False"
