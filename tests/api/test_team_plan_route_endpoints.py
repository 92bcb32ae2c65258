"""PM teams (admins create and add members; members see their team; others 404), cultivation plan
versions and technology routes (the PM team writes; reviewers 403; other teams 404)."""

from __future__ import annotations

import pytest

from projects.models import PlanVersion, PMTeam, PMTeamMembership, TechnologyRoute
from tests.api.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pm_team_visibility(world):
    team = world.project.pm_team
    assert world.client("member").get(f"/api/v1/pm-teams/{team.pk}/").status_code == 200
    assert world.client("reviewer").get(f"/api/v1/pm-teams/{team.pk}/").status_code == 200  # sees a project of it
    assert_error(world.client("other_lead").get(f"/api/v1/pm-teams/{team.pk}/"), 404, "not_found")
    assert_error(world.client("outsider").get(f"/api/v1/pm-teams/{team.pk}/"), 404, "not_found")


def test_admin_creates_a_team_and_adds_a_member(world):
    lead = UserFactory()
    response = world.client("admin").post(
        "/api/v1/pm-teams/",
        {
            "code": "team-new",
            "name": "新团队",
            "lead": lead.pk,
            "term_start": "2026-01-01",
            "term_end": "2028-12-31",
            "fields": ["quantum"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    team = PMTeam.objects.get(code="team-new")
    newcomer = UserFactory()
    added = world.client("admin").post(f"/api/v1/pm-teams/{team.pk}/members/", {"user": newcomer.pk}, format="json")
    assert added.status_code == 201
    assert PMTeamMembership.objects.filter(team=team, user=newcomer, role="member").exists()


def test_non_admins_may_not_create_teams_or_add_members(world):
    team = world.project.pm_team
    response = world.client("lead").post(
        "/api/v1/pm-teams/",
        {"code": "x", "name": "x", "lead": world.users["lead"].pk, "term_start": "2026-01-01", "term_end": "2027-01-01"},
        format="json",
    )
    assert_error(response, 403, "forbidden")
    added = world.client("lead").post(f"/api/v1/pm-teams/{team.pk}/members/", {"user": world.users["outsider"].pk}, format="json")
    assert_error(added, 403, "forbidden")


def test_plan_versions_baseline_then_revision(world):
    client = world.client("member")
    first = client.post(
        "/api/v1/plan-versions/",
        {"project": world.project.pk, "objectives": "攻克关键技术", "budget_breakdown": {"设备": "1000000.00"}},
        format="json",
    )
    assert first.status_code == 201, first.json()
    assert first.json()["is_baseline"] is True and first.json()["version"] == 1
    no_note = client.post("/api/v1/plan-versions/", {"project": world.project.pk, "objectives": "修订"}, format="json")
    assert "change_note" in assert_error(no_note, 400, "invalid")["fields"]
    second = client.post(
        "/api/v1/plan-versions/", {"project": world.project.pk, "objectives": "修订", "change_note": "评审意见"}, format="json"
    )
    assert second.status_code == 201 and second.json()["version"] == 2
    rows = client.get("/api/v1/plan-versions/", {"project": world.project.pk}).json()["results"]
    assert [r["version"] for r in rows] == [1, 2]


@pytest.mark.parametrize(("role", "status", "code"), [("reviewer", 403, "forbidden"), ("other_lead", 404, "not_found")])
def test_plan_versions_and_routes_refused_for_others(world, role, status, code):
    plan = world.client(role).post("/api/v1/plan-versions/", {"project": world.project.pk, "objectives": "x"}, format="json")
    assert_error(plan, status, code)
    route = world.client(role).post("/api/v1/routes/", {"project": world.project.pk, "name": "路线A"}, format="json")
    assert_error(route, status, code)
    assert not PlanVersion.objects.exists() and not TechnologyRoute.objects.exists()


def test_routes_added_by_the_team_and_duplicates_refused(world):
    client = world.client("lead")
    body = {"project": world.project.pk, "name": "超导路线", "family": "superconducting"}
    assert client.post("/api/v1/routes/", body, format="json").status_code == 201
    assert "name" in assert_error(client.post("/api/v1/routes/", body, format="json"), 400, "invalid")["fields"]
    assert client.get("/api/v1/routes/", {"family": "superconducting"}).json()["count"] == 1


def test_plan_budget_breakdown_amounts_are_type_checked(world):
    response = world.client("lead").post(
        "/api/v1/plan-versions/",
        {"project": world.project.pk, "objectives": "x", "budget_breakdown": {"设备": "lots", "人员": "1e30"}},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert any(k.startswith("budget_breakdown") for k in error["fields"])
