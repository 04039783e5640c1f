"""The import graph of ``src/pathprobe``: no cycles, and the one-way layering the layout promises.

Every module is parsed with :mod:`ast` (nothing is imported) and every import in it is collected:

- module level and function level (lazy) imports alike;
- imports under ``if TYPE_CHECKING:`` too: they never run, but a module that names another's types
  depends on it as much as one that calls it, and a type-only cycle is a knot in the design;
- ``from pathprobe.x import y`` counts as importing ``pathprobe.x.y`` when ``y`` is a submodule, and
  ``pathprobe.x`` (its ``__init__``) otherwise; importing a package counts as importing its
  ``__init__``. A parent package that Python initialises on the way to a submodule is not counted:
  every submodule would otherwise "import" its own package, which is no dependency;
- a string that names a pathprobe module as importlib, entry points and ``python -m`` take it
  (``"pathprobe.probes.direct:DirectProbe"``, ``"pathprobe.cli.profile"``), outside docstrings:
  the registries that import by name are imports too, only later.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pathprobe"

KNOWN_CYCLES: set[frozenset[str]] = set()
"""Cycles another branch removes; delete each entry when that branch is merged."""

RUNTIME = ("net", "analysis", "probes", "vpn", "tor", "report", "summary", "collector", "cli")
"""Packages a user's check (or report, summary, collector) runs; none of them may import the lab."""
RUNTIME_MAY_IMPORT_LAB = {"pathprobe.cli.lab", "pathprobe.ui.trainer"}
"""The lab's front doors: the ``pathprobe lab`` command group, and ``pathprobe ui``'s trainer mode
(the same ``lab check`` from the page)."""

PROBE_INFRASTRUCTURE = {"pathprobe.probes", "pathprobe.probes.base", "pathprobe.probes.registry"}
"""What is not itself a probe kind in ``probes/``; every other module there is one kind."""
PROBE_SHARED = {"pathprobe.probes.base"}
"""What a probe kind may import from ``probes/``: the contract, never another kind."""

_SPEC = re.compile(r"pathprobe(?:\.\w+)+(?::\w+)?")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    how: str
    """``import``, ``lazy`` (inside a function), ``type`` (under TYPE_CHECKING) or ``name`` (a string)."""

    def __str__(self) -> str:
        path = module_files()[self.source].relative_to(SRC.parent)
        return f"{self.source} -> {self.target}  ({path}:{self.line}, {self.how})"


