"""Imports run one way (DESIGN.md): each module of ``ree_assets`` imports only from the parts after
its own in ``ORDER``, or from its own part, and no modules import each other in a circle. Every
import counts, at module level or inside a function (a deferred import is still a dependency)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ree_assets"
#: The parts of the package, first to last: a module imports only from its own part or a later one.
#: ``services`` (clients of outside services, the patent classifier's LLM) sits with ``sources``,
#: ``instance`` (which Dagster instance the commands use) with ``errors`` and ``run_log``.
ORDER = (
    ("cli",),
    ("definitions",),
    ("defs",),
    ("storage",),
    ("expectations",),
    ("replication_report", "dbt_docs"),
    ("reporting",),
    ("figures",),
    ("labels",),
    ("sources", "services"),
    ("core",),
    ("errors", "run_log", "instance"),
)
RANK = {part: rank for rank, parts in enumerate(ORDER) for part in parts}


def module_name(path: Path, package: Path) -> str:
    """``ree_assets.defs.sources`` for ``<package>/defs/sources.py`` (a package: its ``__init__``)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, package: Path, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the file at ``path`` imports, anywhere in it: ``import a.b``,
    ``from a.b import c`` (``a.b.c`` when that is a module), relative imports resolved."""
    name = module_name(path, package)
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1]) if node.level else ""
            source = ".".join(p for p in (base, node.module or "") if p)
            found |= {source} | {f"{source}.{alias.name}" for alias in node.names}
    return {module for module in found if module in modules and module != name}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, for every module of ``package``."""
    paths = {module_name(path, package): path for path in sorted(package.rglob("*.py"))}
    del paths[package.name]  # the package's own __init__: what every import of its modules runs first
    return {module: imported_modules(path, package, set(paths)) for module, path in paths.items()}


def part(module: str) -> str:
    """The part of the package a module belongs to: ``defs`` for ``ree_assets.defs.sources``."""
    return module.split(".")[1] if "." in module else ""


def against_the_order(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module from its own part's level or an earlier one (a part of its own
    level is not after it), and every module whose part ``ORDER`` does not place."""
    wrong = [f"{module} is in no part of the order" for module in sorted(graph) if part(module) not in RANK]
    for module, imports in sorted(graph.items()):
        for target in sorted(imports):
            mine, theirs = part(module), part(target)
            if mine != theirs and mine in RANK and theirs in RANK and RANK[theirs] <= RANK[mine]:
                wrong.append(f"{module} imports {target} ({theirs} is not after {mine})")
    return wrong


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: each set of modules that reach one another (Tarjan's strongly connected
    components of more than one module), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def test_every_import_of_the_package_follows_the_order():
    graph = import_graph()
    assert len(graph) > 50 and graph["ree_assets.definitions"], "the package's modules were not found"
    assert against_the_order(graph) == []


def test_the_package_has_no_import_circle():
    assert circles(import_graph()) == []


def test_an_import_against_the_order_is_found_even_inside_a_function(tmp_path):
    package = tmp_path / "ree_assets"
    for folder in ("core", "defs"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "defs" / "a.py").write_text("from ree_assets.core import b\nfrom . import c\n")
    (package / "defs" / "c.py").write_text("import ree_assets.defs.a\n")
    (package / "core" / "b.py").write_text("from ..errors import X\n\ndef f():\n    from ree_assets.defs import a\n")
    (package / "stray.py").write_text("")
    graph = import_graph(package)
    assert graph["ree_assets.core.b"] == {"ree_assets.errors", "ree_assets.defs", "ree_assets.defs.a"}
    assert against_the_order(graph) == [
        "ree_assets.stray is in no part of the order",
        "ree_assets.core.b imports ree_assets.defs (defs is not after core)",
        "ree_assets.core.b imports ree_assets.defs.a (defs is not after core)",
    ]
    assert circles(graph) == [["ree_assets.core.b", "ree_assets.defs.a", "ree_assets.defs.c"]]  # all through a
    del graph["ree_assets.core.b"]
    assert circles(graph) == [["ree_assets.defs.a", "ree_assets.defs.c"]]  # within one part, still a circle
