"""The project list's fast path (tuples, one window-count query) returns exactly what
ProjectSerializer would for the same rows, with DRF's pagination links."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIRequestFactory

from projects.api.serializers import ProjectSerializer
from projects.models import Project
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
