"""One error body everywhere — {"error": {"code", "message", "fields"}} — and never a 500, for
malformed bodies, wrong types, out-of-range numbers, NUL bytes, bad query parameters and URLs."""

from __future__ import annotations

import pytest

from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400(world):
    response = world.client("lead").generic("POST", "/api/v1/projects/", "{not json", content_type="application/json")
    assert_error(response, 400, "invalid")


def test_form_encoded_body_is_415(world):
    response = world.client("lead").post("/api/v1/projects/", {"title": "x"})  # multipart
    assert_error(response, 415, "unsupported_media_type")


def test_json_array_body_is_400(world):
    assert_error(world.client("lead").post("/api/v1/projects/", [1, 2], format="json"), 400, "invalid")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("budget", "1e400"),
        ("budget", "NaN"),
        ("budget", "99999999999999999999999"),
        ("budget", "-5"),
        ("pm_team", 2**70),
        ("pm_team", -1),
        ("performer", "１２"),
        ("planned_start", "2026-02-30"),
        ("planned_end", 20260101),
        ("title", "含有\x00空字符"),
        ("support_mode", "gift"),
        ("sandbox_supervision", "perhaps"),
    ],
)
def test_bad_typed_values_are_400_naming_the_field_and_save_nothing(world, field, value):
    data = {
        "title": "项目",
        "field": "quantum",
        "pm_team": world.project.pm_team_id,
        "performer": world.project.performer_id,
        "lead": world.users["lead"].pk,
        "budget": "100.00",
        "support_mode": "direct_subsidy",
        "planned_start": "2026-03-02",
        "planned_end": "2028-06-30",
        field: value,
    }
    before = Project.objects.count()
    error = assert_error(world.client("lead").post("/api/v1/projects/", data, format="json"), 400, "invalid")
    assert field in error["fields"]
    assert Project.objects.count() == before


@pytest.mark.parametrize(
    "query",
    [
        {"page": "0"},
        {"page": "abc"},
        {"page_size": "1000"},
        {"page_size": "-1"},
        {"ordering": "password"},
        {"status": "flying"},
        {"pm_team": "abc"},
        {"pm_team": str(2**80)},
        {"planned_end_before": "2026-99-01"},
        {"q": "a\x00b"},
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(world, query):
    error = assert_error(world.client("admin").get("/api/v1/projects/", query), 400, "invalid")
    assert set(query) <= set(error["fields"])


def test_page_past_the_end_is_404(world):
    assert_error(world.client("admin").get("/api/v1/projects/", {"page": 999}), 404, "not_found")


def test_page_size_and_ordering_work(world):
    response = world.client("admin").get("/api/v1/projects/", {"page_size": 1, "ordering": "-code"})
    body = response.json()
    assert response.status_code == 200 and len(body["results"]) == 1 and body["count"] == 2
    assert body["results"][0]["code"] == max(world.project.code, world.other_project.code)


@pytest.mark.parametrize("pk", ["abc", str(2**80), "-1", "0"])
def test_odd_ids_in_the_path_are_404(world, pk):
    assert_error(world.client("admin").get(f"/api/v1/projects/{pk}/"), 404, "not_found")


def test_unknown_api_url_is_a_json_404(world):
    response = world.client("admin").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_filters_narrow_the_list(world):
    response = world.client("admin").get("/api/v1/projects/", {"pm_team": world.project.pm_team_id, "status": "draft"})
    assert [r["code"] for r in response.json()["results"]] == [world.project.code]
