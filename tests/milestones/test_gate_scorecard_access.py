"""Conflict of interest first: a recused or unassigned reviewer can neither score nor read the
others' scorecards; a submitted scorecard is immutable."""

from __future__ import annotations

import pytest

from milestones.models import GateCriterion, ReviewerAssignment, Scorecard
from milestones.selectors.gates import scorecards_visible_to
from milestones.services.gates import assignment_declare_conflict, scorecard_save, scorecard_submit
from pmflow.errors import Conflict, Forbidden, InvalidInput
from tests.factories import UserFactory
from tests.milestones.conftest import project_in, review, screening_gate

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate(cast):
    return screening_gate(cast, project_in(cast), reviewers=4)


def _scores(gate, value=70, passed=True):
    return {c.pk: (passed if c.kind == GateCriterion.Kind.MUST else value) for c in GateCriterion.objects.filter(gate=gate)}


def test_a_recused_reviewer_cannot_score_or_read_scorecards(cast, gate):
    review(gate, cast.reviewers[0], rec="go")
    recused = cast.reviewers[1]
    review(gate, recused, conflict=True)
    with pytest.raises(Forbidden):
        scorecard_save(actor=recused, gate_id=gate.pk, scores=_scores(gate), recommendation="go")
    with pytest.raises(Forbidden):
        scorecard_submit(actor=recused, gate_id=gate.pk, scores=_scores(gate), recommendation="go")
    assert not Scorecard.objects.filter(assignment__reviewer=recused).exists()
    assert list(scorecards_visible_to(recused, gate)) == []
    assert not recused.has_perm("milestones.score_gate", gate)
    assert not recused.has_perm("milestones.read_scorecards", gate)


def test_a_recusal_cannot_be_withdrawn(cast, gate):
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=cast.reviewers[0])
    assignment_declare_conflict(actor=cast.reviewers[0], assignment_id=assignment.pk, has_conflict=True, note="曾合作")
    with pytest.raises(Conflict):
        assignment_declare_conflict(actor=cast.reviewers[0], assignment_id=assignment.pk, has_conflict=False)


def test_an_unassigned_user_cannot_score_or_read_scorecards(cast, gate):
    review(gate, cast.reviewers[0], rec="go")
    outsider = cast.reviewers[4]  # on the committee but not assigned to this gate
    with pytest.raises(Forbidden):
        scorecard_save(actor=outsider, gate_id=gate.pk, scores=_scores(gate), recommendation="go")
    assert list(scorecards_visible_to(outsider, gate)) == []
    assert list(scorecards_visible_to(cast.pm_lead, gate)) == []
    assert list(scorecards_visible_to(UserFactory(), gate)) == []


def test_someone_else_cannot_declare_for_a_reviewer(cast, gate):
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=cast.reviewers[0])
    with pytest.raises(Forbidden):
        assignment_declare_conflict(actor=cast.reviewers[1], assignment_id=assignment.pk, has_conflict=False)


def test_scoring_before_declaring_is_refused(cast, gate):
    with pytest.raises(Forbidden):
        scorecard_save(actor=cast.reviewers[0], gate_id=gate.pk, scores=_scores(gate), recommendation="go")


def test_a_submitted_scorecard_cannot_be_edited(cast, gate):
    reviewer = cast.reviewers[0]
    review(gate, reviewer, rec="go", score=80)
    card = Scorecard.objects.get(assignment__reviewer=reviewer, assignment__gate=gate)
    with pytest.raises(Conflict):
        scorecard_save(actor=reviewer, gate_id=gate.pk, scores=_scores(gate, 10), recommendation="kill")
    with pytest.raises(Conflict):
        scorecard_submit(actor=reviewer, gate_id=gate.pk)
    card.refresh_from_db()
    assert card.recommendation == "go"
    assert {s.score for s in card.scores.all() if s.score is not None} == {80}