@functools.cache
def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module under src/pathprobe (packages by ``__init__``)."""
    out: dict[str, Path] = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is a pathprobe module (``a.b.C`` -> ``a.b``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string constants that are docstrings (module, class, function, attribute)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                out.add(id(stmt.value))
    return out


def edges_of(name: str, modules: dict[str, Path]) -> list[Edge]:
    """Every import of one module that names another pathprobe module."""
    path = modules[name]
    tree = ast.parse(path.read_text("utf-8"), str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    docstrings = _docstrings(tree)
    out: list[Edge] = []

    def add(target: str | None, line: int, how: str) -> None:
        if target is not None and target != name:
            out.append(Edge(name, target, line, how))

    def visit(node: ast.AST, how: str) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, "type")
            for child in node.orelse:
                visit(child, how)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and how == "import":
            how = "lazy"
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(_known(alias.name, modules), node.lineno, how)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                add(sub if sub in modules else _known(module, modules), node.lineno, how)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _SPEC.fullmatch(node.value)
        ):
            add(_known(node.value.partition(":")[0], modules), node.lineno, "name")
        for child in ast.iter_child_nodes(node):
            visit(child, how)

    visit(tree, "import")
    return list(dict.fromkeys(out))


@functools.cache
def import_graph() -> dict[str, list[Edge]]:
    modules = module_files()
    return {name: edges_of(name, modules) for name in modules}


def cycles(graph: dict[str, list[Edge]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    succ = {m: sorted({e.target for e in edges}) for m, edges in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            for j in range(i, len(succ[node])):
                nxt = succ[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                if low[node] == index[node]:
                    comp = set()
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.add(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        found.append(comp)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    """The collector itself: lazy, type-only and by-name imports are all found."""
    graph = import_graph()

    def how(source: str, target: str) -> set[str]:
        return {e.how for e in graph[source] if e.target == target}

    assert "lazy" in how("pathprobe.cli.lab", "pathprobe.lab.lifecycle")
    assert "type" in how("pathprobe.lab.services.base", "pathprobe.lab.certs")
    assert "name" in how("pathprobe.probes.registry", "pathprobe.probes.direct")
    assert "name" in how("pathprobe.cli.main", "pathprobe.cli.check")
    assert "import" in how("pathprobe.lab.services.portal", "pathprobe.lab.services.base")
    assert how("pathprobe.vpn.openvpn", "pathprobe.net.udp"), "from pathprobe.net import udp: the submodule"


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = [c for c in cycles(graph) if frozenset(c) not in KNOWN_CYCLES]
    lines = []
    for comp in found:
        lines.append("cycle: " + ", ".join(sorted(comp)))
        lines += [f"    {e}" for m in sorted(comp) for e in graph[m] if e.target in comp]
    assert not found, "import cycles in src/pathprobe:\n" + "\n".join(lines)


def test_known_cycles_are_still_there() -> None:
    """An entry of KNOWN_CYCLES that no longer exists is stale: remove it so it cannot come back."""
    present = {frozenset(c) for c in cycles(import_graph())}
    stale = KNOWN_CYCLES - present
    assert not stale, f"no longer cycles, remove from KNOWN_CYCLES: {stale}"


def test_probe_kinds_never_import_each_other() -> None:
    graph = import_graph()
    bad = [
        str(e)
        for m, edges in graph.items()
        if m.startswith("pathprobe.probes.") and m not in PROBE_INFRASTRUCTURE
        for e in edges
        if (e.target == "pathprobe.probes" or e.target.startswith("pathprobe.probes."))
        and e.target not in PROBE_SHARED
    ]
    assert not bad, "a probe kind imports from probes/ more than the contract:\n" + "\n".join(bad)


def test_runtime_packages_never_import_the_lab() -> None:
    graph = import_graph()
    runtime = [
        m
        for m in graph
        if any(m == f"pathprobe.{p}" or m.startswith(f"pathprobe.{p}.") for p in RUNTIME)
        and m not in RUNTIME_MAY_IMPORT_LAB
    ]
    assert "pathprobe.net.udp" in runtime and "pathprobe.cli.check" in runtime
    bad = [
        str(e)
        for m in runtime
        for e in graph[m]
        if e.target == "pathprobe.lab" or e.target.startswith("pathprobe.lab.")
    ]
    assert not bad, "runtime code imports the lab:\n" + "\n".join(bad)


def test_nothing_outside_the_lab_imports_it() -> None:
    """Stricter than the runtime list: top-level modules (plan, profile, runner, ...) too."""
    graph = import_graph()
    bad = [
        str(e)
        for m, edges in graph.items()
        if not (m == "pathprobe.lab" or m.startswith("pathprobe.lab.")) and m not in RUNTIME_MAY_IMPORT_LAB
        for e in edges
        if e.target == "pathprobe.lab" or e.target.startswith("pathprobe.lab.")
    ]
    assert not bad, "\n".join(bad)


ANALYSIS_MAY_IMPORT = ("pathprobe.analysis", "pathprobe.model", "pathprobe.profile", "pathprobe.vocab",
                       "pathprobe.errors", "pathprobe.version", "pathprobe.i18n")
"""The analysis is pure: it reads measurements and loaded root sets and writes the profile (its advice told in
the run's language: pathprobe.i18n reads only its own catalogs, shipped in the package)."""


def test_the_analysis_does_no_io() -> None:
    """analysis/ imports no room that does I/O (net, probes, trust, tunnels, reports, the CLI), and
    no module of it opens files, sockets or processes or reads the package's data."""
    graph = import_graph()
    analysis = [m for m in graph if m == "pathprobe.analysis" or m.startswith("pathprobe.analysis.")]
    assert "pathprobe.analysis.pipeline" in analysis
    bad = [
        str(e)
        for m in analysis
        for e in graph[m]
        if e.target.startswith("pathprobe") and not any(
            e.target == ok or e.target.startswith(ok + ".") for ok in ANALYSIS_MAY_IMPORT
        )
    ]
    assert not bad, "the analysis imports a room that does I/O:\n" + "\n".join(bad)
    io_names = {"open", "socket", "subprocess", "resources", "certifi", "urllib", "httpx", "asyncio"}
    files = module_files()
    for m in analysis:
        tree = ast.parse(files[m].read_text("utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name.split(".")[0] for a in node.names] if isinstance(node, ast.Import)
                else [(node.module or "").split(".")[0]] if isinstance(node, ast.ImportFrom)
                else [node.func.id] if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                else []
            )
            hits = io_names.intersection(names)
            assert not hits, f"{files[m]}:{getattr(node, 'lineno', '?')}: {sorted(hits)} in the analysis"
