"""The funding-award endpoint takes the item an award pays for and its decision date: two 首台套
contracts of one company both recorded, a date outside the policy window a 400 naming the field."""

from __future__ import annotations

import pytest

from projects.models import Project
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def _contract(world, ref, **over):
    return {
        "project": world.project.pk,
        "beneficiary": world.project.performer_id,
        "measure": "first_of_kind",
        "amount": "6000000.00",
        "base_amount": "20000000.00",
        "item_ref": ref,
        "decision_date": "2026-06-30",
        **over,
    }


def test_two_contracts_are_recorded_with_their_item_and_date(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    admin = world.client("admin")
    for ref in ("HT-A", "HT-B"):
        response = admin.post("/api/v1/funding-awards/", _contract(world, ref), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["item_kind"], body["item_ref"], body["decision_date"], body["status"]) == (
            "contract",
            ref,
            "2026-06-30",
            "active",
        )


@pytest.mark.parametrize(
    ("over", "field"),
    [({"decision_date": "2031-01-15"}, "decision_date"), ({"item_kind": "spaceship"}, "item_kind")],
)
def test_bad_item_or_date_is_a_400_naming_the_field(world, over, field):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    error = assert_error(
        world.client("admin").post("/api/v1/funding-awards/", _contract(world, "HT-C", **over), format="json"), 400, "invalid"
    )
    assert field in error["fields"]
