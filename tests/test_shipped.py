"""The shipped plans: a real top-level ``probes/`` folder, found from a checkout and from a wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pathprobe import shipped
from pathprobe.plan import default_plan_path, load_plans, read_toml, shipped_plan

ROOT = Path(__file__).resolve().parents[1]


def test_probes_is_a_real_folder_with_the_plans() -> None:
    probes = ROOT / "probes"
    assert probes.is_dir() and not probes.is_symlink()
    assert {"default.toml", "kz-media.toml"} <= {p.name for p in probes.iterdir()}
    assert not (ROOT / "src" / "pathprobe" / "plans").exists(), "one home for the plans, not two"


def test_default_plan_path_exists_and_parses() -> None:
    path = default_plan_path()
    assert path.is_file()
    assert path == ROOT / "probes" / "default.toml"  # this checkout (an editable install)
    assert read_toml(path)["probe"]
    assert load_plans([path], only=["direct"]).sites
    assert read_toml(shipped_plan("kz-media"))["probe"]


def test_a_wheel_carries_the_plans_as_pathprobe_plans() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    force = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force == {"probes": "pathprobe/plans"}
    assert Path(shipped.__file__).resolve().parent / "plans" == shipped.PACKAGED


def test_the_packaged_folder_wins_when_it_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged, checkout = tmp_path / "site-packages" / "pathprobe" / "plans", tmp_path / "probes"
    checkout.mkdir()
    monkeypatch.setattr(shipped, "PACKAGED", packaged)
    monkeypatch.setattr(shipped, "CHECKOUT", checkout)
    assert shipped.plans_dir() == checkout  # an editable install: no pathprobe/plans
    packaged.mkdir(parents=True)
    assert shipped.plans_dir() == packaged  # a wheel
    checkout.rmdir()
    packaged.rmdir()
    assert shipped.plans_dir() == packaged  # neither: the error names the wheel's place
