"""POST /api/v1/<resource>/<id>/transitions/<name>/ for every FSM resource: 200 from every state
the FSM allows, 409 (row untouched) from every other state, 403 for a role without the permission,
404 for an object the user cannot see or an unknown transition, 400 for a missing reason."""

from __future__ import annotations

import pytest

from milestones.api.serializers import CHANGE_EXPOSED, GATE_EXPOSED, MILESTONE_EXPOSED
from milestones.models import ChangeRequest, GateReview, Milestone
from pmflow.models import AuditEntry
from projects.api.serializers import PROJECT_EXPOSED
from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def _matrix(model, exposed=None):
    """(transition name, [(state, allowed?) for every state]) for every exposed transition of ``model``."""
    field = model._meta.get_field("status")
    states = [value for value, _label in field.choices]
    sources: dict[str, set[str]] = {}
    targets: dict[str, str] = {}
    for t in field.get_all_transitions(model):
        sources.setdefault(t.name, set()).add(t.source)
        targets[t.name] = t.target
    return [
        pytest.param(name, [(s, s in srcs or "*" in srcs) for s in states], targets[name], id=name)
        for name, srcs in sorted(sources.items())
        if exposed is None or name in exposed
    ]


def _run_from_every_state(client, model, pk, url, name, cases, target, reason="按评审意见处理"):
    """From each state: 200 and the target state where the FSM allows it, else 409 and the row untouched."""
    for state, allowed in cases:
        model.objects.filter(pk=pk).update(status=state)
        response = client.post(url, {"reason": reason}, format="json")
        if allowed:
            assert response.status_code == 200, (state, response.json())
            assert response.json()["status"] == target
            assert model.objects.get(pk=pk).status == target
        else:
            assert_error(response, 409, "conflict")
            assert model.objects.get(pk=pk).status == state


@pytest.mark.parametrize(("name", "cases", "target"), _matrix(Project, PROJECT_EXPOSED))
def test_project_transition_from_each_state(world, name, cases, target):
    role = "lead" if name == "submit" else "admin"
    url = f"/api/v1/projects/{world.project.pk}/transitions/{name}/"
    _run_from_every_state(world.client(role), Project, world.project.pk, url, name, cases, target)
    allowed = sum(1 for _s, ok in cases if ok)
    assert AuditEntry.objects.filter(object_id=str(world.project.pk), action=name).count() == allowed


@pytest.mark.parametrize(("name", "cases", "target"), _matrix(Milestone, MILESTONE_EXPOSED))
def test_milestone_transition_from_each_state(world, name, cases, target):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    url = f"/api/v1/milestones/{world.milestone.pk}/transitions/{name}/"
    _run_from_every_state(world.client("admin"), Milestone, world.milestone.pk, url, name, cases, target)


@pytest.mark.parametrize(("name", "cases", "target"), _matrix(GateReview, GATE_EXPOSED))
def test_gate_review_transition_from_each_state(world, name, cases, target):
    url = f"/api/v1/gate-reviews/{world.gate.pk}/transitions/{name}/"
    _run_from_every_state(world.client("chair"), GateReview, world.gate.pk, url, name, cases, target)


@pytest.fixture
def change_request(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    return ChangeRequest.objects.create(
        project=world.project,
        kind="rescope",
        milestone=world.milestone,
        reason="调整内容",
        payload={"deliverables": "新的交付物"},
        created_by=world.users["lead"],
    )


@pytest.mark.parametrize(("name", "cases", "target"), _matrix(ChangeRequest, CHANGE_EXPOSED))
def test_change_request_transition_from_each_state(world, change_request, name, cases, target):
    url = f"/api/v1/change-requests/{change_request.pk}/transitions/{name}/"
    _run_from_every_state(world.client("admin"), ChangeRequest, change_request.pk, url, name, cases, target)


def test_transition_without_permission_is_403_and_changes_nothing(world):
    # The reviewer sees the project but may not submit it.
    response = world.client("reviewer").post(f"/api/v1/projects/{world.project.pk}/transitions/submit/", {}, format="json")
    assert_error(response, 403, "forbidden")
    assert Project.objects.get(pk=world.project.pk).status == "draft"


def test_transition_on_an_invisible_object_is_404(world):
    response = world.client("other_lead").post(f"/api/v1/projects/{world.project.pk}/transitions/submit/", {}, format="json")
    assert_error(response, 404, "not_found")
    response = world.client("reviewer").post(
        f"/api/v1/milestones/{world.other_milestone.pk}/transitions/start/", {}, format="json"
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("resource", "name"),
    [("milestones", n) for n in ("open_review", "pass_gate", "pass_with_conditions", "hold", "recycle", "fail", "cancel")]
    + [("gate-reviews", "decide")]
    + [("projects", n) for n in sorted(Project.EFFECT_ONLY_TRANSITIONS)],
)
def test_transitions_that_only_follow_from_a_decision_or_change_are_not_exposed(world, resource, name):
    """Gate outcomes move milestones and projects through POST /gate-reviews/{id}/decision/ (with its
    effects: tranche release, condition tasks, termination); cancelling a milestone goes through a
    change request; screening starts when the screening gate is scheduled."""
    pk = {"milestones": world.milestone.pk, "gate-reviews": world.gate.pk, "projects": world.project.pk}[resource]
    response = world.client("admin").post(f"/api/v1/{resource}/{pk}/transitions/{name}/", {}, format="json")
    assert_error(response, 404, "not_found")


def test_unknown_transition_is_404(world):
    response = world.client("admin").post(f"/api/v1/projects/{world.project.pk}/transitions/fly/", {}, format="json")
    assert_error(response, 404, "not_found")


def test_transition_that_needs_a_reason_without_one_is_400(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    response = world.client("admin").post(f"/api/v1/projects/{world.project.pk}/transitions/suspend/", {}, format="json")
    error = assert_error(response, 400, "invalid")
    assert "reason" in error["fields"]
    assert Project.objects.get(pk=world.project.pk).status == "active"


def test_reason_must_be_a_string_without_nul_bytes(world):
    url = f"/api/v1/projects/{world.project.pk}/transitions/submit/"
    error = assert_error(world.client("lead").post(url, {"reason": "a\x00b"}, format="json"), 400, "invalid")
    assert "reason" in error["fields"]
    error = assert_error(world.client("lead").post(url, ["submit"], format="json"), 400, "invalid")
    assert Project.objects.get(pk=world.project.pk).status == "draft"


def test_transition_response_is_the_updated_detail_with_new_available_transitions(world):
    response = world.client("lead").post(
        f"/api/v1/projects/{world.project.pk}/transitions/submit/", {"reason": "材料齐全"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert "submit" not in body["available_transitions"]
    entry = AuditEntry.objects.get(object_id=str(world.project.pk), action="submit")
    assert entry.reason == "材料齐全" and entry.actor == world.users["lead"]
