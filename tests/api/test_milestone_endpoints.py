"""Milestones: visible with their project (404 otherwise); transitions by the PM team (start,
submit), refused for reviewers (403); tranche release only for a passed milestone (409 otherwise)."""

from __future__ import annotations

import pytest

from milestones.models import Milestone
from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

SEES = {"admin": True, "lead": True, "member": True, "reviewer": True, "chair": True, "other_lead": False, "outsider": False}


@pytest.mark.parametrize("role", sorted(SEES))
def test_milestone_visible_only_with_its_project(world, role):
    response = world.client(role).get(f"/api/v1/milestones/{world.milestone.pk}/")
    if SEES[role]:
        assert response.status_code == 200
        assert response.json()["project"] == world.project.pk
    else:
        assert_error(response, 404, "not_found")
    listed = {r["id"] for r in world.client(role).get("/api/v1/milestones/").json()["results"]}
    assert (world.milestone.pk in listed) is SEES[role]


def test_pm_member_starts_a_milestone_of_an_active_project(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    url = f"/api/v1/milestones/{world.milestone.pk}/"
    assert world.client("member").get(url).json()["available_transitions"] == ["start"]
    response = world.client("member").post(url + "transitions/start/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in_progress"


def test_reviewer_may_not_start_a_milestone(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    response = world.client("reviewer").post(f"/api/v1/milestones/{world.milestone.pk}/transitions/start/", {}, format="json")
    assert_error(response, 403, "forbidden")
    assert Milestone.objects.get(pk=world.milestone.pk).status == "planned"


def test_tranche_release_of_a_milestone_not_passed_is_409(world):
    response = world.client("admin").post(f"/api/v1/milestones/{world.milestone.pk}/tranche-release/", {}, format="json")
    assert_error(response, 409, "conflict")


def test_tranche_release_by_someone_without_the_right_is_403(world):
    Milestone.objects.filter(pk=world.milestone.pk).update(status="passed")
    response = world.client("member").post(f"/api/v1/milestones/{world.milestone.pk}/tranche-release/", {}, format="json")
    assert_error(response, 403, "forbidden")


def test_filters_by_project_and_status(world):
    rows = world.client("admin").get("/api/v1/milestones/", {"project": world.project.pk, "status": "planned"}).json()
    assert [r["id"] for r in rows["results"]] == [world.milestone.pk]
