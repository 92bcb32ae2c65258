"""The project list's fast path (tuples, one window-count query) returns exactly what
ProjectSerializer would for the same rows, with DRF's pagination links."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIRequestFactory

from projects.api.serializers import ProjectDetailSerializer, ProjectSerializer
from projects.models import Project
from projects.selectors.projects import projects_visible_to
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_fast_list_rows_equal_the_serializer(world):
    team = world.project.pm_team
    ProjectFactory(pm_team=team, lead=UserFactory(display_name=""), window_extended_to=dt.date(2031, 1, 1))
    ProjectFactory.create_batch(3, pm_team=team)
    response = world.client("lead").get("/api/v1/projects/", {"page_size": 2, "page": 2, "ordering": "code"})
    assert response.status_code == 200
    body = response.json()
    expected_rows = Project.objects.filter(pm_team=team).order_by("code")[2:4]
    request = APIRequestFactory().get("/")
    assert body["results"] == [ProjectSerializer(p, context={"request": request}).data for p in expected_rows]
    assert body["count"] == 5
    assert body["next"].endswith("page=3&page_size=2&ordering=code") or "page=3" in body["next"]
    assert "page=" not in body["previous"]


def test_empty_first_page_is_200_and_later_pages_404(world):
    client = world.client("outsider")
    assert client.get("/api/v1/projects/").json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get("/api/v1/projects/", {"page": 2}).status_code == 404


# --- the default list (compiled, one prepared statement) and the detail ---------------------------------
def _varied_projects(team):
    """Rows that exercise every formatting rule: a lead without a display name, an extended window,
    a timestamp with zero microseconds, a budget with cents."""
    ProjectFactory(pm_team=team, lead=UserFactory(display_name=""), window_extended_to=dt.date(2031, 1, 1))
    whole = ProjectFactory(pm_team=team, budget="1234567.05")
    Project.objects.filter(pk=whole.pk).update(created_at=dt.datetime(2026, 3, 1, 4, 5, 6, tzinfo=dt.UTC))
    ProjectFactory.create_batch(3, pm_team=team)


@pytest.mark.parametrize("role", ["admin", "lead", "member", "chair", "reviewer", "outsider"])
def test_default_list_pages_equal_the_serializer_for_every_role(world, role):
    _varied_projects(world.project.pm_team)
    user = world.users[role]
    expected = list(projects_visible_to(user))  # the model's ordering
    request = APIRequestFactory().get("/")
    client = world.client(role)
    seen = []
    page = 1
    while True:
        response = client.get("/api/v1/projects/", {"page_size": 2, "page": page})
        if page > 1 and not expected[(page - 1) * 2 :]:
            assert response.status_code == 404
            break
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(expected)
        assert (body["previous"] is None) == (page == 1)
        assert (body["next"] is None) == (page * 2 >= len(expected))
        seen += body["results"]
        if body["next"] is None:
            break
        page += 1
    assert seen == [ProjectSerializer(p, context={"request": request}).data for p in expected]


def test_default_list_is_one_query_after_authentication(world, django_assert_num_queries):
    _varied_projects(world.project.pm_team)
    client = world.client("lead")
    for size in (1, 5, 50):
        with django_assert_num_queries(2):  # the token (with the admin check), then the page
            assert client.get("/api/v1/projects/", {"page_size": size}).status_code == 200


@pytest.mark.parametrize("role", ["admin", "lead", "member", "chair", "reviewer"])
def test_detail_equals_the_detail_serializer(world, role):
    _varied_projects(world.project.pm_team)
    user = world.users[role]
    request = APIRequestFactory().get("/")
    request.user = user
    for project in projects_visible_to(user):
        response = world.client(role).get(f"/api/v1/projects/{project.pk}/")
        assert response.status_code == 200
        assert response.json() == ProjectDetailSerializer(project, context={"request": request}).data


def test_detail_of_an_invisible_or_missing_project_is_404(world):
    client = world.client("other_lead")
    assert client.get(f"/api/v1/projects/{world.project.pk}/").status_code == 404
    for pk in ("0", "-1", str(2**63), "99999999", "abc"):
        assert client.get(f"/api/v1/projects/{pk}/").status_code == 404
