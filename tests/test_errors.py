"""One error tree (``pathprobe.errors``), and errors that leave through the CLI's one exit point."""

from __future__ import annotations

import ast
import builtins
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from pathprobe import errors
from pathprobe.cli import lab as cli_lab
from pathprobe.cli.main import _run
from pathprobe.errors import BadInput, Interrupted, LabError, PathprobeError

SRC = Path(__file__).resolve().parents[1] / "src" / "pathprobe"
BUILTIN_EXCEPTIONS = {
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
}


def exception_classes() -> dict[str, list[str]]:
    """Every class under src/pathprobe that derives from an exception -> the files defining it."""
    classes: list[tuple[str, list[str], str]] = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]
                classes.append((node.name, bases, str(path.relative_to(SRC))))
    known = set(BUILTIN_EXCEPTIONS)
    found: dict[str, list[str]] = {}
    changed = True
    while changed:
        changed = False
        for name, bases, where in classes:
            if any(b in known for b in bases) and where not in found.get(name, []):
                found.setdefault(name, []).append(where)
                known.add(name)
                changed = True
    return found


def test_every_error_class_is_defined_in_errors_py() -> None:
    found = exception_classes()
    assert {"PathprobeError", "BadInput", "LabError", "SummaryError", "NetFailure"} <= set(found)
    elsewhere = {name: where for name, where in found.items() if where != ["errors.py"]}
    assert not elsewhere, f"error classes outside pathprobe/errors.py: {elsewhere}"


def test_the_tree_in_the_docstring_names_every_error() -> None:
    doc = errors.__doc__ or ""
    for name in exception_classes():
        assert f"── {name}" in doc, f"{name} is not drawn in errors.py's tree"


def test_exit_codes() -> None:
    assert (BadInput.exit_code, LabError.exit_code, Interrupted.exit_code) == (2, 1, 130)
    assert issubclass(errors.SummaryError, BadInput)
    assert not issubclass(errors.NetFailure, PathprobeError), "a network failure is data, never a CLI error"


def test_the_lab_world_imports_whatever_the_prefix() -> None:
    """An invalid PATHPROBE_LAB_PREFIX is bad input from a function call, never a SystemExit at import."""
    code = (
        "import pathprobe.lab.world as w, pathprobe.lab.lifecycle\n"
        "from pathprobe.errors import BadInput\n"
        "try:\n    w.check_prefix()\nexcept BadInput as e:\n    print('BadInput', e)\n"
    )
    env = {**os.environ, "PATHPROBE_LAB_PREFIX": "not a prefix"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("BadInput PATHPROBE_LAB_PREFIX must be"), out.stdout


def test_lab_ctrl_c_leaves_through_the_one_exit_point(capsys: pytest.CaptureFixture[str]) -> None:
    app = typer.Typer()

    @app.command()
    def up() -> None:
        with cli_lab._interruptible():
            raise KeyboardInterrupt

    @app.command()
    def down() -> None:  # two commands, so typer keeps the command name in the arguments
        pass

    before = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as exc:
            _run(app, ["up"])
    finally:
        signal.signal(signal.SIGTERM, before)
    assert exc.value.code == 130
    assert capsys.readouterr().err == "pathprobe: interrupted (what this command had started was taken down)\n"
