"""Submitting a milestone schedules its gate review (committee, working-day due date, default
criteria); submitting the final milestone moves the project into closing."""

from __future__ import annotations

import pytest

from milestones.models import GateCriterion, GateKind, GateState, Milestone, MilestoneState
from milestones.services.milestones import milestone_start, milestone_submit
from pmflow.errors import Conflict, Forbidden, InvalidInput
from pmflow.workdays import add_workdays, workdays_between
from projects.models import Project, ProjectState
from tests.factories import GateReviewFactory
from tests.milestones.conftest import later, project_in

pytestmark = pytest.mark.django_db


def _milestone(project, *, is_final=False, sequence=1, status=None):
    m = Milestone.objects.create(
        project=project, sequence=sequence, title=f"M{sequence}", baseline_due=later(60), current_due=later(60), is_final=is_final
    )
    if status:
        Milestone.objects.filter(pk=m.pk).update(status=status)
    return Milestone.objects.get(pk=m.pk)


def test_submit_schedules_a_gate_with_the_screening_committee_due_in_working_days(cast, settings):
    from django.utils import timezone

    project = project_in(cast, "active")
    GateReviewFactory(project=project, kind="screening", committee=cast.committee, status="decided")
    m = _milestone(project, status=MilestoneState.IN_PROGRESS)
    milestone, gate = milestone_submit(actor=cast.project_lead, milestone_id=m.pk)
    assert milestone.status == MilestoneState.SUBMITTED
    assert gate.kind == GateKind.MILESTONE and gate.status == GateState.SCHEDULED
    assert gate.milestone_id == m.pk and gate.committee_id == cast.committee.pk and gate.chair_id == cast.chair.pk
    today = timezone.localdate()
    assert gate.due_date == add_workdays(today, settings.PMFLOW["GATE_REVIEW_WORKDAYS"])
    assert workdays_between(today, gate.due_date) == settings.PMFLOW["GATE_REVIEW_WORKDAYS"]
    kinds = set(GateCriterion.objects.filter(gate=gate).values_list("kind", flat=True))
    assert kinds == {"must", "should"}


def test_submit_without_a_committee_is_refused_when_there_is_no_screening_gate(cast):
    m = _milestone(project_in(cast, "active"), status=MilestoneState.IN_PROGRESS)
    with pytest.raises(InvalidInput) as exc:
        milestone_submit(actor=cast.pm_member, milestone_id=m.pk)
    assert "committee" in exc.value.fields
    assert Milestone.objects.get(pk=m.pk).status == MilestoneState.IN_PROGRESS


def test_submitting_the_final_milestone_moves_the_project_to_closing(cast):
    project = project_in(cast, "active")
    m = _milestone(project, is_final=True, status=MilestoneState.IN_PROGRESS)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=m.pk, committee_id=cast.committee.pk)
    assert gate.kind == GateKind.FINAL
    assert Project.objects.get(pk=project.pk).status == ProjectState.CLOSING


def test_the_final_milestone_is_submitted_by_the_pm_team_not_the_project_lead(cast):
    project = project_in(cast, "active")
    m = _milestone(project, is_final=True, status=MilestoneState.IN_PROGRESS)
    with pytest.raises(Forbidden):
        milestone_submit(actor=cast.project_lead, milestone_id=m.pk, committee_id=cast.committee.pk)
    assert Project.objects.get(pk=project.pk).status == ProjectState.ACTIVE


@pytest.mark.parametrize("status", ["planned", "submitted", "in_review", "passed", "on_hold", "failed"])
def test_only_an_in_progress_milestone_can_be_submitted(cast, status):
    m = _milestone(project_in(cast, "active"), status=status)
    with pytest.raises(Conflict):
        milestone_submit(actor=cast.pm_member, milestone_id=m.pk, committee_id=cast.committee.pk)


def test_outsiders_cannot_start_or_submit_milestones(cast):
    m = _milestone(project_in(cast, "active"))
    for user in (cast.chair, cast.reviewers[0]):
        with pytest.raises(Forbidden):
            milestone_start(actor=user, milestone_id=m.pk)
    milestone_start(actor=cast.pm_member, milestone_id=m.pk)
    with pytest.raises(Forbidden):
        milestone_submit(actor=cast.reviewers[0], milestone_id=m.pk, committee_id=cast.committee.pk)


@pytest.mark.parametrize("state", ["approved", "suspended", "terminated"])
def test_milestones_do_not_move_unless_the_project_is_active(cast, state):
    m = _milestone(project_in(cast, state))
    with pytest.raises(Conflict):
        milestone_start(actor=cast.pm_member, milestone_id=m.pk)
