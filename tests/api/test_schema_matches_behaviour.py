"""The OpenAPI schema and the API agree: fields returned blank are allowed blank by their schema
(enum or ``BlankEnum``), text fields take strings only, and a decimal the API refuses (``""``,
full-width digits) is one the schema refuses too."""

from __future__ import annotations

import re

import pytest

from milestones.models import Assessment, AssessmentRound
from tests.api.conftest import assert_error
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

BLANKABLE = {
    "Assessment": ["scope", "time", "cost", "risk", "transfer", "overall", "recommendation"],
    "Scorecard": ["recommendation"],
    "GateDecision": ["computed_outcome"],
}


@pytest.fixture
def schema(world):
    return world.client("admin").get("/api/schema/?format=json").json()


def _allows_blank(schema: dict, prop: dict) -> bool:
    refs = [alt.get("$ref", "") for alt in prop.get("oneOf", [])]
    return any(schema["components"]["schemas"][r.rsplit("/", 1)[1]].get("enum") == [""] for r in refs if r)


def test_a_draft_assessment_returns_blank_ratings_and_the_schema_allows_them(world, schema):
    rnd = AssessmentRound.objects.create(
        label="2026Q1", period_start="2026-01-01", period_end="2026-03-31", due_date="2026-04-15"
    )
    Assessment.objects.create(round=rnd, project=world.project)
    row = world.client("admin").get("/api/v1/assessments/").json()["results"][0]
    for component, fields in BLANKABLE.items():
        props = schema["components"]["schemas"][component]["properties"]
        for name in fields:
            assert _allows_blank(schema, props[name]), (component, name, props[name])
    assert {row[name] for name in BLANKABLE["Assessment"]} == {""}


def test_a_decimal_refused_by_the_api_is_refused_by_the_schema(world, schema):
    amount = schema["components"]["schemas"]["FundingAwardInput"]["properties"]["amount"]
    assert {alt["type"] for alt in amount["anyOf"]} == {"string", "number"}  # so true, null, [1] are refused
    pattern = next(alt for alt in amount["anyOf"] if alt["type"] == "string")["pattern"]
    beneficiary = OrganisationFactory().pk
    for value in ["", " ", "１０００", "1,000", "1e3", True, None, [1]]:
        body = {"project": world.project.pk, "beneficiary": beneficiary, "measure": "demo_scenario", "amount": value}
        error = assert_error(world.client("admin").post("/api/v1/funding-awards/", body, format="json"), 400, "invalid")
        assert "amount" in error["fields"], (value, error)
        if isinstance(value, str):
            assert re.search(pattern, value) is None, (value, pattern)
    assert re.search(pattern, "1000.50") and re.search(pattern, "7")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/task-lists/", {"title": 5}, "title"),
        ("/api/v1/task-lists/", {"title": ["清单"]}, "title"),
        ("/api/v1/auth/token/", {"username": 12345, "password": "x"}, "username"),
        ("/api/v1/projects/", {"title": 3.5, "field": 7}, "field"),
    ],
)
def test_text_fields_take_strings_only(world, path, body, field):
    client = world.client("admin" if "token" not in path else "anonymous")
    error = assert_error(client.post(path, body, format="json"), 400, "invalid")
    assert field in error["fields"], error
    if "title" in body and not isinstance(body["title"], str) and path == "/api/v1/projects/":
        assert "title" in error["fields"]
