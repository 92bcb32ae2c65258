"""Each decision rule of the computed outcome on its own, and how gate_decide enforces it."""

from __future__ import annotations

import pytest

from milestones.models import DecisionOutcome, GateDecision, GateReview, GateState
from milestones.selectors.gates import gate_computed_outcome
from milestones.services.decisions import gate_decide
from pmflow.audit import audit_trail_for
from pmflow.errors import InvalidInput
from projects.models import Project, ProjectState
from tests.milestones.conftest import project_in, review, screening_gate

pytestmark = pytest.mark.django_db


def _outcome(gate):
    return gate_computed_outcome(gate=GateReview.objects.get(pk=gate.pk))


def test_quorum_not_met_computes_hold_and_only_hold_can_be_decided(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3, quorum=3)
    review(gate, cast.reviewers[0], rec="go")
    review(gate, cast.reviewers[1], rec="go")
    review(gate, cast.reviewers[2], conflict=True)  # recused: does not count towards the quorum

    summary = _outcome(gate)
    assert summary["submitted"] == 2
    assert summary["quorum_met"] is False
    assert summary["outcome"] == DecisionOutcome.HOLD

    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go", rationale="两位专家都同意")
    assert "outcome" in exc.value.fields
    assert not GateDecision.objects.filter(gate=gate).exists()

    decision = gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="hold")
    assert decision.outcome == DecisionOutcome.HOLD
    assert GateReview.objects.get(pk=gate.pk).status == GateState.DECIDED
    assert Project.objects.get(pk=project.pk).status == ProjectState.SCREENING


def test_must_meet_failed_by_a_majority_computes_kill_at_screening(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3)
    review(gate, cast.reviewers[0], rec="go", score=95, passed=False)
    review(gate, cast.reviewers[1], rec="go", score=90, passed=False)
    review(gate, cast.reviewers[2], rec="go", score=90, passed=True)

    summary = _outcome(gate)
    assert summary["must_meet_failed"] is True
    assert summary["consensus"] is True  # everyone said go, the veto still wins
    assert summary["outcome"] == DecisionOutcome.KILL

    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="kill")
    assert Project.objects.get(pk=project.pk).status == ProjectState.REJECTED


def test_must_meet_failed_by_a_minority_does_not_veto(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3)
    review(gate, cast.reviewers[0], rec="go", passed=False)
    review(gate, cast.reviewers[1], rec="go")
    review(gate, cast.reviewers[2], rec="go")
    summary = _outcome(gate)
    assert summary["must_meet_failed"] is False
    assert summary["outcome"] == DecisionOutcome.GO


def test_consensus_go_approves_the_project_and_creates_its_milestones(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3)
    review(gate, cast.reviewers[0], rec="go", score=80)
    review(gate, cast.reviewers[1], rec="go", score=70)
    review(gate, cast.reviewers[2], rec="conditional_go", score=60)

    summary = _outcome(gate)
    assert summary["consensus"] is True
    assert str(summary["agreement"]) == "0.6667"
    assert str(summary["weighted_score"]) == "70.00"
    assert summary["outcome"] == DecisionOutcome.GO

    decision = gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go")
    project.refresh_from_db()
    assert project.status == ProjectState.APPROVED
    assert project.milestones.count() == 3
    assert decision.computed_outcome == DecisionOutcome.GO
    assert decision.computed_summary["consensus"] is True


def test_consensus_kill_rejects_the_project(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec="kill", score=30)
    assert _outcome(gate)["outcome"] == DecisionOutcome.KILL
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="kill")
    assert Project.objects.get(pk=project.pk).status == ProjectState.REJECTED
    assert not Project.objects.get(pk=project.pk).milestones.exists()


def test_split_with_a_champion_computes_non_consensus(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=4)
    review(gate, cast.reviewers[0], rec="go", score=95, champion=True)
    review(gate, cast.reviewers[1], rec="go", score=85)
    review(gate, cast.reviewers[2], rec="kill", score=30)
    review(gate, cast.reviewers[3], rec="kill", score=25)

    summary = _outcome(gate)
    assert summary["consensus"] is False
    assert summary["champions"] == 1
    assert summary["min"] == 25 and summary["max"] == 95
    assert summary["std"] > 30
    assert summary["non_consensus_eligible"] is True
    assert summary["outcome"] == DecisionOutcome.NON_CONSENSUS

    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="non_consensus")
    project.refresh_from_db()
    assert project.status == ProjectState.NON_CONSENSUS
    assert project.non_consensus_track is True


def test_split_without_a_champion_computes_kill_and_refuses_non_consensus(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=4)
    review(gate, cast.reviewers[0], rec="go", score=95)
    review(gate, cast.reviewers[1], rec="go", score=85)
    review(gate, cast.reviewers[2], rec="kill", score=30)
    review(gate, cast.reviewers[3], rec="kill", score=25)

    summary = _outcome(gate)
    assert summary["consensus"] is False
    assert summary["non_consensus_eligible"] is False
    assert summary["outcome"] == DecisionOutcome.KILL
    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="non_consensus", rationale="我认为值得一试")
    assert "outcome" in exc.value.fields
    assert Project.objects.get(pk=project.pk).status == ProjectState.SCREENING


def test_high_spread_with_a_champion_is_eligible_even_with_consensus(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3)
    review(gate, cast.reviewers[0], rec="kill", score=95, champion=True)
    review(gate, cast.reviewers[1], rec="kill", score=20)
    review(gate, cast.reviewers[2], rec="kill", score=15)
    summary = _outcome(gate)
    assert summary["consensus"] is True
    assert summary["high_spread"] is True
    assert summary["non_consensus_eligible"] is True
    assert summary["outcome"] == DecisionOutcome.NON_CONSENSUS


def test_override_without_rationale_is_refused_and_with_rationale_is_audited(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=3)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec="kill", score=40)

    with pytest.raises(InvalidInput) as exc:
        gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go")
    assert "rationale" in exc.value.fields
    assert not GateDecision.objects.filter(gate=gate).exists()
    assert Project.objects.get(pk=project.pk).status == ProjectState.SCREENING

    decision = gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="go", rationale="战略需要，专家意见偏保守")
    assert decision.rationale == "战略需要，专家意见偏保守"
    assert decision.computed_outcome == DecisionOutcome.KILL
    entry = audit_trail_for(GateReview.objects.get(pk=gate.pk)).filter(action="decide").get()
    assert entry.reason == "战略需要，专家意见偏保守"
    assert entry.data["computed_outcome"] == "kill"
    assert entry.data["outcome"] == "go"
    assert entry.data["departs_from_computed"] is True


def test_a_recused_reviewers_scorecard_does_not_count(cast):
    project = project_in(cast)
    gate = screening_gate(cast, project, reviewers=4)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec="go")
    review(gate, cast.reviewers[3], conflict=True)
    summary = _outcome(gate)
    assert summary["submitted"] == 3
    assert summary["agreement"] == 1
