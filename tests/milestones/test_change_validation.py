"""Payload validation per kind: a bad payload names the payload field and saves nothing; a request
the world has overtaken between approval and application is refused at application."""

from __future__ import annotations

from decimal import Decimal

import pytest

from milestones.models import ChangeRequest, ChangeState, Milestone, MilestoneState, TrancheRelease
from milestones.services.changes import change_request_apply, change_request_preview
from pmflow.errors import Conflict, InvalidInput
from projects.models import ProjectState, TechnologyRoute
from tests.milestones.change_support import D, approved, filed, set_state, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(reference_data):
    return world(dues=[D(2026, 6, 30), D(2026, 9, 29), D(2026, 12, 1)])


def refused(w, field, **kwargs):
    with pytest.raises(InvalidInput) as exc:
        filed(w, **kwargs)
    assert field in exc.value.fields, exc.value.fields
    assert not ChangeRequest.objects.filter(project=w.project).exists()
    return " ".join(exc.value.fields[field])


# --- rescope ---------------------------------------------------------------------------------------
def test_rescope_refuses_blank_or_unchanged_text(w):
    refused(w, "deliverables", kind="rescope", milestone=w.milestones[0], payload={"deliverables": "  "})
    refused(w, "deliverables", kind="rescope", milestone=w.milestones[0], payload={})


def test_rescope_of_a_passed_milestone_is_refused(w):
    set_state(w.milestones[0], MilestoneState.PASSED)
    refused(w, "milestone_id", kind="rescope", milestone=w.milestones[0], payload={"deliverables": "新"})


def test_a_milestone_kind_needs_a_milestone_of_the_project(w, reference_data):
    refused(w, "milestone_id", kind="rescope", payload={"deliverables": "新"})
    other = world(dues=[D(2026, 6, 30)])
    refused(w, "milestone_id", kind="rescope", milestone=other.milestones[0], payload={"deliverables": "新"})


def test_a_milestone_under_review_cannot_be_cancelled(w):
    set_state(w.milestones[1], MilestoneState.IN_REVIEW)
    refused(w, "cancel_milestone", kind="rescope", milestone=w.milestones[1], payload={"cancel_milestone": True})


def test_cancelling_through_an_approved_rescope_is_the_way_to_cancel(w):
    set_state(w.milestones[1], MilestoneState.ON_HOLD)
    cr = approved(w, kind="rescope", milestone=w.milestones[1], payload={"cancel_milestone": True})
    change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert Milestone.objects.get(pk=w.milestones[1].pk).status == MilestoneState.CANCELLED


# --- reallocate budget -----------------------------------------------------------------------------
def _tranches(w, *amounts):
    return {"tranches": {str(m.pk): a for m, a in zip(w.milestones, amounts, strict=False)}}


def test_reallocation_must_keep_the_total(w):
    message = refused(w, "tranches", kind="reallocate_budget", payload=_tranches(w, "500000", "1400000"))
    assert "2000000.00" in message and "1900000.00" in message


def test_reallocation_refuses_negative_and_malformed_amounts(w):
    refused(w, "tranches", kind="reallocate_budget", payload=_tranches(w, "-1", "2000001"))
    refused(w, "tranches", kind="reallocate_budget", payload=_tranches(w, "abc", "1000000"))
    refused(w, "tranches", kind="reallocate_budget", payload=_tranches(w, "0.001", "1999999.999"))
    refused(w, "tranches", kind="reallocate_budget", payload={"tranches": {}})
    refused(w, "tranches", kind="reallocate_budget", payload={"tranches": {"999999": "1"}})


def test_no_tranche_goes_below_what_was_already_released(w):
    # M1's tranche of 1,000,000 was released in part (600,000, e.g. a risk-controlled first tranche).
    TrancheRelease.objects.create(milestone=w.milestones[0], amount=Decimal("600000"), released_by=w.admin)
    message = refused(w, "tranches", kind="reallocate_budget", payload=_tranches(w, "500000", "1500000"))
    assert "600000" in message
    # down to exactly the released amount is allowed
    cr = approved(w, kind="reallocate_budget", payload=_tranches(w, "600000", "1400000"))
    change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert [m.tranche_amount for m in Milestone.objects.filter(project=w.project).order_by("sequence")] == [
        Decimal("600000.00"),
        Decimal("1400000.00"),
        Decimal("1000000.00"),
    ]


def test_a_released_tranche_cannot_grow(w):
    TrancheRelease.objects.create(milestone=w.milestones[0], amount=Decimal("1000000"), released_by=w.admin)
    refused(w, "tranches", kind="reallocate_budget", payload=_tranches(w, "1500000", "500000"))


def test_money_can_move_all_the_way_out_of_a_tranche(w):
    cr = approved(w, kind="reallocate_budget", payload=_tranches(w, "1000000", "0", "2000000"))
    cr = change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert set(cr.after) == {f"milestone:{w.milestones[1].pk}", f"milestone:{w.milestones[2].pk}"}


# --- converge route --------------------------------------------------------------------------------
@pytest.fixture
def routes(w):
    return [TechnologyRoute.objects.create(project=w.project, name=n) for n in ("离子阱", "超导")]


