"""A migration linter: operations that break the code still serving while a migration runs.

pmflow upgrades by **expand / contract** (docs/operations.md): a release's migrations must leave the
previous release's code working, so during a rolling upgrade old web and worker processes keep
serving on the new schema. This checker flags, in every migration not listed in the baseline file
(the migrations that existed when the linter was introduced), the operations that break old code:

* ``RemoveField``, ``DeleteModel`` — old code still reads and writes them;
* ``RenameField``, ``RenameModel``, ``AlterModelTable`` — old code uses the old name;
* ``AddField`` of a NOT NULL column without a database default (``db_default``) — old code's
  INSERTs leave it out and fail;
* ``AlterField`` that makes a nullable column NOT NULL (old code may still write NULL), or changes
  the column type or its ``db_column``.

A contract-phase migration (the release *after* the code stopped using a column) says so with a
class attribute ``contract = "why this is safe now"``; the linter then accepts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models import NOT_PROVIDED

BASELINE = Path(__file__).resolve().parent.parent.parent / ".ci" / "migrations-baseline.txt"


@dataclass(frozen=True)
class Finding:
    migration: str
    operation: str
    problem: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.problem}"


def _field_type(field) -> str:
    """The column type (a relation: its field class; its column follows the target's key)."""
    if field.is_relation:
        return field.deconstruct()[1]
    return field.db_type(connection) or type(field).__name__


def _widened(old: str, new: str) -> bool:
    """varchar(n) → varchar(m ≥ n): old values and old writes still fit."""
    before, after = _VARCHAR.fullmatch(old), _VARCHAR.fullmatch(new)
    return bool(before and after and int(after.group(1)) >= int(before.group(1)))


_VARCHAR = re.compile(r"varchar\((\d+)\)")


def operation_problems(app_label: str, operation: migrations.operations.base.Operation, state: ProjectState) -> list[str]:
    """What in ``operation`` breaks the previous release's code; ``state`` is the project state
    just before the operation."""
    ops = migrations
    if isinstance(operation, ops.RemoveField):
        return [f"removes {operation.model_name}.{operation.name} (old code still uses it; remove it in a contract release)"]
    if isinstance(operation, ops.DeleteModel):
        return [f"deletes model {operation.name} (old code still uses it)"]
    if isinstance(operation, ops.RenameField):
        return [f"renames {operation.model_name}.{operation.old_name} to {operation.new_name} (add a new field and copy instead)"]
    if isinstance(operation, ops.RenameModel):
        return [f"renames model {operation.old_name} to {operation.new_name}"]
    if isinstance(operation, ops.AlterModelTable):
        return [f"moves {operation.name} to table {operation.table}"]
    if isinstance(operation, ops.AddField):
        field = operation.field
        if (
            not field.null
            and getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED
            and not field.many_to_many
            and not field.primary_key
        ):
            return [
                f"adds NOT NULL {operation.model_name}.{operation.name} without db_default "
                "(old code's INSERTs fail; add it nullable or with db_default)"
            ]
    if isinstance(operation, ops.AlterField):
        model_key = (app_label, operation.model_name_lower)
        old_state = state.models.get(model_key)
        old = old_state.fields.get(operation.name) if old_state else None
        new = operation.field
        if old is not None:
            problems = []
            if old.null and not new.null:
                problems.append(f"makes {operation.model_name}.{operation.name} NOT NULL (old code may still write NULL)")
            if _field_type(old) != _field_type(new) and not _widened(_field_type(old), _field_type(new)):
                problems.append(
                    f"changes the column type of {operation.model_name}.{operation.name}: {_field_type(old)} → {_field_type(new)}"
                )
            if old.db_column != new.db_column:
                problems.append(f"renames the column of {operation.model_name}.{operation.name}")
            return problems
    return []


def baseline_read(path: Path = BASELINE) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    lines = (line.strip() for line in path.read_text().splitlines())
    return {tuple(line.split(".", 1)) for line in lines if line and not line.startswith("#")}  # type: ignore[misc]


#: the packages whose migrations are ours to lint (third-party apps' upgrades are theirs)
FIRST_PARTY = ("pmflow", "projects", "milestones")


def _first_party(loader: MigrationLoader) -> list[tuple[str, str]]:
    """Our migrations on disk, in dependency order."""
    ordered: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            migration = loader.disk_migrations.get(node)
            if node in seen or migration is None:
                continue
            seen.add(node)
            if type(migration).__module__.split(".")[0] in FIRST_PARTY:
                ordered.append(node)
    return ordered


def migrations_lint(*, baseline: set[tuple[str, str]] | None = None) -> list[Finding]:
    """Findings for every first-party migration on disk that is not in the baseline."""
    baseline = baseline_read() if baseline is None else baseline
    loader = MigrationLoader(None, ignore_no_migrations=True)
    findings: list[Finding] = []
    created: set[tuple[str, str]] = set()
    for app_label, name in _first_party(loader):
        if (app_label, name) in baseline:
            continue
        migration = loader.disk_migrations[(app_label, name)]
        if getattr(migration, "contract", ""):
            continue
        state = loader.project_state((app_label, name), at_end=False)
        for operation in migration.operations:
            if isinstance(operation, migrations.CreateModel):
                created.add((app_label, operation.name_lower))
            model_name = getattr(operation, "model_name_lower", None)
            if model_name and (app_label, model_name) in created:
                operation.state_forwards(app_label, state)
                continue  # a model this release creates: no old code uses it yet
            for problem in operation_problems(app_label, operation, state):
                findings.append(Finding(f"{app_label}.{name}", type(operation).__name__, problem))
            operation.state_forwards(app_label, state)
    return findings


def baseline_write(path: Path = BASELINE) -> int:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = [f"{app}.{name}" for app, name in _first_party(loader)]
    header = "# Migrations that existed before the migration linter (pmflow/ops/migration_lint.py); not linted.\n"
    path.write_text(header + "\n".join(names) + "\n")
    return len(names)
