"""The oracles stay below the checks: they import only the client layer, the requirements and the
profile (never the reference server, pytest, the checks or the fuzzing)."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance.oracles

ALLOWED = ("conformance.client", "conformance.oracles", "conformance.requirements", "conformance.profile")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_oracles_import_only_the_client_the_requirements_and_the_profile():
    package = Path(conformance.oracles.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 5
    for path in modules:
        for name in _imports(path):
            top = name.split(".")[0]
            assert top != "pytest" and top != "hypothesis", f"{path.name} imports {name}"
            if top == "conformance":
                assert name.startswith(ALLOWED), f"{path.name} imports {name}"


def test_the_fuzzing_imports_the_oracles_not_the_checks():
    package = Path(conformance.oracles.__file__).parent.parent / "fuzz"
    for path in sorted(package.glob("*.py")):
        crossing = [name for name in _imports(path) if name.startswith(("conformance.suite", "conformance.server"))]
        assert not crossing, f"{path.name} imports {crossing}"
