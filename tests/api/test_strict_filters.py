"""Boolean and id filters are validated (a value that is not one is a 400 naming the parameter,
never silently ignored), and ids — in filters, bodies and URLs — are ASCII digits only: a
full-width ``１`` is not project 1."""

from __future__ import annotations

import pytest

from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

BOOLEAN_FILTERS = [
    ("/api/v1/projects/", "non_consensus_track"),
    ("/api/v1/assessment-rounds/", "is_open"),
    ("/api/v1/notifications/", "unread"),
    ("/api/v1/tasks/", "blocked"),
    ("/api/v1/assignments/", "has_conflict"),
    ("/api/v1/scorecards/", "submitted"),
    ("/api/v1/milestones/", "is_final"),
    ("/api/v1/plan-versions/", "is_baseline"),
]


@pytest.mark.parametrize(("path", "param"), BOOLEAN_FILTERS)
def test_a_boolean_filter_takes_booleans_and_refuses_the_rest_naming_it(world, path, param):
    client = world.client("admin")
    for value in ["maybe", "null", "2", "yes please", "真"]:
        error = assert_error(client.get(path, {param: value}), 400, "invalid")
        assert param in error["fields"], error
    for value in ["true", "false", "True", "0", "1"]:
        assert client.get(path, {param: value}).status_code == 200


def test_the_boolean_filter_filters(world):
    Project.objects.filter(pk=world.project.pk).update(non_consensus_track=True)
    client = world.client("admin")
    on = {r["id"] for r in client.get("/api/v1/projects/", {"non_consensus_track": "true"}).json()["results"]}
    off = {r["id"] for r in client.get("/api/v1/projects/", {"non_consensus_track": "false"}).json()["results"]}
    assert on == {world.project.pk}
    assert world.other_project.pk in off and world.project.pk not in off


ID_FILTERS = [
    ("/api/v1/projects/", "pm_team"),
    ("/api/v1/tasks/", "owner"),
    ("/api/v1/gate-reviews/", "project"),
    ("/api/v1/decisions/", "gate"),
    ("/api/v1/audit/", "actor"),
]


@pytest.mark.parametrize(("path", "param"), ID_FILTERS)
def test_an_id_filter_takes_positive_ascii_integers_only(world, path, param):
    for value in ["0", "-1", "１", "1.5", "1e3", " 1", str(2**63)]:
        error = assert_error(world.client("admin").get(path, {param: value}), 400, "invalid")
        assert param in error["fields"], error


def test_an_id_filter_filters(world):
    rows = world.client("admin").get("/api/v1/projects/", {"pm_team": str(world.project.pm_team_id)}).json()["results"]
    assert {r["id"] for r in rows} == {world.project.pk}


def test_a_full_width_id_in_the_url_is_404(world):
    client = world.client("admin")
    for path, pk in [
        ("/api/v1/projects/{fw}/", world.project.pk),
        ("/api/v1/projects/{fw}/transitions/submit/", world.project.pk),
        ("/api/v1/milestones/{fw}/", world.milestone.pk),
        ("/api/v1/gate-reviews/{fw}/", world.gate.pk),
        ("/api/v1/pm-teams/{fw}/", world.project.pm_team_id),
    ]:
        url = path.format(fw="".join(chr(ord(c) - ord("0") + ord("０")) for c in str(pk)))
        assert client.get(path.format(fw=pk)).status_code in (200, 405)  # the ASCII twin exists
        response = client.post(url, {}, format="json") if "transitions" in url else client.get(url)
        assert_error(response, 404, "not_found")


def test_an_id_in_a_body_is_an_integer_not_a_lookalike(world):
    for value in ["１２", "12.0", True, 1.5, "0x1", "-1", 0]:
        body = {"title": "清单", "pm_team": value}
        error = assert_error(world.client("admin").post("/api/v1/task-lists/", body, format="json"), 400, "invalid")
        assert "pm_team" in error["fields"], (value, error)


def test_the_schema_states_minimum_1_for_id_filters_and_boolean_for_boolean_filters(world):
    schema = world.client("admin").get("/api/schema/?format=json").json()
    params = {
        (path, p["name"]): p["schema"]
        for path, item in schema["paths"].items()
        for p in item.get("get", {}).get("parameters", [])
        if p["in"] == "query"
    }
    for path, param in ID_FILTERS:
        assert params[(path, param)]["type"] == "integer", params[(path, param)]
        assert params[(path, param)]["minimum"] == 1
    for path, param in BOOLEAN_FILTERS:
        assert params[(path, param)]["type"] == "boolean", params[(path, param)]
