"""What each decision does to the milestone and the project, in one atomic change."""

from __future__ import annotations

import pytest

from milestones.models import ChangeRequest, GateDecision, GateReview, GateState, Milestone, MilestoneState
from milestones.services.decisions import gate_decide
from milestones.services.gates import gate_cancel, gate_schedule
from milestones.services.milestones import milestone_conditions_met, milestone_resume, milestone_start, milestone_submit
from milestones.services.tranches import tranche_release
from pmflow.errors import Conflict, Forbidden, InvalidInput
from pmflow.models import Notification, NotificationKind
from projects.models import KeyTaskList, Project, ProjectState, Task
from tests.milestones.conftest import assign_and_open, later, project_in, review

pytestmark = pytest.mark.django_db


def _gate(cast, *, is_final=False, rec="go", score=80, passed=True, state="active"):
    project = project_in(cast, state)
    m = Milestone.objects.create(
        project=project,
        sequence=1,
        title="M1",
        baseline_due=later(60),
        current_due=later(60),
        is_final=is_final,
        tranche_amount=1000,
    )
    milestone_start(actor=cast.pm_member, milestone_id=m.pk)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=m.pk, committee_id=cast.committee.pk)
    gate = assign_and_open(cast, gate, reviewers=3)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec=rec, score=score, passed=passed)
    return project, m, gate


def _status(m):
    return Milestone.objects.get(pk=m.pk).status


def test_go_passes_the_milestone_and_notifies_the_pm_team_lead(cast):
    project, m, gate = _gate(cast)
    decision = gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go")
    assert _status(m) == MilestoneState.PASSED
    assert Milestone.objects.get(pk=m.pk).passed_at is not None
    assert GateReview.objects.get(pk=gate.pk).status == GateState.DECIDED
    assert (
        Notification.objects.filter(
            recipient=cast.pm_lead, kind=NotificationKind.GATE_DECIDED, object_id=str(decision.pk)
        ).count()
        == 1
    )


def test_conditional_go_creates_condition_tasks_and_releases_only_after_they_are_done(cast):
    project, m, gate = _gate(cast, rec="conditional_go")
    decision = gate_decide(
        actor=cast.chair,
        gate_id=gate.pk,
        outcome="conditional_go",
        conditions=[{"title": "补充第三方测试报告", "due_date": later(20)}, {"title": "完善知识产权布局", "due_date": later(40)}],
    )
    assert _status(m) == MilestoneState.PASSED_WITH_CONDITIONS
    tasks = Task.objects.filter(gate_decision=decision).order_by("due_date")
    assert [t.title for t in tasks] == ["补充第三方测试报告", "完善知识产权布局"]
    assert [t.due_date for t in tasks] == [later(20), later(40)]
    assert all(t.milestone_id == m.pk and t.owner_id == cast.project_lead.pk for t in tasks)
    task_list = KeyTaskList.objects.get(project=project)
    assert task_list.title == "关口整改条件" and {t.task_list_id for t in tasks} == {task_list.pk}
    assert {t.category.code for t in tasks} == {"reform"}

    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=m.pk)
    with pytest.raises(Conflict):
        milestone_conditions_met(actor=cast.chair, milestone_id=m.pk)
    tasks.update(progress=100, done_date=later(0))
    milestone_conditions_met(actor=cast.chair, milestone_id=m.pk)
    assert _status(m) == MilestoneState.PASSED
    tranche_release(actor=cast.admin, milestone_id=m.pk)


def test_conditional_go_needs_conditions_with_due_dates(cast):
    _project, m, gate = _gate(cast, rec="conditional_go")
    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="conditional_go", conditions=[])
    assert "conditions" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="conditional_go", conditions=[{"title": "甲", "due_date": None}])
    assert "conditions" in exc.value.fields
    assert _status(m) == MilestoneState.IN_REVIEW
    assert GateReview.objects.get(pk=gate.pk).status == GateState.OPEN  # the implicit close rolled back too


def test_hold_puts_the_milestone_on_hold_and_the_team_resumes_it(cast):
    _project, m, gate = _gate(cast, rec="hold")
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="hold")
    assert _status(m) == MilestoneState.ON_HOLD
    milestone_resume(actor=cast.pm_member, milestone_id=m.pk)
    assert _status(m) == MilestoneState.IN_PROGRESS


