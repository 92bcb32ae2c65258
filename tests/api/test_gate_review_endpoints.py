"""Gate reviews through the API, end to end with the real services: the chair assigns a reviewer
and opens the gate, reviewers declare conflicts and score, the chair closes and decides. Each step
checked for the roles that may (200/201), may not (403) and cannot see the gate (404)."""

from __future__ import annotations

import pytest

from milestones.models import GateCriterion, GateDecision, ReviewerAssignment, Scorecard
from projects.models import Project
from tests.api.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SEES_GATE = {"admin": True, "chair": True, "reviewer": True, "lead": True, "member": True, "other_lead": False, "outsider": False}


@pytest.mark.parametrize("role", sorted(SEES_GATE))
def test_gate_detail_visibility_per_role(world, role):
    response = world.client(role).get(f"/api/v1/gate-reviews/{world.gate.pk}/")
    if SEES_GATE[role]:
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "scheduled"
        assert sorted(body["available_transitions"]) == (["cancel", "open"] if role in ("admin", "chair") else [])
    else:
        assert_error(response, 404, "not_found")


def test_a_reviewer_sees_only_the_gates_assigned_to_them(world):
    from tests.factories import GateReviewFactory

    other_gate = GateReviewFactory(project=world.project, chair=world.users["chair"], committee=world.gate.committee)
    ids = {row["id"] for row in world.client("reviewer").get("/api/v1/gate-reviews/").json()["results"]}
    assert ids == {world.gate.pk}
    assert_error(world.client("reviewer").get(f"/api/v1/gate-reviews/{other_gate.pk}/"), 404, "not_found")


@pytest.fixture
def criteria(world):
    must = GateCriterion.objects.create(gate=world.gate, kind="must", title="合规", order=1)
    should = GateCriterion.objects.create(gate=world.gate, kind="should", title="技术先进性", weight=1, order=2)
    return must, should


def test_full_gate_round_through_the_api(world, criteria):
    must, should = criteria
    Project.objects.filter(pk=world.project.pk).update(status="screening")
    type(world.gate).objects.filter(pk=world.gate.pk).update(quorum=1)
    world.milestone.delete()  # approval creates the milestones from the tier's template
    gate_url = f"/api/v1/gate-reviews/{world.gate.pk}/"
    chair, reviewer = world.client("chair"), world.client("reviewer")

    # Assigning: the chair may; the PM lead sees the gate but may not (403).
    extra = UserFactory()
    assert_error(world.client("lead").post(gate_url + "reviewers/", {"reviewer": extra.pk}, format="json"), 403, "forbidden")
    response = chair.post(gate_url + "reviewers/", {"reviewer": extra.pk}, format="json")
    assert response.status_code == 201, response.json()

    # Opening: chair only.
    assert_error(reviewer.post(gate_url + "transitions/open/", {}, format="json"), 403, "forbidden")
    assert chair.post(gate_url + "transitions/open/", {}, format="json").json()["status"] == "open"

    # The reviewer declares no conflict, saves and submits a scorecard.
    assignment = ReviewerAssignment.objects.get(gate=world.gate, reviewer=world.users["reviewer"])
    a_url = f"/api/v1/assignments/{assignment.pk}/"
    assert reviewer.post(a_url + "conflict/", {"has_conflict": False}, format="json").json()["has_conflict"] is False
    draft = reviewer.post(a_url + "scorecard/", {"scores": {str(must.pk): True}, "recommendation": "go"}, format="json")
    assert draft.status_code == 200, draft.json()
    assert draft.json()["submitted_at"] is None
    incomplete = reviewer.post(a_url + "scorecard/submit/", {}, format="json")
    assert_error(incomplete, 400, "invalid")
    card = {"scores": {str(must.pk): True, str(should.pk): 85}, "recommendation": "go"}
    done = reviewer.post(a_url + "scorecard/submit/", card, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["submitted_at"] is not None
    # Submitted scorecards are immutable: 409.
    assert_error(reviewer.post(a_url + "scorecard/", {"comments": "改"}, format="json"), 409, "conflict")
    # Someone else's assignment is not even visible to the reviewer.
    other = ReviewerAssignment.objects.get(gate=world.gate, reviewer=extra)
    assert_error(
        reviewer.post(f"/api/v1/assignments/{other.pk}/conflict/", {"has_conflict": True}, format="json"), 404, "not_found"
    )

    # Closing and deciding: chair only; a second decision is a conflict.
    assert chair.post(gate_url + "transitions/close/", {}, format="json").json()["status"] == "closed"
    assert_error(reviewer.post(gate_url + "decision/", {"outcome": "go"}, format="json"), 403, "forbidden")
    response = chair.post(gate_url + "decision/", {"outcome": "go", "rationale": "评审通过"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "go"
    assert GateDecision.objects.filter(gate=world.gate).count() == 1
    second = chair.post(gate_url + "decision/", {"outcome": "kill", "rationale": "改变主意"}, format="json")
    assert_error(second, 409, "conflict")
    assert chair.get(gate_url).json()["status"] == "decided"
    assert Project.objects.get(pk=world.project.pk).status == "approved"


def test_scorecard_input_types_are_checked_before_the_service(world, criteria):
    assignment = ReviewerAssignment.objects.get(gate=world.gate, reviewer=world.users["reviewer"])
    response = world.client("reviewer").post(
        f"/api/v1/assignments/{assignment.pk}/scorecard/", {"recommendation": "maybe", "champion": "x"}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert {"recommendation", "champion"} <= set(error["fields"])
    assert not Scorecard.objects.exists()


def test_decision_with_bad_outcome_and_dates_is_400(world):
    response = world.client("chair").post(
        f"/api/v1/gate-reviews/{world.gate.pk}/decision/",
        {"outcome": "perhaps", "new_due_date": "2026-02-31", "conditions": [{"title": ""}]},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert {"outcome", "new_due_date"} <= set(error["fields"])
    assert any(k.startswith("conditions") for k in error["fields"])
