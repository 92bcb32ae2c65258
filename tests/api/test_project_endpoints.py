"""Projects: list / detail / create / update for each role — allowed, 403, 404, 401."""

from __future__ import annotations

import pytest

from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

# Who sees team A's project (list + detail): admin, its PM team, the gate chair and the assigned reviewer.
SEES_PROJECT = {
    "admin": True,
    "lead": True,
    "member": True,
    "reviewer": True,
    "chair": True,
    "other_lead": False,
    "outsider": False,
}


@pytest.mark.parametrize("role", sorted(SEES_PROJECT))
def test_project_detail_is_visible_only_to_roles_that_may_see_it(world, role):
    response = world.client(role).get(f"/api/v1/projects/{world.project.pk}/")
    if SEES_PROJECT[role]:
        assert response.status_code == 200
        body = response.json()
        assert body["code"] == world.project.code
        assert body["status"] == "draft"
        assert isinstance(body["available_transitions"], list)
    else:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("role", sorted(SEES_PROJECT))
def test_project_list_shows_only_visible_projects(world, role):
    response = world.client(role).get("/api/v1/projects/")
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()["results"]}
    assert (world.project.code in codes) is SEES_PROJECT[role]
    if role != "admin":
        assert (world.other_project.code in codes) is (role == "other_lead")


def test_anonymous_gets_401_with_the_error_body(world):
    response = world.client("anonymous").get("/api/v1/projects/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_available_transitions_name_what_the_user_may_do_now(world):
    lead = world.client("lead").get(f"/api/v1/projects/{world.project.pk}/").json()
    reviewer = world.client("reviewer").get(f"/api/v1/projects/{world.project.pk}/").json()
    assert lead["available_transitions"] == ["submit"]
    assert reviewer["available_transitions"] == []


def _payload(world, **over):
    data = {
        "title": "新型量子传感器",
        "field": "quantum",
        "pm_team": world.project.pm_team_id,
        "performer": world.project.performer_id,
        "lead": world.users["member"].pk,
        "budget": "5000000.00",
        "support_mode": "direct_subsidy",
        "planned_start": "2026-03-02",
        "planned_end": "2028-06-30",
    }
    data.update(over)
    return data


def test_pm_team_member_creates_a_draft_project(world):
    response = world.client("member").post("/api/v1/projects/", _payload(world), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["title"] == "新型量子传感器"
    assert Project.objects.filter(pk=body["id"], pm_team=world.project.pm_team).exists()


@pytest.mark.parametrize("role", ["other_lead", "reviewer", "chair", "outsider"])
def test_non_members_may_not_create_a_project_for_a_team(world, role):
    before = Project.objects.count()
    response = world.client(role).post("/api/v1/projects/", _payload(world), format="json")
    assert_error(response, 403, "forbidden")
    assert Project.objects.count() == before


def test_bad_project_input_is_400_naming_every_field_and_saves_nothing(world):
    before = Project.objects.count()
    bad = _payload(world, budget="abc", planned_start="2026-13-45", pm_team="x", title="a" * 500)
    response = world.client("lead").post("/api/v1/projects/", bad, format="json")
    error = assert_error(response, 400, "invalid")
    assert {"budget", "planned_start", "pm_team", "title"} <= set(error["fields"])
    assert Project.objects.count() == before


def test_business_rule_errors_from_the_service_are_400_with_fields(world):
    response = world.client("lead").post(
        "/api/v1/projects/", _payload(world, planned_start="2028-01-01", planned_end="2027-01-01"), format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert "planned_end" in error["fields"]


def test_lead_patches_a_draft_and_other_team_gets_404(world):
    url = f"/api/v1/projects/{world.project.pk}/"
    response = world.client("lead").patch(url, {"title": "改名后的项目"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "改名后的项目"
    assert_error(world.client("other_lead").patch(url, {"title": "x"}, format="json"), 404, "not_found")


def test_reviewer_who_sees_the_project_may_not_edit_it(world):
    response = world.client("reviewer").patch(f"/api/v1/projects/{world.project.pk}/", {"title": "x"}, format="json")
    assert_error(response, 403, "forbidden")
    world.project.refresh_from_db()
    assert world.project.title != "x"


def test_put_and_delete_are_not_allowed(world):
    url = f"/api/v1/projects/{world.project.pk}/"
    assert_error(world.client("admin").delete(url), 405, "method_not_allowed")
    assert_error(world.client("admin").put(url, {}, format="json"), 405, "method_not_allowed")
