"""The package's import graph, read from the source with `ast`: no cycle outside the engine
core, and each layer imports only from the layers below it.

Layers, bottom to top: the core (engine, ops, autograd, errors, creation), gradients/ (slow
modes, counting, gradcheck), compile/ (traced programs as generated numpy), testing/
(check_op, Hypothesis strategies), the toolkit
(nn/, optim/, data/, train/), viz/ (drawing,
plots), lab/ (experiments), cli/. An edge is one module naming another in an import
statement anywhere in its file, inside functions too (a lazy import still ties the two
files together), except under `if TYPE_CHECKING:`, which never runs. Importing
`micrograd.nn.modules` also runs `micrograd/__init__` and `micrograd/nn/__init__`, but
those implicit edges are left out: every module would then sit in a cycle with the root.
"""
from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import re
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "micrograd"

# engine.py imports ops.py and autograd.py at its bottom (they attach the ops and backward
# to Tensor), and they import Tensor from it: the one cycle the design has.
ENGINE_CORE = frozenset({"micrograd.engine", "micrograd.ops", "micrograd.autograd"})

# Edges that break the rules today, each with who must remove it. An edge listed here that
# is no longer in the code fails test_allow_list_is_not_stale: take it off the list.
ALLOWED_EDGES: dict[tuple[str, str], str] = {}

LAYERS = ("core", "grad", "compile", "testing", "toolkit", "viz", "lab", "cli", "facade")
# What each layer may import. The facade (micrograd/__init__) re-exports the core, the
# toolkit and drawing; it must not load lab/ or cli/, which is what lets lab/ and cli/
# import from it without a cycle.
MAY_IMPORT: dict[str, set[str]] = {
    "core": {"core"},
    "grad": {"core", "grad"},
    # compile/ traces and generates code for any function: it knows modules by their
    # shape (named_parameters), not from nn/, so the toolkit may use it.
    "compile": {"core", "grad", "compile"},
    "testing": {"core", "grad", "testing"},
    "toolkit": {"core", "grad", "compile", "testing", "toolkit"},
    "viz": {"core", "grad", "compile", "testing", "toolkit", "viz"},
    "lab": {"core", "grad", "compile", "testing", "toolkit", "viz", "lab", "facade"},
    "cli": {"core", "grad", "compile", "testing", "toolkit", "viz", "lab", "cli", "facade"},
    "facade": {"core", "grad", "compile", "testing", "toolkit", "viz", "facade"},
}
_TOP_LEVEL = {"engine": "core", "ops": "core", "autograd": "core", "errors": "core",
              "files": "core", "creation": "core", "_version": "core", "gradients": "grad",
              "compile": "compile", "testing": "testing",
              "nn": "toolkit",
              "optim": "toolkit", "data": "toolkit", "train": "toolkit", "interop": "toolkit",
              "viz": "viz", "lab": "lab", "cli": "cli", "__main__": "cli"}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside micrograd (KeyError for an unknown place)."""
    parts = module.split(".")
    return "facade" if len(parts) == 1 else _TOP_LEVEL[parts[1]]


# --------------------------------------------------------------------------- reading imports

def module_files(package: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, whether it is a package's __init__)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, except in the body of `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            children: list[ast.AST] = [node.test, *node.orelse]
        else:
            children = list(ast.iter_child_nodes(node))
        for child in children:
            visit(child)

    visit(tree)
    return found


def imported_modules(module: str, is_package: bool, source: str, known: set[str],
                     root: str) -> set[str]:
    """The modules of package `root` that `module`'s source imports.

    `from a import b` names module a.b if there is one, else module a (b is a name in it).
    Raises AssertionError for an import of a `root` module that has no file.
    """
    here = module.split(".") if is_package else module.split(".")[:-1]
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            if node.level:  # relative: one dot is this package, each more dot one level up
                assert node.level - 1 < len(here), f"{module}: import climbs out of {root}"
                base = ".".join(here[:len(here) - (node.level - 1)]
                                + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                          for alias in node.names]
        for name in candidates:
            if name == root or name.startswith(root + "."):
                assert name in known, f"{module} imports {name}, which has no file"
                targets.add(name)
    return targets


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    files = module_files(package)
    known = set(files)
    return {module: imported_modules(module, is_package, path.read_text(encoding="utf-8"),
                                     known, package.name)
            for module, (path, is_package) in files.items()}


# --------------------------------------------------------------------------- finding cycles

def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components that hold a cycle: two or more modules that reach
    each other, or one module that imports itself (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:  # v is the first node of its component that the walk reached
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def a_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One import cycle through the component, as a path that ends where it starts."""
    start = min(component)
    paths = {start: [start]}
    todo = [start]
    while todo:  # breadth first, so the cycle shown is a shortest one back to start
        v = todo.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                todo.append(w)
    raise AssertionError(f"no cycle through {start} in {component}")


def without_allowed(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {v: {w for w in ws if (v, w) not in ALLOWED_EDGES} for v, ws in graph.items()}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE)


