"""Lock order: every service that locks rows of one project takes them project → milestones (by id) →
gate reviews (by id) → anything else, so two of them on one project queue on the project row and
cannot deadlock.

Two checks: (1) a change-request apply and a gate decision on the same project, in two real threads
with their own connections, many rounds, PostgreSQL's ``deadlock_timeout`` as configured: both
finish (the apply may lose cleanly with Conflict when the decision terminated the project first),
never a deadlock, never a half-applied change; (2) the order itself, read from the ``SELECT … FOR
UPDATE`` statements each path sends (recorded with a connection ``execute_wrapper``).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
from django.db import close_old_connections, connection

from milestones.models import (
    ChangeKind,
    ChangeRequest,
    ChangeState,
    GateDecision,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    ReviewerAssignment,
)
from milestones.services.changes import (
    change_request_apply,
    change_request_approve,
    change_request_create,
    change_request_submit,
)
from milestones.services.decisions import gate_decide
from milestones.services.gates import gate_open
from milestones.services.milestones import milestone_start, milestone_submit
from milestones.services.tranches import tranche_release
from pmflow.errors import Conflict
from pmflow.workdays import next_workday
from projects.models import Project, ProjectState
from tests.milestones.conftest import Cast, assign_and_open, later, project_in, review

ROUNDS = 16


# --- set-up -----------------------------------------------------------------------------------------
def scene(cast: Cast, *, rec: str = "kill", open_gate: bool = True) -> dict[str, Any]:
    """An active project with M1 in review (its gate open, three reviewers recommending ``rec``), M2
    and M3 planned, and an approved reschedule of M2 (M3 shifts with it)."""
    today = dt.date.today()
    project = project_in(cast, "active", planned_start=today - dt.timedelta(days=60), planned_end=later(500))
    dues = [next_workday(later(d)) for d in (40, 120, 200)]
    ms = [
        Milestone.objects.create(
            project=project, sequence=i, title=f"M{i}", baseline_due=due, current_due=due, tranche_amount=1_000_000
        )
        for i, due in enumerate(dues, start=1)
    ]
    milestone_start(actor=cast.pm_member, milestone_id=ms[0].pk)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=ms[0].pk, committee_id=cast.committee.pk)
    if open_gate:
        gate = assign_and_open(cast, gate, reviewers=3)
        for reviewer in cast.reviewers[:3]:
            review(gate, reviewer, rec=rec)
    new_due = next_workday(dues[1] + dt.timedelta(days=7))
    cr = change_request_create(
        actor=cast.pm_member,
        project_id=project.pk,
        kind=ChangeKind.RESCHEDULE,
        milestone_id=ms[1].pk,
        payload={"new_due": new_due.isoformat()},
        reason="样机延期",
    )
    change_request_submit(actor=cast.pm_member, change_request_id=cr.pk)
    change_request_approve(actor=cast.chair, change_request_id=cr.pk, note="同意")
    return {"project": project, "milestones": ms, "gate": gate, "cr": cr, "new_due": new_due}


# --- 1. two threads, many rounds --------------------------------------------------------------------
def race(**calls) -> dict[str, Any]:
    """Run each call in its own thread (own connection), released together; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, Any] = {}

    def run(name: str, call) -> None:
        try:
            barrier.wait(timeout=30)
            results[name] = call()
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    close_old_connections()
    return results


@pytest.mark.django_db(transaction=True)
def test_apply_and_gate_decision_on_one_project_at_once_never_deadlock(cast):
    failures: list[str] = []
    for round_no in range(ROUNDS):
        s = scene(cast)
        # even rounds: the chair kills (a termination request is opened, the project stays active);
        # odd rounds: an admin kills (the project is terminated in the same transaction).
        decider = cast.chair if round_no % 2 == 0 else cast.admin
        gate_due_before = GateReview.objects.get(pk=s["gate"].pk).due_date
        m2_due_before = Milestone.objects.get(pk=s["milestones"][1].pk).current_due
        results = race(
            apply=partial(change_request_apply, actor=cast.admin, change_request_id=s["cr"].pk),
            decide=partial(gate_decide, actor=decider, gate_id=s["gate"].pk, outcome="kill", rationale="终止"),
        )

        decided = results.get("decide")
        applied = results.get("apply")
        if not isinstance(decided, GateDecision):
            failures.append(f"round {round_no}: decide → {decided!r}")
        if isinstance(applied, ChangeRequest):
            pass
        elif isinstance(applied, Conflict) and decider == cast.admin:
            # lost to the termination: the project was terminated before the apply locked it
            assert Project.objects.get(pk=s["project"].pk).status == ProjectState.TERMINATED
        else:
            failures.append(f"round {round_no}: apply → {applied!r}")
            continue

        # all or nothing on both sides
        cr = ChangeRequest.objects.get(pk=s["cr"].pk)
        m2 = Milestone.objects.get(pk=s["milestones"][1].pk)
        gate = GateReview.objects.get(pk=s["gate"].pk)
        assert GateDecision.objects.filter(gate=gate).count() == (1 if isinstance(decided, GateDecision) else 0)
        if isinstance(decided, GateDecision):
            assert gate.status == GateState.DECIDED
            assert Milestone.objects.get(pk=s["milestones"][0].pk).status == MilestoneState.FAILED
        if isinstance(applied, ChangeRequest):
            assert cr.status == ChangeState.APPLIED
            assert m2.current_due == s["new_due"]
            gate_moved = f"gatereview:{gate.pk}" in (cr.after or {})
            # the gate moved iff the apply came first (an open gate); a decided gate keeps its date
            assert (gate.due_date != gate_due_before) == gate_moved
        else:
            assert cr.status == ChangeState.APPROVED
            assert m2.current_due == m2_due_before
            assert gate.due_date == gate_due_before
    assert not failures, failures


