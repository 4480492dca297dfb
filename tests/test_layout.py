"""The package's layout: layers that import only downwards, no import circles,
strategies that describe themselves, a public surface that says what it is."""

import ast
import importlib
import pathlib

import pytest

import nogilkit
from nogilkit.strategies import FAMILIES, STRATEGIES, WITH_START_METHOD

PACKAGE = pathlib.Path(nogilkit.__file__).parent

# Lowest first. A module may import its own layer and those below it, never
# one above: kernels <- workloads <- strategies <- harness <- report <- the
# programs that drive them <- the command line. Runtime facts, validation,
# text and measurement primitives sit below everything. The first prefix
# that matches a module names its layer.
LAYERS = [
    ("foundation", ["nogilkit._version", "nogilkit._ext", "nogilkit._validation",
                    "nogilkit._runtime", "nogilkit._text", "nogilkit._measure",
                    "nogilkit._stats", "nogilkit._control", "nogilkit._provenance",
                    "nogilkit._simd",
                    "nogilkit._workload"]),
    ("kernels", ["nogilkit.kernels", "nogilkit.reference", "nogilkit.vectorized",
                 "nogilkit.net"]),
    ("workloads", ["nogilkit.workloads"]),
    ("strategies", ["nogilkit.strategies"]),
    ("harness", ["nogilkit.engine.harness"]),
    ("report", ["nogilkit.engine.report"]),
    ("programs", ["nogilkit.engine", "nogilkit._probe", "nogilkit.demos", "nogilkit.mixed",
                  "nogilkit.overhead"]),
    ("cli", ["nogilkit.cli", "nogilkit.__main__", "nogilkit"]),
]


def layer(module):
    for number, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return number
    raise AssertionError(f"{module} is in no layer of tests/test_layout.py: add it")


def modules():
    """{dotted name: source path} of every Python module of the installed package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["nogilkit", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name, path, known):
    """The package's modules that ``name`` imports, at module level or inside a function."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = package[:len(package) - node.level + 1]
                base = ".".join(prefix + ([node.module] if node.module else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            parts = candidate.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()  # an attribute of a module, not a module
            target = ".".join(parts)
            # A package's own submodules import it on the way: not a dependency.
            if target and target != name and not name.startswith(target + "."):
                targets.add(target)
    return targets


def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_the_package():
    edges = graph()
    assert len(edges) > 40
    assert "nogilkit.kernels._pool" in edges["nogilkit.kernels._mandelbrot"]
    assert "nogilkit.workloads" in edges["nogilkit.strategies.base"]


def test_no_import_circles():
    assert cycles(graph()) == []


def test_cycles_are_found():
    # The checker itself: a planted circle is reported.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_import_goes_down_the_layers():
    upward = [f"{a} ({LAYERS[layer(a)][0]}) imports {b} ({LAYERS[layer(b)][0]})"
              for a, targets in sorted(graph().items()) for b in sorted(targets)
              if layer(b) > layer(a)]
    assert upward == []


@pytest.mark.parametrize("name", [*STRATEGIES, *WITH_START_METHOD])
def test_every_strategy_describes_itself(name):
    strategy = STRATEGIES.get(name) or WITH_START_METHOD[name]
    assert strategy.name == name and strategy.summary
    assert strategy.family in FAMILIES
    style, marker = strategy.plot_style
    assert style in ("-", "--", "-.", ":") and isinstance(marker, str) and marker
    assert strategy.phrase is None or strategy.phrase.format(workers=2)
    assert isinstance(strategy.note("python", 1.0, True), str)


def test_strategies_are_told_apart_in_the_plot():
    styles = [s.plot_style for s in STRATEGIES.values() if s.name != "serial"]
    assert len(set(styles)) == len(styles)


def public_modules():
    """Modules without a leading underscore in any part of their name."""
    return sorted(name for name in modules() if name != "nogilkit.__main__"
                  and not any(part.startswith("_") for part in name.split(".")))


def test_public_modules_are_few():
    assert 20 <= len(public_modules()) <= 35


@pytest.mark.parametrize("module", public_modules())
def test_public_modules_say_what_they_export(module):
    imported = importlib.import_module(module)
    if module in ("nogilkit.engine", "nogilkit.net"):  # packages of modules, nothing of their own
        return
    assert imported.__all__, module
    for name in imported.__all__:
        assert hasattr(imported, name), f"{module}.__all__ names {name}, which it lacks"


def test_every_family_is_exported_and_gathered():
    from nogilkit import reference, vectorized
    from nogilkit.kernels import FAMILIES as KERNEL_FAMILIES
    from nogilkit.workloads import WORKLOADS

    for family in KERNEL_FAMILIES:
        for kernel in family.kernels:
            assert getattr(nogilkit, kernel.__name__) is kernel
            assert kernel.__name__ in nogilkit.__all__
        assert WORKLOADS[family.workload.name] is family.workload
        for name, function in family.references.items():
            assert getattr(reference, name) is function
        for name, function in family.numpy.items():
            assert getattr(vectorized, name) is function
        assert family.benchmarks, f"{family.name} declares no asv benchmark"
