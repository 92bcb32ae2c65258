"""Applying a reschedule that moves a gate review's due date tells the people of that gate, in the
apply's transaction, through the outbox: the chair and every assigned reviewer who has not declared a
conflict, one row each per moved gate. Nothing for a recused reviewer, nothing when no gate moves,
nothing on preview, nothing more when the apply is refused the second time.

Dates as in test_reschedule_moves_gates: M1 Mon 2026-09-21 → Thu 09-24 is +3 working days; its gate
Wed 09-30 + 3 working days over National Day is Sat 10-10 (a make-up working day).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from milestones.models import GateReview, GateState, MilestoneState, ReviewerAssignment
from milestones.services.change_plans import RowWrite
from milestones.services.changes import _notify_gate_moves, change_request_apply, change_request_preview
from pmflow.errors import Conflict
from pmflow.models import Notification, NotificationKind, User
from tests.factories import GateReviewFactory, UserFactory
from tests.milestones.change_support import D, World, approved, set_state, world

pytestmark = pytest.mark.django_db

OLD, NEW = D(2026, 9, 30), D(2026, 10, 10)


def gate_on(w: World, sequence: int, due: dt.date, state: str = GateState.SCHEDULED) -> GateReview:
    gate = GateReviewFactory(project=w.project, kind="milestone", milestone=w.milestones[sequence - 1], due_date=due)
    GateReview.objects.filter(pk=gate.pk).update(status=state)
    return GateReview.objects.get(pk=gate.pk)


def assign(gate: GateReview, *, conflict: bool | None, active: bool = True) -> User:
    reviewer = UserFactory(is_active=active)
    ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer, has_conflict=conflict)
    return reviewer


def gate_rows(gate: GateReview | None = None):
    qs = Notification.objects.filter(content_type=ContentType.objects.get_for_model(GateReview))
    return qs.filter(object_id=str(gate.pk)) if gate is not None else qs


@pytest.fixture
def scene(reference_data):
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9), D(2026, 11, 27)])
    GateReview.objects.filter(project=w.project).update(status=GateState.DECIDED)  # world()'s screening gate
    set_state(w.milestones[0], MilestoneState.SUBMITTED)
    gate = gate_on(w, 1, OLD)
    people = {
        "declared": assign(gate, conflict=False),
        "undeclared": assign(gate, conflict=None),
        "recused": assign(gate, conflict=True),
    }
    cr = approved(w, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=w.milestones[0])
    return w, gate, people, cr


def test_apply_tells_the_chair_and_each_unconflicted_reviewer_once(scene):
    w, gate, people, cr = scene
    change_request_apply(actor=w.admin, change_request_id=cr.pk)

    assert GateReview.objects.get(pk=gate.pk).due_date == NEW
    rows = list(gate_rows(gate))
    assert sorted(r.recipient_id for r in rows) == sorted([gate.chair_id, people["declared"].pk, people["undeclared"].pk])
    assert not gate_rows(gate).filter(recipient=people["recused"]).exists()
    for row in rows:
        assert row.kind == NotificationKind.CHANGE_REQUEST
        assert row.due_date == NEW
        assert row.url == reverse("milestones:gate_detail", args=[gate.pk])
        text = row.subject + row.body
        assert w.project.code in text and "M1" in text
        assert "2026-09-30" in text and "2026-10-10" in text
        assert row.status == "pending"


def test_english_text_names_project_gate_and_dates(scene):
    w, gate, _people, cr = scene
    with translation.override("en"):
        change_request_apply(actor=w.admin, change_request_id=cr.pk)
    row = gate_rows(gate).get(recipient_id=gate.chair_id)
    assert row.subject.startswith("Gate review due date moved")
    assert "2026-09-30" in row.body and "2026-10-10" in row.body and w.project.code in row.body


def test_the_actor_is_not_told_of_their_own_change(scene):
    w, gate, people, cr = scene
    change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert not gate_rows().filter(recipient=w.admin).exists()
    assert gate_rows(gate).count() == 3


def test_an_inactive_reviewer_is_not_told(scene):
    w, gate, people, cr = scene
    gone = assign(gate, conflict=False, active=False)
    change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert not gate_rows(gate).filter(recipient=gone).exists()
    assert gate_rows(gate).count() == 3


def test_two_moved_gates_each_tell_their_own_people(scene):
    w, gate, people, cr = scene
    set_state(w.milestones[2], MilestoneState.SUBMITTED)
    other = gate_on(w, 3, D(2026, 10, 16), GateState.OPEN)
    shared = people["declared"]
    ReviewerAssignment.objects.create(gate=other, reviewer=shared, has_conflict=False)
    change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert gate_rows(gate).count() == 3
    assert sorted(gate_rows(other).values_list("recipient_id", flat=True)) == sorted([other.chair_id, shared.pk])
    assert gate_rows().filter(recipient=shared).count() == 2  # one per gate


def test_no_gate_moves_no_notification(reference_data):
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9), D(2026, 11, 27)])
    GateReview.objects.filter(project=w.project).update(status=GateState.DECIDED)
    set_state(w.milestones[0], MilestoneState.SUBMITTED)
    closed = gate_on(w, 1, OLD, GateState.CLOSED)  # a closed gate keeps its due date
    assign(closed, conflict=False)
    cr = approved(w, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=w.milestones[0])
    change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert GateReview.objects.get(pk=closed.pk).due_date == OLD
    assert not gate_rows().exists()


def test_preview_writes_nothing(scene):
    w, gate, _people, cr = scene
    before = Notification.objects.count()
    preview = change_request_preview(
        project_id=w.project.pk, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone_id=w.milestones[0].pk
    )
    assert f"gatereview:{gate.pk}" in preview["after"]
    assert Notification.objects.count() == before
    assert GateReview.objects.get(pk=gate.pk).due_date == OLD


def test_applying_twice_is_refused_and_writes_nothing_more(scene):
    w, gate, _people, cr = scene
    change_request_apply(actor=w.admin, change_request_id=cr.pk)
    count = Notification.objects.count()
    with pytest.raises(Conflict):
        change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert Notification.objects.count() == count
    assert gate_rows(gate).count() == 3


def test_a_retried_write_is_a_no_op_by_the_outbox_key(scene):
    w, gate, _people, cr = scene
    applied = change_request_apply(actor=w.admin, change_request_id=cr.pk)
    writes = [RowWrite(GateReview, gate.pk, {"due_date": OLD}, {"due_date": NEW})]
    _notify_gate_moves(applied, w.project, writes, w.admin)
    assert gate_rows(gate).count() == 3