# --- 2. the order itself ----------------------------------------------------------------------------
RANK = {
    Project._meta.db_table: 0,
    Milestone._meta.db_table: 1,
    GateReview._meta.db_table: 2,
}
NAMES = {0: "project", 1: "milestone", 2: "gatereview"}


def _locked_tables(sql: str) -> list[str]:
    """Tables whose rows a ``SELECT … FOR UPDATE`` statement locks (all joined tables without OF)."""
    of = re.search(r"FOR (?:NO KEY )?UPDATE OF (.+?)(?: NOWAIT| SKIP LOCKED)?$", sql)
    if of:
        return re.findall(r'"(\w+)"', of.group(1))
    main = re.search(r'\bFROM "(\w+)"', sql)
    joins = re.findall(r'\bINNER JOIN "(\w+)"', sql)
    return ([main.group(1)] if main else []) + joins


@contextmanager
def lock_log():
    log: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if "FOR UPDATE" in sql or "FOR NO KEY UPDATE" in sql:
            log.extend(_locked_tables(sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield log


def assert_ordered(log: list[str]) -> None:
    """The first lock taken on each table follows project → milestone → gate review → anything else."""
    firsts: list[str] = []
    for table in log:
        if table not in firsts:
            firsts.append(table)
    ranks = [RANK.get(t, 3) for t in firsts]
    assert ranks == sorted(ranks), f"lock order {[NAMES.get(RANK.get(t, 3), t) for t in firsts]} ({firsts})"


@pytest.mark.django_db
def test_change_request_apply_locks_project_then_milestones_then_gates(cast):
    s = scene(cast)
    with lock_log() as log:
        change_request_apply(actor=cast.admin, change_request_id=s["cr"].pk)
    assert Project._meta.db_table in log and GateReview._meta.db_table in log and Milestone._meta.db_table in log
    assert log[0] == Project._meta.db_table
    assert_ordered(log)
    assert ChangeRequest._meta.db_table in log  # the request itself is locked, after the gates


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["chair", "admin"])
def test_gate_kill_locks_project_then_milestone_then_gate(cast, who):
    s = scene(cast)
    with lock_log() as log:
        gate_decide(actor=getattr(cast, who), gate_id=s["gate"].pk, outcome="kill", rationale="终止")
    assert log[0] == Project._meta.db_table
    assert Milestone._meta.db_table in log and GateReview._meta.db_table in log
    assert_ordered(log)
    if who == "admin":
        assert Project.objects.get(pk=s["project"].pk).status == ProjectState.TERMINATED
    else:
        assert ChangeRequest.objects.filter(project=s["project"], kind=ChangeKind.TERMINATE).count() == 1


@pytest.mark.django_db
def test_gate_go_and_tranche_release_lock_project_first(cast):
    s = scene(cast, rec="go")
    with lock_log() as log:
        gate_decide(actor=cast.chair, gate_id=s["gate"].pk, outcome="go")
    assert log[0] == Project._meta.db_table
    assert_ordered(log)
    with lock_log() as log:
        tranche_release(actor=cast.admin, milestone_id=s["milestones"][0].pk)
    assert log[:2] == [Project._meta.db_table, Milestone._meta.db_table]
    assert_ordered(log)


@pytest.mark.django_db
def test_gate_open_locks_project_then_milestone_then_gate(cast):
    s = scene(cast, open_gate=False)
    with lock_log() as log:
        gate_open(actor=cast.chair, gate_id=s["gate"].pk)
    assert Milestone.objects.get(pk=s["milestones"][0].pk).status == MilestoneState.IN_REVIEW
    assert log[0] == Project._meta.db_table
    assert_ordered(log)


@pytest.mark.django_db
def test_reviewer_declaration_and_scorecard_lock_the_gate_before_the_assignment(cast):
    s = scene(cast, open_gate=False)
    gate = assign_and_open(cast, s["gate"], reviewers=1)
    with lock_log() as log:
        review(gate, cast.reviewers[0], rec="go")
    assert log[0] == GateReview._meta.db_table
    assert ReviewerAssignment._meta.db_table in log
    assert_ordered(log)


@pytest.mark.django_db
def test_milestone_start_and_submit_lock_the_project_then_the_milestone_alone(cast):
    s = scene(cast, open_gate=False)
    m2 = s["milestones"][1]
    with lock_log() as log:
        milestone_start(actor=cast.pm_member, milestone_id=m2.pk)
    assert log[:2] == [Project._meta.db_table, Milestone._meta.db_table]
    assert_ordered(log)
    with lock_log() as log:
        milestone_submit(actor=cast.pm_member, milestone_id=m2.pk, committee_id=cast.committee.pk)
    assert log[:2] == [Project._meta.db_table, Milestone._meta.db_table]
    assert_ordered(log)
