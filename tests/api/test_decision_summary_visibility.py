"""Decision summaries shown to a role carry only what that role may see: the per-reviewer part of
``computed_summary`` (each reviewer's weighted score, the lowest, the highest, the spread) follows
the scorecard rule (``all_scorecards_visible_to``) — the chair, programme admins and unconflicted
reviewers who submitted their own card see it; a recused reviewer and the PM team do not, neither
through ``/decisions/`` nor through the gate's audit row."""

from __future__ import annotations

import pytest

from milestones.models import GateCriterion, ReviewerAssignment
from milestones.services import decisions as decision_services
from milestones.services import gates as gate_services
from projects.models import Project
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PER_REVIEWER = {"reviewer_scores", "min", "max", "std"}


@pytest.fixture
def decided(world):
    """The screening gate decided on two counted cards (85 and 60); a third reviewer recused."""
    must = GateCriterion.objects.create(gate=world.gate, kind="must", title="合规", order=1)
    should = GateCriterion.objects.create(gate=world.gate, kind="should", title="技术先进性", weight=1, order=2)
    Project.objects.filter(pk=world.project.pk).update(status="screening")
    world.milestone.delete()
    chair = world.users["chair"]
    second, recused = UserFactory(username="api-second"), UserFactory(username="api-recused")
    for user in (second, recused):
        gate_services.gate_assign_reviewer(actor=chair, gate_id=world.gate.pk, reviewer_id=user.pk)
    type(world.gate).objects.filter(pk=world.gate.pk).update(quorum=2)
    gate_services.gate_open(actor=chair, gate_id=world.gate.pk)
    for user, score in ((world.users["reviewer"], 85), (second, 60)):
        a = ReviewerAssignment.objects.get(gate=world.gate, reviewer=user)
        gate_services.assignment_declare_conflict(actor=user, assignment_id=a.pk, has_conflict=False)
        gate_services.scorecard_submit(
            actor=user, assignment_id=a.pk, scores={must.pk: True, should.pk: score}, recommendation="go"
        )
    a = ReviewerAssignment.objects.get(gate=world.gate, reviewer=recused)
    gate_services.assignment_declare_conflict(actor=recused, assignment_id=a.pk, has_conflict=True, note="同单位")
    gate_services.gate_close(actor=chair, gate_id=world.gate.pk)
    decision_services.gate_decide(actor=chair, gate_id=world.gate.pk, outcome="go", rationale="通过")
    world.users["second"], world.users["recused"] = second, recused
    return world


def _summaries(world, role):
    client = client_for(world.users[role])
    listed = client.get("/api/v1/decisions/", {"gate": world.gate.pk})
    assert listed.status_code == 200, listed.json()
    rows = listed.json()["results"]
    assert len(rows) == 1
    detail = client.get(f"/api/v1/decisions/{rows[0]['id']}/").json()
    audit = client.get("/api/v1/audit/", {"object_type": "milestones.gatereview", "object_id": str(world.gate.pk)})
    decide_rows = [r for r in audit.json()["results"] if r["data"].get("summary")]
    assert len(decide_rows) == 1
    return [rows[0]["computed_summary"], detail["computed_summary"], decide_rows[0]["data"]["summary"]]


@pytest.mark.parametrize("role", ["admin", "chair", "reviewer", "second"])
def test_chair_admin_and_counted_reviewers_see_per_reviewer_scores(decided, role):
    for summary in _summaries(decided, role):
        assert sorted(summary["reviewer_scores"]) == ["60.00", "85.00"]
        assert summary["min"] is not None and summary["max"] is not None


@pytest.mark.parametrize("role", ["recused", "lead", "member"])
def test_recused_reviewer_and_pm_team_see_no_per_reviewer_scores(decided, role):
    for summary in _summaries(decided, role):
        assert not PER_REVIEWER & set(summary), summary
        assert summary["outcome"] == "go" and summary["submitted"] == 2  # the aggregate stays
        assert "85" not in str(summary) and "60.00" not in str(summary)
