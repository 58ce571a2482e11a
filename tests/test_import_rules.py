"""CONTRIBUTING.md's import rules for the shared launchers: every face package may use them, so they import
nothing but the stdlib, and balalaika-lb never reaches into the CLI (or into framework) for them."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_top_levels(package: str) -> dict[str, set[str]]:
    """Top-level module names each file of `package` imports (relative imports are the package itself)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names.add(package if node.level else node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_launchers_import_only_the_stdlib() -> None:
    allowed = set(sys.stdlib_module_names) | {"launchers"}
    outside = {path: names - allowed for path, names in imported_top_levels("launchers").items()}
    assert not {path: names for path, names in outside.items() if names}


def test_lb_imports_neither_the_cli_nor_framework() -> None:
    offending = {path: names & {"cli", "framework"} for path, names in imported_top_levels("lb").items()}
    assert not {path: names for path, names in offending.items() if names}
