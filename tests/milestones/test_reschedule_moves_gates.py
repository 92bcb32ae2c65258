"""Applying a reschedule moves the due date of every gate review of a moved milestone that is still
scheduled or open, by the same number of working days as its milestone; closed, decided and
cancelled gates keep theirs.

Dates around 2026's National Day (10-01..07 off, Saturday 10-10 a make-up working day) and
Mid-autumn (09-25..27 off); every expected date below was counted by hand on a calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest

from milestones.models import ChangeRequest, ChangeState, GateReview, GateState, MilestoneState
from milestones.services.changes import change_request_apply, change_request_preview
from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict, InvalidInput
from pmflow.workdays import is_workday, workdays_between
from tests.factories import GateReviewFactory
from tests.milestones.change_support import D, World, approved, dues, filed, set_state, world

pytestmark = pytest.mark.django_db


def world_gates_decided(w: World) -> None:
    """world() gives the project a gate only to make ``w.chair`` one of its chairs; mark it decided so
    that the gates below are the only ones a reschedule can move."""
    GateReview.objects.filter(project=w.project).update(status=GateState.DECIDED)


def gate_on(w: World, sequence: int, due: dt.date, state: str = GateState.SCHEDULED) -> GateReview:
    """A gate review of milestone M<sequence> due on ``due``, put straight into ``state`` (set-up only)."""
    gate = GateReviewFactory(project=w.project, kind="milestone", milestone=w.milestones[sequence - 1], due_date=due)
    GateReview.objects.filter(pk=gate.pk).update(status=state)
    return GateReview.objects.get(pk=gate.pk)


def gate_due(gate: GateReview) -> dt.date:
    return GateReview.objects.get(pk=gate.pk).due_date


@pytest.fixture
def chain(reference_data) -> World:
    # M1 Mon 09-21 (submitted, its gate scheduled Wed 09-30), M2 Tue 09-29 (in review), M3 Fri 10-09,
    # M4 Fri 11-27; the project ends 12-31.
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9), D(2026, 11, 27)])
    world_gates_decided(w)
    set_state(w.milestones[0], MilestoneState.SUBMITTED)
    set_state(w.milestones[1], MilestoneState.IN_REVIEW)
    gate_on(w, 1, D(2026, 9, 30))
    return w


def m1_gate(w: World) -> GateReview:
    return GateReview.objects.get(milestone=w.milestones[0], status=GateState.SCHEDULED)


def test_a_scheduled_gate_moves_by_the_same_working_days_as_its_milestone_over_national_day(chain):
    g1 = m1_gate(chain)
    g2 = gate_on(chain, 2, D(2026, 10, 9), GateState.OPEN)
    # M1 09-21 → 09-24 is +3 working days (22, 23, 24).
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=chain.milestones[0])
    change_request_apply(actor=chain.chair, change_request_id=cr.pk)

    assert [c for _, c in dues(chain.project)] == [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 13), D(2026, 12, 2)]
    # M1's scheduled gate Wed 09-30 + 3: (holiday 10-01..07), Thu 10-08, Fri 10-09, Sat 10-10 (make-up day).
    assert gate_due(g1) == D(2026, 10, 10)
    # M2's open gate Fri 10-09 + 3: Sat 10-10 (make-up day), (Sun 10-11 off), Mon 10-12, Tue 10-13.
    assert gate_due(g2) == D(2026, 10, 13)
    assert workdays_between(D(2026, 9, 30), gate_due(g1)) == workdays_between(D(2026, 9, 21), D(2026, 9, 24)) == 3
    assert GateReview.objects.get(pk=g2.pk).status == GateState.OPEN  # only the date moves


def test_moving_a_milestone_earlier_pulls_its_gate_back_over_the_holiday(chain):
    g1 = m1_gate(chain)
    g2 = gate_on(chain, 2, D(2026, 10, 8))
    # M2 Tue 09-29 → Mon 09-28 is -1 working day; its gate Thu 10-08 - 1 = Wed 09-30 (10-01..07 off).
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-28"}, milestone=chain.milestones[1])
    change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert gate_due(g2) == D(2026, 9, 30)
    assert gate_due(g1) == D(2026, 9, 30)  # M1 did not move, nor does its gate


def test_a_gate_on_a_holiday_lands_on_a_working_day_when_its_milestone_moves_zero_working_days(reference_data):
    # M2 is due Sat 10-03 (a holiday); Wed 09-30 → Sat 10-03 holds no working day, so the shift is 0.
    w = world(dues=[D(2026, 9, 21), D(2026, 10, 3), D(2026, 10, 9)])
    world_gates_decided(w)
    g2 = gate_on(w, 2, D(2026, 10, 4))  # Sun 10-04, a holiday
    g3 = gate_on(w, 3, D(2026, 10, 12))
    cr = approved(w, kind="reschedule", payload={"new_due": "2026-09-30"}, milestone=w.milestones[1])
    cr = change_request_apply(actor=w.chair, change_request_id=cr.pk)
    # 0 working days back from Sun 10-04 is the last working day before it, Wed 09-30.
    assert gate_due(g2) == D(2026, 9, 30) and is_workday(gate_due(g2))
    # M3 moves 0 working days, so it and its gate stay.
    assert [c for _, c in dues(w.project)] == [D(2026, 9, 21), D(2026, 9, 30), D(2026, 10, 9)]
    assert gate_due(g3) == D(2026, 10, 12)
    assert f"gatereview:{g3.pk}" not in cr.after


@pytest.mark.parametrize("state", [GateState.CLOSED, GateState.DECIDED, GateState.CANCELLED])
def test_a_closed_decided_or_cancelled_gate_keeps_its_due_date(chain, state):
    g1 = m1_gate(chain)
    GateReview.objects.filter(pk=g1.pk).update(status=state)
    g2 = gate_on(chain, 2, D(2026, 10, 9), state)
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=chain.milestones[0])
    cr = change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert dues(chain.project)[1][1] == D(2026, 10, 9)  # the milestones did move
    assert (gate_due(g1), gate_due(g2)) == (D(2026, 9, 30), D(2026, 10, 9))
    assert {GateReview.objects.get(pk=g.pk).status for g in (g1, g2)} == {state}
    assert not [key for key in (*cr.before, *cr.after) if key.startswith("gatereview:")]


def test_the_applied_copy_holds_the_gate_moves_exactly(chain):
    m = chain.milestones
    g1 = m1_gate(chain)
    g2 = gate_on(chain, 2, D(2026, 10, 9), GateState.OPEN)
    gate_on(chain, 3, D(2026, 10, 9), GateState.DECIDED)
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=m[0])
    cr = change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert cr.status == ChangeState.APPLIED
    assert cr.before == {
        f"milestone:{m[0].pk}": {"current_due": "2026-09-21"},
        f"milestone:{m[1].pk}": {"current_due": "2026-09-29"},
        f"milestone:{m[2].pk}": {"current_due": "2026-10-09"},
        f"milestone:{m[3].pk}": {"current_due": "2026-11-27"},
        f"gatereview:{g1.pk}": {"due_date": "2026-09-30"},
        f"gatereview:{g2.pk}": {"due_date": "2026-10-09"},
    }
    assert cr.after == {
        f"milestone:{m[0].pk}": {"current_due": "2026-09-24"},
        f"milestone:{m[1].pk}": {"current_due": "2026-10-09"},
        f"milestone:{m[2].pk}": {"current_due": "2026-10-13"},
        f"milestone:{m[3].pk}": {"current_due": "2026-12-02"},
        f"gatereview:{g1.pk}": {"due_date": "2026-10-10"},
        f"gatereview:{g2.pk}": {"due_date": "2026-10-13"},
    }
    # The audit row of the apply keeps the same copies.
    entry = audit_trail_for(cr).filter(to_state=ChangeState.APPLIED).get()
    assert (entry.data["before"], entry.data["after"]) == (cr.before, cr.after)


def test_the_preview_lists_the_gate_moves_and_saves_nothing(chain):
    g1 = m1_gate(chain)
    g2 = gate_on(chain, 2, D(2026, 10, 9), GateState.OPEN)
    preview = change_request_preview(
        project_id=chain.project.pk, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone_id=chain.milestones[0].pk
    )
    for gate, before, after in ((g1, "2026-09-30", "2026-10-10"), (g2, "2026-10-09", "2026-10-13")):
        key = f"gatereview:{gate.pk}"
        assert (preview["before"][key], preview["after"][key]) == ({"due_date": before}, {"due_date": after})
    assert preview["labels"][f"gatereview:{g2.pk}"] == "关口评审 M2“里程碑2”"
    assert (gate_due(g1), gate_due(g2)) == (D(2026, 9, 30), D(2026, 10, 9))
    assert not chain.project.change_requests.exists()


def test_the_preview_and_the_applied_copy_agree(chain):
    gate_on(chain, 2, D(2026, 10, 9), GateState.OPEN)
    payload = {"new_due": "2026-09-24"}
    cr = approved(chain, kind="reschedule", payload=payload, milestone=chain.milestones[0])
    preview = change_request_preview(
        project_id=chain.project.pk, kind="reschedule", payload=payload, milestone_id=chain.milestones[0].pk
    )
    cr = change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert (preview["before"], preview["after"]) == (cr.before, cr.after)


def test_applying_twice_is_refused_and_moves_nothing_the_second_time(chain):
    g1 = m1_gate(chain)
    g2 = gate_on(chain, 2, D(2026, 10, 9))
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=chain.milestones[0])
    first = change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    with pytest.raises(Conflict):
        change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert (gate_due(g1), gate_due(g2)) == (D(2026, 10, 10), D(2026, 10, 13))
    assert [c for _, c in dues(chain.project)] == [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 13), D(2026, 12, 2)]
    again = ChangeRequest.objects.get(pk=cr.pk)
    assert (again.status, again.before, again.after) == (ChangeState.APPLIED, first.before, first.after)


@pytest.fixture
def ends_oct_30(reference_data) -> World:
    # The project ends Fri 10-30; M1 Mon 09-21, M2 Tue 09-29 (its gate due on the last day, Fri 10-30).
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29)], planned_end=D(2026, 10, 30))
    world_gates_decided(w)
    return w


def test_a_gate_moved_past_the_project_end_is_refused_and_nothing_is_saved(ends_oct_30):
    w = ends_oct_30
    gate = gate_on(w, 2, D(2026, 10, 30))
    # M1 +3 moves M2 to Fri 10-09 (inside), but the gate Fri 10-30 + 3 = Wed 11-04 (11-02, 11-03, 11-04).
    with pytest.raises(InvalidInput) as exc:
        filed(w, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=w.milestones[0])
    message = exc.value.fields["new_due"][0]
    assert "关口评审 M2“里程碑2”" in message and "2026-11-04" in message and "2026-10-30" in message
    assert not w.project.change_requests.exists()
    assert gate_due(gate) == D(2026, 10, 30)
    assert [c for _, c in dues(w.project)] == [D(2026, 9, 21), D(2026, 9, 29)]


def test_a_gate_that_would_overflow_at_apply_time_refuses_the_apply_and_saves_nothing(ends_oct_30):
    w = ends_oct_30
    gate = gate_on(w, 2, D(2026, 10, 27))  # Tue 10-27 + 3 = Fri 10-30: fits when approved
    cr = approved(w, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=w.milestones[0])
    GateReview.objects.filter(pk=gate.pk).update(due_date=D(2026, 10, 28))  # the world moves: now + 3 = Mon 11-02
    with pytest.raises(InvalidInput) as exc:
        change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert "2026-11-02" in exc.value.fields["new_due"][0]
    cr.refresh_from_db()
    assert (cr.status, cr.before, cr.after) == (ChangeState.APPROVED, {}, {})
    assert gate_due(gate) == D(2026, 10, 28)
    assert [c for _, c in dues(w.project)] == [D(2026, 9, 21), D(2026, 9, 29)]


def test_extending_the_end_far_enough_lets_the_gate_move(ends_oct_30):
    w = ends_oct_30
    gate = gate_on(w, 2, D(2026, 10, 30))
    with pytest.raises(InvalidInput) as exc:
        filed(w, kind="reschedule", payload={"new_due": "2026-09-24", "extend_end_to": "2026-11-03"}, milestone=w.milestones[0])
    assert "2026-11-04" in exc.value.fields["extend_end_to"][0]
    cr = approved(
        w, kind="reschedule", payload={"new_due": "2026-09-24", "extend_end_to": "2026-11-04"}, milestone=w.milestones[0]
    )
    cr = change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert gate_due(gate) == D(2026, 11, 4)
    assert cr.after[f"gatereview:{gate.pk}"] == {"due_date": "2026-11-04"}
    assert cr.after[f"project:{w.project.pk}"] == {"planned_end": "2026-11-04"}
