"""Imports point down only: callstream is the ground floor, the services stand on it, the CLI
and devkit above them; no runtime package imports what only the workshop installs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("callstream", "ingress", "streams", "injector", "console", "callstream_cli")
SERVICES = ("ingress", "streams", "injector", "console")

# What each package may import from this repository, besides itself.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "callstream": frozenset(),
    **{service: frozenset({"callstream"}) for service in SERVICES},
    "callstream_cli": frozenset({"callstream", *SERVICES, "devkit"}),
    "devkit": frozenset({"callstream", *SERVICES}),
}
OURS = frozenset({*MAY_IMPORT, "bench", "tests", "tools"})

# Distributions only devkit, the tests or the benchmark install: the runtime never imports them.
WORKSHOP_ONLY = frozenset(
    {"psutil", "telnyx", "pytest", "testcontainers", "docker", "matplotlib", "playwright"}
)

# The one sanctioned way up: the CLI adds devkit's commands only where devkit is installed.
OPTIONAL = {("callstream_cli", "devkit")}


def imports(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """(line, top-level name) of every import in ``path``, lazy ones included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the same package
                yield node.lineno, package
            elif node.module:
                yield node.lineno, node.module.split(".")[0]


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", list(MAY_IMPORT))
def test_imports_point_down(package: str) -> None:
    """No module imports a package above it (callstream/ imports no service, CLI or devkit)."""
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(package)
        for line, name in imports(path, package)
        if name in OURS and name != package and name not in MAY_IMPORT[package]
    ]
    assert not upward, upward


@pytest.mark.parametrize("package", RUNTIME)
def test_runtime_packages_need_nothing_from_the_workshop(package: str) -> None:
    """The packages the wheel ships import no devkit-only distribution (psutil, telnyx, ...)."""
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(package)
        for line, name in imports(path, package)
        if name in WORKSHOP_ONLY or (name == "devkit" and (package, name) not in OPTIONAL)
    ]
    assert not found, found


def test_the_walk_sees_an_upward_import(tmp_path: Path) -> None:
    """The walk reads lazy and plain imports alike (so the checks above can fail)."""
    module = tmp_path / "m.py"
    module.write_text(
        "import os\n\ndef f():\n    from devkit.emulator import x\n    import ingress\n"
    )
    assert [name for _, name in imports(module, "callstream")] == ["os", "devkit", "ingress"]