def test_a_draft_is_editable_until_submitted(cast, gate):
    reviewer = cast.reviewers[0]
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=reviewer)
    assignment_declare_conflict(actor=reviewer, assignment_id=assignment.pk, has_conflict=False)
    scorecard_save(actor=reviewer, gate_id=gate.pk, scores=_scores(gate, 50), recommendation="hold", comments="初稿")
    scorecard_save(actor=reviewer, assignment_id=assignment.pk, scores=_scores(gate, 90), recommendation="go", comments="定稿")
    card = scorecard_submit(actor=reviewer, gate_id=gate.pk)
    assert card.recommendation == "go" and card.comments == "定稿"
    assert card.weighted_score == 90
    assert card.submitted_at is not None


def test_reviewers_read_others_submitted_cards_only_after_submitting_their_own(cast, gate):
    review(gate, cast.reviewers[0], rec="go")
    second = cast.reviewers[1]
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=second)
    assignment_declare_conflict(actor=second, assignment_id=assignment.pk, has_conflict=False)
    scorecard_save(actor=second, gate_id=gate.pk, scores=_scores(gate), recommendation="go")
    assert [c.assignment.reviewer_id for c in scorecards_visible_to(second, gate)] == [second.pk]
    scorecard_submit(actor=second, gate_id=gate.pk)
    assert {c.assignment.reviewer_id for c in scorecards_visible_to(second, gate)} == {cast.reviewers[0].pk, second.pk}
    assert len(scorecards_visible_to(cast.chair, gate)) == 2
    assert len(scorecards_visible_to(cast.admin, gate)) == 2


@pytest.mark.parametrize(
    ("value", "field"),
    [(101, "scores"), (-1, "scores"), ("eighty", "scores"), (True, "scores")],
)
def test_should_meet_scores_must_be_0_to_100(cast, gate, value, field):
    reviewer = cast.reviewers[0]
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=reviewer)
    assignment_declare_conflict(actor=reviewer, assignment_id=assignment.pk, has_conflict=False)
    should = GateCriterion.objects.filter(gate=gate, kind="should").first()
    with pytest.raises(InvalidInput) as exc:
        scorecard_save(actor=reviewer, gate_id=gate.pk, scores={should.pk: value})
    assert field in exc.value.fields


def test_must_meet_answers_are_booleans_and_every_criterion_is_answered_at_submit(cast, gate):
    reviewer = cast.reviewers[0]
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=reviewer)
    assignment_declare_conflict(actor=reviewer, assignment_id=assignment.pk, has_conflict=False)
    must = GateCriterion.objects.get(gate=gate, kind="must")
    with pytest.raises(InvalidInput):
        scorecard_save(actor=reviewer, gate_id=gate.pk, scores={must.pk: 1})
    scorecard_save(actor=reviewer, gate_id=gate.pk, scores={must.pk: True}, recommendation="go")
    with pytest.raises(InvalidInput) as exc:
        scorecard_submit(actor=reviewer, gate_id=gate.pk)
    assert "scores" in exc.value.fields
    assert Scorecard.objects.get(assignment=assignment).submitted_at is None


def test_the_champion_flag_exists_only_at_screening_gates(cast):
    from milestones.models import Milestone
    from milestones.services.milestones import milestone_start, milestone_submit
    from tests.milestones.conftest import assign_and_open, later

    project = project_in(cast, "active")
    m = Milestone.objects.create(project=project, sequence=1, title="M1", baseline_due=later(30), current_due=later(30))
    milestone_start(actor=cast.pm_member, milestone_id=m.pk)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=m.pk, committee_id=cast.committee.pk)
    gate = assign_and_open(cast, gate, reviewers=1)
    reviewer = cast.reviewers[0]
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=reviewer)
    assignment_declare_conflict(actor=reviewer, assignment_id=assignment.pk, has_conflict=False)
    with pytest.raises(InvalidInput) as exc:
        scorecard_save(actor=reviewer, gate_id=gate.pk, recommendation="go", champion=True)
    assert "champion" in exc.value.fields
