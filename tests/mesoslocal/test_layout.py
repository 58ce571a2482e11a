"""mesoslocal's import rules (mesoslocal/__init__.py), read from the source: wire imports nothing else of
mesoslocal, master and agent import only wire and themselves, nothing imports another package of this repository,
and no module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mesoslocal"
ALLOWED = {"wire": {"wire"}, "master": {"wire", "master"}, "agent": {"wire", "agent"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (also under TYPE_CHECKING and inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from mesoslocal.agent import fetcher` names a module
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists()
                names.add(candidate if is_module else node.module)
    return names


def graph() -> dict[str, set[str]]:
    return {module_name(path): {name for name in imported(path) if name.split(".")[0] == "mesoslocal"}
            for path in PACKAGE.rglob("*.py")}


def test_subpackages_import_only_what_they_may() -> None:
    wrong = []
    for module, targets in graph().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] not in ALLOWED:
            continue
        for target in targets:
            target_parts = target.split(".")
            if len(target_parts) < 2 or target_parts[1] not in ALLOWED[parts[1]]:
                wrong.append(f"{module} imports {target}")
    assert not wrong


def test_no_other_package_of_the_repository() -> None:
    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - {"mesoslocal"}
    wrong = [f"{module_name(path)} imports {name}" for path in PACKAGE.rglob("*.py") for name in imported(path)
             if name.split(".")[0] in ours]
    assert not wrong


def test_no_import_cycles() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module):] + [module]))
        if module in done:
            return
        for target in sorted(edges.get(module, ())):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
