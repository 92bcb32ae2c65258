"""A whole project run through the real services: draft → screening with five reviewers (one recused)
→ non-consensus → approved on the risk-controlled track → milestones from the template → each
milestone submitted, reviewed, one recycled then passed → final gate → closing → closed; every
tranche released exactly once and the releases add up to the budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from milestones.models import (
    DecisionOutcome,
    GateDecision,
    GateKind,
    GateReview,
    Milestone,
    MilestoneState,
    NonConsensusApproval,
    Scorecard,
    TrancheRelease,
)
from milestones.services.decisions import gate_decide, non_consensus_approve
from milestones.services.gates import gate_open
from milestones.services.milestones import milestone_start, milestone_submit
from milestones.services.templates import milestone_edit_baseline
from milestones.services.tranches import tranche_release
from pmflow.errors import Conflict
from pmflow.workdays import is_workday
from projects.models import Project, ProjectState
from projects.services.projects import project_activate, project_submit
from tests.milestones.conftest import assign_and_open, later, project_in, review, screening_gate

pytestmark = pytest.mark.django_db


def _pass_gate(cast, gate: GateReview, *, rec: str = "go") -> GateDecision:
    gate = assign_and_open(cast, gate, reviewers=3)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec=rec, score=85 if rec == "go" else 50)
    return gate


def test_a_project_runs_from_draft_to_closed_with_every_tranche_released_once(cast):
    project = project_in(cast, "draft")
    project_submit(actor=cast.pm_member, project_id=project.pk)

    # Screening: five reviewers assigned, one declares a conflict; the other four split 2–2 with a champion.
    gate = screening_gate(cast, project, reviewers=5, quorum=3)
    assert Project.objects.get(pk=project.pk).status == ProjectState.SCREENING
    review(gate, cast.reviewers[0], rec="go", score=95, champion=True)
    review(gate, cast.reviewers[1], rec="go", score=80)
    review(gate, cast.reviewers[2], rec="kill", score=35)
    review(gate, cast.reviewers[3], rec="kill", score=30)
    review(gate, cast.reviewers[4], conflict=True)
    decision = gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="non_consensus")
    assert decision.computed_outcome == DecisionOutcome.NON_CONSENSUS
    assert decision.computed_summary["submitted"] == 4
    assert Project.objects.get(pk=project.pk).status == ProjectState.NON_CONSENSUS

    # Non-consensus approval with the PM-team lead's endorsement: risk-controlled milestones.
    non_consensus_approve(
        actor=cast.chair, project_id=project.pk, endorsement_by=cast.pm_lead.pk, endorsement="颠覆性强，愿意承担风险"
    )
    project.refresh_from_db()
    assert project.status == ProjectState.APPROVED
    assert NonConsensusApproval.objects.filter(project=project, pm_team=cast.team).count() == 1
    assert Scorecard.objects.filter(assignment__gate=gate, recommendation="kill").count() == 2  # dissent kept
    milestones = list(project.milestones.order_by("sequence"))
    assert [m.title for m in milestones] == ["技术难题攻关", "技术路线收敛", "可行性验证"]
    assert project.milestone_template.is_current and project.milestone_template.tier == project.field.tier
    assert milestones[0].tranche_amount == Decimal("2000000.00")  # capped at 20 % instead of the template's 30 %
    assert sum(m.tranche_amount for m in milestones) == project.budget
    assert [m.is_final for m in milestones] == [False, False, True]
    assert all(is_workday(m.current_due) for m in milestones)

    # The PM team edits the baseline before activation, then activates.
    milestone_edit_baseline(
        actor=cast.pm_member,
        project_id=project.pk,
        milestones=[{"id": milestones[1].pk, "deliverables": "路线比选报告", "acceptance_criteria": "选定一条路线"}],
    )
    project_activate(actor=cast.pm_member, project_id=project.pk)

    # M1: submitted, reviewed, passed, released.
    m1, m2, m3 = milestones
    milestone_start(actor=cast.project_lead, milestone_id=m1.pk)
    _, g1 = milestone_submit(actor=cast.project_lead, milestone_id=m1.pk)
    assert g1.kind == GateKind.MILESTONE and g1.committee_id == cast.committee.pk
    _pass_gate(cast, g1)
    gate_decide(actor=cast.chair, gate_id=g1.pk, outcome="go")
    assert Milestone.objects.get(pk=m1.pk).status == MilestoneState.PASSED
    tranche_release(actor=cast.admin, milestone_id=m1.pk)

    # M2: recycled once (new due date), then resubmitted and passed.
    milestone_start(actor=cast.pm_member, milestone_id=m2.pk)
    _, g2 = milestone_submit(actor=cast.pm_member, milestone_id=m2.pk)
    _pass_gate(cast, g2, rec="recycle")
    new_due = later(40)
    gate_decide(actor=cast.chair, gate_id=g2.pk, outcome="recycle", new_due_date=new_due)
    m2.refresh_from_db()
    assert m2.status == MilestoneState.IN_PROGRESS and m2.current_due == new_due
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=m2.pk)  # not releasable before it passes
    _, g2b = milestone_submit(actor=cast.pm_member, milestone_id=m2.pk)
    assert g2b.pk != g2.pk
    _pass_gate(cast, g2b)
    gate_decide(actor=cast.chair, gate_id=g2b.pk, outcome="go")
    tranche_release(actor=cast.chair, milestone_id=m2.pk)

    # M3 (final): submitting it moves the project to closing; the final gate's go closes it.
    milestone_start(actor=cast.pm_member, milestone_id=m3.pk)
    _, g3 = milestone_submit(actor=cast.pm_member, milestone_id=m3.pk)
    assert g3.kind == GateKind.FINAL
    assert Project.objects.get(pk=project.pk).status == ProjectState.CLOSING
    _pass_gate(cast, g3)
    gate_decide(actor=cast.chair, gate_id=g3.pk, outcome="go")
    assert Project.objects.get(pk=project.pk).status == ProjectState.CLOSED
    tranche_release(actor=cast.admin, milestone_id=m3.pk)

    # Every tranche released exactly once; the releases add up to the budget.
    releases = TrancheRelease.objects.filter(milestone__project=project)
    assert sorted(r.milestone_id for r in releases) == [m1.pk, m2.pk, m3.pk]
    assert sum(r.amount for r in releases) == project.budget
    for m in (m1, m2, m3):
        with pytest.raises(Conflict):
            tranche_release(actor=cast.admin, milestone_id=m.pk)
    assert TrancheRelease.objects.filter(milestone__project=project).count() == 3
    assert GateDecision.objects.filter(gate__project=project).count() == 5


def test_gate_open_moves_the_submitted_milestone_into_review(cast):
    project = project_in(cast, "active")
    milestone = Milestone.objects.create(
        project=project, sequence=1, title="M1", baseline_due=later(60), current_due=later(60), tranche_amount=1
    )
    milestone_start(actor=cast.pm_member, milestone_id=milestone.pk)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=milestone.pk, committee_id=cast.committee.pk)
    assert Milestone.objects.get(pk=milestone.pk).status == MilestoneState.SUBMITTED
    gate_open(actor=cast.chair, gate_id=gate.pk)
    assert Milestone.objects.get(pk=milestone.pk).status == MilestoneState.IN_REVIEW
