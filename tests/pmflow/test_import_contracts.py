"""The floors of the import graph (pyproject.toml's import-linter contracts, docs/architecture.md)
hold on the tree, and the checker really catches an import across a floor: a scratch copy of the
three packages with one upward import added fails the same contracts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("pmflow", "projects", "milestones")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


def _scratch_tree(tmp_path: Path) -> Path:
    """The three packages' Python files and the contracts, copied to a folder of their own."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda _dir, names: [n for n in names if n == "__pycache__" or not (n.endswith(".py") or "." not in n)],
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_import_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("scratch_module", "source", "contract"),
    [
        (
            "projects/scratch_upward.py",
            "from milestones.models import Milestone  # noqa: F401\n",
            "projects never imports milestones",
        ),
        ("pmflow/scratch_upward.py", "import projects.models  # noqa: F401\n", "The pmflow core imports no app"),
        ("milestones/scratch_upward.py", "from pmflow import urls  # noqa: F401\n", "Nothing imports the composition root"),
        # An import inside a function body crosses the floor just the same.
        (
            "pmflow/scratch_lazy.py",
            "def f():\n    from milestones import models\n    return models\n",
            "The pmflow core imports no app",
        ),
    ],
)
def test_an_import_across_a_floor_is_caught(tmp_path: Path, scratch_module: str, source: str, contract: str) -> None:
    tree = _scratch_tree(tmp_path)
    (tree / scratch_module).write_text(source)
    result = _lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract}" in result.stdout
    assert scratch_module.removesuffix(".py").replace("/", ".") in result.stdout


def _import_cycles() -> list[list[str]]:
    """Strongly connected components of more than one module in the three packages' import graph
    (imports inside function bodies included), by Tarjan's algorithm over grimp's graph."""
    import grimp

    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles() -> None:
    assert _import_cycles() == []