def test_dropping_a_route_needs_its_lessons(w, routes):
    a, b = routes
    refused(w, "dropped", kind="converge_route", payload={"selected_route_id": a.pk})
    refused(w, "dropped", kind="converge_route", payload={"selected_route_id": a.pk, "dropped": {str(b.pk): " "}})


def test_the_selected_route_must_be_an_exploring_route_of_the_project(w, routes, reference_data):
    other = world(dues=[])
    foreign = TechnologyRoute.objects.create(project=other.project, name="外部路线")
    refused(w, "selected_route_id", kind="converge_route", payload={"selected_route_id": foreign.pk, "dropped": {}})
    TechnologyRoute.objects.filter(pk=routes[0].pk).update(status="dropped", lessons_learned="已放弃")
    refused(w, "selected_route_id", kind="converge_route", payload={"selected_route_id": routes[0].pk})


def test_the_web_form_keys_are_accepted(w, routes):
    a, b = routes
    preview = change_request_preview(
        project_id=w.project.pk,
        kind="converge_route",
        payload={"selected_route": a.pk, "lessons": {str(b.pk): "超导退相干"}},
    )
    assert preview["payload"] == {"selected_route_id": a.pk, "dropped": {str(b.pk): "超导退相干"}}
    assert preview["after"][f"technologyroute:{b.pk}"] == {"status": "dropped", "lessons_learned": "超导退相干"}


# --- project state and team ------------------------------------------------------------------------
def test_suspending_a_suspended_project_is_a_conflict(reference_data):
    w = world(dues=[], status=ProjectState.SUSPENDED)
    with pytest.raises(Conflict):
        filed(w, kind="suspend", payload={})


def test_no_change_requests_on_a_finished_project(reference_data):
    w = world(dues=[D(2026, 6, 30)], status=ProjectState.TERMINATED)
    with pytest.raises(Conflict):
        filed(w, kind="rescope", milestone=w.milestones[0], payload={"deliverables": "新"})


def test_project_state_kinds_take_no_payload(w):
    refused(w, "new_due", kind="terminate", payload={"new_due": "2026-10-08"})


def test_change_team_needs_a_real_change(w):
    refused(w, "pm_team_id", kind="change_team", payload={})
    refused(w, "pm_team_id", kind="change_team", payload={"pm_team_id": w.project.pm_team_id})
    refused(w, "lead_id", kind="change_team", payload={"lead_id": w.project.lead_id})
    refused(w, "lead_id", kind="change_team", payload={"lead_id": 987654321})


def test_unknown_kind_and_missing_reason_are_named(w):
    refused(w, "kind", kind="teleport", payload={})
    refused(w, "reason", kind="suspend", payload={}, reason=" ")


# --- stale at application --------------------------------------------------------------------------
def test_a_request_overtaken_before_application_is_refused_and_stays_approved(w):
    cr = approved(w, kind="reschedule", milestone=w.milestones[1], payload={"new_due": "2026-10-09"})
    set_state(w.milestones[1], MilestoneState.PASSED)
    with pytest.raises(InvalidInput):
        change_request_apply(actor=w.chair, change_request_id=cr.pk)
    cr.refresh_from_db()
    assert (cr.status, cr.before, cr.after) == (ChangeState.APPROVED, {}, {})
    assert [m.current_due for m in Milestone.objects.filter(project=w.project).order_by("sequence")] == [
        D(2026, 6, 30),
        D(2026, 9, 29),
        D(2026, 12, 1),
    ]


def test_a_linked_assessment_must_be_of_the_project(w, reference_data):
    from milestones.models import Assessment, AssessmentRound
    from milestones.services.changes import change_request_create

    rnd = AssessmentRound.objects.create(
        label="Q3", period_start=D(2026, 7, 1), period_end=D(2026, 9, 30), due_date=D(2026, 10, 20)
    )
    other = world(dues=[])
    foreign = Assessment.objects.create(round=rnd, project=other.project)
    with pytest.raises(InvalidInput) as exc:
        change_request_create(
            actor=w.pm, project_id=w.project.pk, kind="suspend", payload={}, reason="评估结果", assessment_id=foreign.pk
        )
    assert "assessment_id" in exc.value.fields
    own = Assessment.objects.create(round=rnd, project=w.project)
    cr = change_request_create(
        actor=w.pm, project_id=w.project.pk, kind="suspend", payload={}, reason="评估结果", assessment_id=own.pk
    )
    assert cr.assessment_id == own.pk


def test_applying_a_milestone_kind_row_without_a_milestone_is_a_field_error_not_a_crash(w):
    """A row made outside the service (e.g. in the admin) without its milestone is refused with the
    field named when applied, and nothing changes."""
    cr = approved(w, kind="rescope", milestone=w.milestones[0], payload={"deliverables": "新交付物"})
    ChangeRequest.objects.filter(pk=cr.pk).update(milestone=None)
    with pytest.raises(InvalidInput) as exc:
        change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert "milestone_id" in exc.value.fields
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeState.APPROVED
    assert Milestone.objects.get(pk=w.milestones[0].pk).deliverables == ""