# --------------------------------------------------------------------------- the package

def test_no_import_cycle_outside_the_engine_core(graph):
    g = without_allowed(graph)
    bad = [" -> ".join(a_cycle(g, c)) for c in cycles(g) if not c <= ENGINE_CORE]
    assert not bad, "import cycles outside engine/ops/autograd:\n  " + "\n  ".join(bad)


def test_each_layer_imports_only_from_the_layers_below(graph):
    bad = [f"{v} ({layer_of(v)}) imports {w} ({layer_of(w)})"
           for v, ws in sorted(without_allowed(graph).items()) for w in sorted(ws)
           if layer_of(w) not in MAY_IMPORT[layer_of(v)]]
    assert not bad, "imports against the layering:\n  " + "\n  ".join(bad)


def test_every_module_has_a_layer(graph):
    for module in graph:
        assert layer_of(module) in LAYERS  # a new top-level module must be given a layer


def test_allow_list_is_not_stale(graph):
    for v, w in ALLOWED_EDGES:
        assert w in graph.get(v, set()), f"{v} no longer imports {w}: remove it from ALLOWED_EDGES"


def test_the_graph_sees_the_imports_it_must_see(graph):
    """Guards the parser: a top-level, a relative `from . import module`, a lazy import
    inside a function, and the engine core's own cycle."""
    assert "micrograd.engine" in graph["micrograd.creation"]
    assert {"micrograd.data", "micrograd.optim"} <= graph["micrograd.lab.demo"]
    assert "micrograd.nn.serialization" in graph["micrograd.nn.module"]  # inside Module.save
    assert ENGINE_CORE in cycles(without_allowed(graph))


# --------------------------------------------------------------------------- public paths

# The PyTorch-shaped paths the toolkit promises, wherever its files move inside a folder.
PUBLIC = {
    "micrograd.optim": ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "clip_grad_norm_",
                        "clip_grad_norm", "OptimizerError"],
    "micrograd.data": ["circles", "moons", "spirals", "digits", "load_mnist", "read_idx",
                       "split", "Split", "batches", "check_xy", "DataError"],
    "micrograd.train": ["fit", "evaluate", "History", "DivergenceError"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_the_toolkit_keeps_its_public_paths(module):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in PUBLIC[module]:
        obj = getattr(mod, name)
        # A function or class: not a submodule left in its place by a missing re-export.
        assert inspect.isfunction(obj) or inspect.isclass(obj), f"{module}.{name} is {obj!r}"
        assert obj.__module__.startswith("micrograd."), obj


def test_the_top_level_names_are_the_toolkits_own():
    import micrograd
    from micrograd import data, optim, train

    assert micrograd.fit is train.fit
    assert micrograd.optim is optim and micrograd.data is data


def test_the_version_comes_from_the_package_metadata(monkeypatch):
    from micrograd import _version

    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE)
    assert declared, "pyproject.toml has no version line"
    # Fails when the installed metadata is older than pyproject: reinstall (pip install -e .).
    assert _version.__version__ == declared.group(1)

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    try:
        assert importlib.reload(_version).__version__ == "0+unknown"
    finally:
        monkeypatch.undo()
        importlib.reload(_version)


# --------------------------------------------------------------------------- the checker itself

def test_cycles_on_hand_made_graphs():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"a"}}) == [{"a"}]
    found = cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "a"}})
    assert sorted(map(sorted, found)) == [["a", "b"], ["c", "d"]]
    assert a_cycle({"a": {"b"}, "b": {"c", "a"}, "c": {"a"}}, {"a", "b", "c"}) == ["a", "b", "a"]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "pkg"


def test_a_planted_cycle_through_a_lazy_relative_import_is_found(tmp_path):
    package = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "from .b import thing\n",
        "pkg/a.py": """
            def late():
                from .sub import b
                return b
        """,
        "pkg/sub/b.py": "from ..a import late\nthing = 1\n",
        "pkg/c.py": "import pkg.a\nfrom pkg.sub.b import thing\n",
    })
    g = import_graph(package)
    assert g["pkg.a"] == {"pkg.sub.b"}  # `from .sub import b`: b is a module
    assert g["pkg.sub"] == {"pkg.sub.b"}
    assert g["pkg.c"] == {"pkg.a", "pkg.sub.b"}
    assert cycles(g) == [{"pkg.a", "pkg.sub.b"}]


def test_type_checking_imports_are_not_edges(tmp_path):
    package = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from .b import f\n",
        "pkg/b.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from .a import Thing
            else:
                from . import c
            def f(x: "Thing"): ...
        """,
        "pkg/c.py": "",
    })
    g = import_graph(package)
    assert g["pkg.b"] == {"pkg.c"}
    assert cycles(g) == []


def test_an_import_of_a_missing_module_fails(tmp_path):
    package = _write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from .gone import x\n"})
    with pytest.raises(AssertionError, match="pkg.gone, which has no file"):
        import_graph(package)
