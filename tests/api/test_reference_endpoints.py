"""Reference data: read-only for every signed-in user; 401 anonymous; 405 on writes."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

RESOURCES = ["directions", "tiers", "fields", "task-categories", "support-measures", "policies"]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ["admin", "lead", "reviewer", "outsider"])
def test_every_signed_in_role_reads_reference_data(world, resource, role):
    response = world.client(role).get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows
    detail = world.client(role).get(f"/api/v1/{resource}/{rows[0]['id']}/")
    assert detail.status_code == 200 and detail.json() == rows[0]


@pytest.mark.parametrize("resource", RESOURCES)
def test_reference_data_needs_authentication_and_is_read_only(world, resource):
    assert_error(world.client("anonymous").get(f"/api/v1/{resource}/"), 401, "not_authenticated")
    assert_error(world.client("admin").post(f"/api/v1/{resource}/", {}, format="json"), 405, "method_not_allowed")


def test_fields_filter_by_tier_and_carry_their_codes(world):
    rows = world.client("lead").get("/api/v1/fields/", {"tier": "early_layout"}).json()["results"]
    assert {r["code"] for r in rows} == {"quantum", "fusion", "regenerative_medicine"}
    assert all(r["tier"] == "early_layout" for r in rows)


def test_support_measures_show_their_caps(world):
    rows = world.client("lead").get("/api/v1/support-measures/", {"page_size": 200}).json()["results"]
    assert len(rows) == 13  # ten capped measures + three uncapped (docs/policy.md)
    assert any(r["amount_cap"] == "30000000.00" for r in rows)
