"""Change requests: the PM team files (201) and previews; others get 403 / 404; bad payloads 400;
the lifecycle runs through the change-request services."""

from __future__ import annotations

import pytest

from milestones.models import ChangeRequest
from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    return world


def _body(world, **over):
    data = {
        "project": world.project.pk,
        "kind": "rescope",
        "milestone": world.milestone.pk,
        "payload": {"deliverables": "样机两台"},
        "reason": "评审建议调整交付物",
    }
    data.update(over)
    return data


def test_pm_member_files_and_submits_a_change_request(active):
    world = active
    response = world.client("member").post("/api/v1/change-requests/", _body(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and "submit" in body["available_transitions"]
    submitted = world.client("member").post(f"/api/v1/change-requests/{body['id']}/transitions/submit/", {}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"


@pytest.mark.parametrize(("role", "status", "code"), [("reviewer", 403, "forbidden"), ("other_lead", 404, "not_found")])
def test_others_may_not_file_a_change_request(active, role, status, code):
    response = active.client(role).post("/api/v1/change-requests/", _body(active), format="json")
    assert_error(response, status, code)
    assert not ChangeRequest.objects.exists()


def test_preview_shows_before_and_after_and_saves_nothing(active):
    response = active.client("member").post(
        "/api/v1/change-requests/preview/",
        {"project": active.project.pk, "kind": "rescope", "milestone": active.milestone.pk, "payload": {"deliverables": "新"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["after"] and response.json()["before"]
    assert not ChangeRequest.objects.exists()


def test_preview_by_a_reviewer_is_403(active):
    response = active.client("reviewer").post(
        "/api/v1/change-requests/preview/",
        {"project": active.project.pk, "kind": "rescope", "milestone": active.milestone.pk, "payload": {"deliverables": "新"}},
        format="json",
    )
    assert_error(response, 403, "forbidden")


def test_bad_change_request_input_is_400_and_saves_nothing(active):
    response = active.client("member").post(
        "/api/v1/change-requests/", _body(active, kind="teleport", reason="", payload=[1]), format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert {"kind", "reason", "payload"} <= set(error["fields"])
    assert not ChangeRequest.objects.exists()


def test_nul_bytes_inside_the_payload_are_400_not_500(active):
    response = active.client("member").post(
        "/api/v1/change-requests/", _body(active, payload={"deliverables": "a\u0000b"}), format="json"
    )
    assert response.status_code == 400, response.json()
    assert not ChangeRequest.objects.exists()