def test_recycle_needs_a_new_due_date(cast):
    _project, m, gate = _gate(cast, rec="recycle")
    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="recycle")
    assert "new_due_date" in exc.value.fields
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="recycle", new_due_date=later(30).isoformat())
    milestone = Milestone.objects.get(pk=m.pk)
    assert milestone.status == MilestoneState.IN_PROGRESS and milestone.current_due == later(30)
    assert milestone.baseline_due == later(60)  # the baseline is kept


def test_a_must_meet_failure_at_a_milestone_gate_computes_recycle(cast):
    _project, m, gate = _gate(cast, rec="go", passed=False)
    decision = gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="recycle", new_due_date=later(30))
    assert decision.computed_outcome == "recycle"


def test_kill_by_an_admin_fails_the_milestone_and_terminates_the_project(cast):
    project, m, gate = _gate(cast, rec="kill", score=20)
    gate_decide(actor=cast.admin, gate_id=gate.pk, outcome="kill", rationale="技术路线被证伪")
    assert _status(m) == MilestoneState.FAILED
    assert Project.objects.get(pk=project.pk).status == ProjectState.TERMINATED


def test_kill_by_the_chair_fails_the_milestone_and_opens_a_termination_request(cast):
    project, m, gate = _gate(cast, rec="kill", score=20)
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="kill")
    assert _status(m) == MilestoneState.FAILED
    assert Project.objects.get(pk=project.pk).status == ProjectState.ACTIVE
    request = ChangeRequest.objects.get(project=project)
    assert request.kind == "terminate" and request.status == "submitted"
    assert Notification.objects.filter(recipient=cast.admin, kind=NotificationKind.CHANGE_REQUEST).count() == 1
    # The termination request goes through the change-request services like any other.
    from milestones.services.changes import change_request_apply, change_request_approve

    change_request_approve(actor=cast.admin, change_request_id=request.pk, note="同意终止")
    change_request_apply(actor=cast.admin, change_request_id=request.pk)
    assert Project.objects.get(pk=project.pk).status == ProjectState.TERMINATED


def test_final_gate_recycle_reopens_the_project(cast):
    project, m, gate = _gate(cast, is_final=True, rec="recycle")
    assert Project.objects.get(pk=project.pk).status == ProjectState.CLOSING
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="recycle", new_due_date=later(30))
    assert Project.objects.get(pk=project.pk).status == ProjectState.ACTIVE
    assert _status(m) == MilestoneState.IN_PROGRESS


def test_final_gate_go_closes_the_project(cast):
    project, m, gate = _gate(cast, is_final=True)
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go")
    assert Project.objects.get(pk=project.pk).status == ProjectState.CLOSED


def test_only_the_chair_or_an_admin_decides(cast):
    _project, m, gate = _gate(cast)
    for user in (cast.pm_lead, cast.reviewers[0]):
        with pytest.raises(Forbidden):
            gate_decide(actor=user, gate_id=gate.pk, outcome="go")
    assert not GateDecision.objects.filter(gate=gate).exists()


def test_a_gate_is_decided_once(cast):
    _project, m, gate = _gate(cast)
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go")
    with pytest.raises(Conflict):
        gate_decide(actor=cast.admin, gate_id=gate.pk, outcome="go")


def test_a_scheduled_or_cancelled_gate_cannot_be_decided(cast):
    project = project_in(cast, "submitted")
    gate = gate_schedule(actor=cast.chair, project_id=project.pk, kind="screening", committee_id=cast.committee.pk)
    with pytest.raises(Conflict):
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="hold")
    gate_cancel(actor=cast.chair, gate_id=gate.pk, reason="材料不全")
    with pytest.raises(Conflict):
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="hold")


def test_recycle_is_not_a_screening_outcome_and_non_consensus_not_a_milestone_outcome(cast):
    _project, _m, gate = _gate(cast)
    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="non_consensus", rationale="x")
    assert "outcome" in exc.value.fields


def test_a_decision_that_cannot_be_applied_changes_nothing(cast):
    """One atomic change: if creating the milestones fails, no decision, gate and project unchanged."""
    from milestones.models import MilestoneTemplate
    from tests.milestones.conftest import screening_gate

    project = project_in(cast, "submitted")
    gate = screening_gate(cast, project, reviewers=3)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec="go")
    MilestoneTemplate.objects.filter(tier=project.field.tier).update(is_current=False)
    with pytest.raises(InvalidInput):
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go")
    assert not GateDecision.objects.filter(gate=gate).exists()
    assert GateReview.objects.get(pk=gate.pk).status == GateState.OPEN
    assert Project.objects.get(pk=project.pk).status == ProjectState.SCREENING
    assert not Milestone.objects.filter(project=project).exists()
