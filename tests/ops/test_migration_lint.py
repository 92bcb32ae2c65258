"""The migration linter (run by .ci/run) flags the operations that break the previous release's
code and accepts the expand-phase ones; the current tree passes against its baseline."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState

from pmflow.ops.migration_lint import baseline_read, migrations_lint, operation_problems


@pytest.fixture
def state() -> ProjectState:
    project_state = ProjectState()
    project_state.add_model(
        ModelState(
            "app",
            "Thing",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=100)),
                ("note", models.TextField(null=True)),
            ],
        )
    )
    return project_state


@pytest.mark.parametrize(
    ("operation", "problem"),
    [
        (migrations.RemoveField("thing", "note"), "removes thing.note"),
        (migrations.RenameField("thing", "name", "title"), "renames thing.name to title"),
        (migrations.RenameModel("Thing", "Item"), "renames model Thing to Item"),
        (migrations.DeleteModel("Thing"), "deletes model Thing"),
        (migrations.AlterField("thing", "note", models.TextField()), "makes thing.note NOT NULL"),
        (migrations.AlterField("thing", "name", models.IntegerField()), "changes the column type of thing.name"),
        (migrations.AddField("thing", "size", models.IntegerField(default=0)), "adds NOT NULL thing.size without db_default"),
    ],
)
def test_backward_incompatible_operations_are_flagged(state, operation, problem):
    problems = operation_problems("app", operation, state)
    assert problems and problem in problems[0]


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("thing", "size", models.IntegerField(null=True)),
        migrations.AddField("thing", "size", models.IntegerField(db_default=0)),
        migrations.AlterField("thing", "name", models.CharField(max_length=200)),  # widened
        migrations.AlterField("thing", "note", models.TextField(null=True, blank=True)),
        migrations.AddIndex("thing", models.Index(fields=["name"], name="thing_name_idx")),
    ],
)
def test_expand_phase_operations_pass(state, operation):
    assert operation_problems("app", operation, state) == []


def test_the_current_migrations_pass_against_the_baseline():
    out = io.StringIO()
    call_command("lint_migrations", stdout=out)
    assert "no backward-incompatible operation" in out.getvalue()


def test_a_migration_after_the_baseline_that_adds_a_not_null_column_to_an_existing_model_is_named():
    baseline = baseline_read() - {("projects", "0004_policy_award_items")}
    findings = [str(f) for f in migrations_lint(baseline=baseline)]
    assert any(
        f.startswith("projects.0004_policy_award_items: AddField: adds NOT NULL fundingaward.decision_date") for f in findings
    )
