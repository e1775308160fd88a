"""The package's import graph, read from the source: no cycle, and the light modules stay light."""

import ast
from pathlib import Path

import projnet

PACKAGE = Path(projnet.__file__).parent
HEAVY = ("tensorflow", "keras", "tf_keras", "tensorflow_model_optimization")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every module a file imports, at top level or inside a function (a lazy import is still an edge).

    `from package import submodule` is an edge to the submodule; the package's own __init__ is not
    counted as its submodules' dependency (Python runs it first for any of them, by design). The one
    exception: a package's PEP 562 `__getattr__` (projnet.train_and_export and the rest of the API)
    runs on first attribute access, after the package has loaded, so its imports are no edge of
    `import projnet`; tests/test_python_api.py checks in a fresh process that it loads no TensorFlow.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy = set()
    if path.name == "__init__.py":
        for function in tree.body:
            if isinstance(function, ast.FunctionDef) and function.name == "__getattr__":
                lazy |= {id(node) for node in ast.walk(function)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in lazy:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            submodules = names & modules
            found |= submodules
            if submodules != names:  # names defined in the module itself
                found.add(node.module)
    return found


def graph() -> dict[str, set[str]]:
    """module -> the projnet modules and the heavy third-party modules it imports."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in files.items():
        found = imports_of(path, set(files))
        edges[name] = {m for m in found if m in files and m != name} | {m for m in found if m.split(".")[0] in HEAVY}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return []

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_find_cycle_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle():
    edges = graph()
    assert len(edges) > 50  # the walk saw the package, not an empty folder
    assert find_cycle(edges) == []


def test_device_bench_and_the_registry_never_import_tensorflow_or_keras():
    edges = graph()
    light = ["projnet", "projnet.registry", "projnet.config", "projnet.errors"]
    light += [m for m in edges if m.startswith("projnet.device_bench")]
    for module in light:
        heavy = sorted(m for m in reachable(edges, module) if m.split(".")[0] in HEAVY)
        assert heavy == [], f"{module} reaches {heavy}"
