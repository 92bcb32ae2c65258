"""Input is validated before anything else runs, then permission, then the service: a malformed
list item (``null``, a number, a string) is a 400 naming the field for every role — also for one
who may not do the action at all — never a 500 and nothing saved."""

from __future__ import annotations

import pytest

from milestones.models import GateDecision, GateReview
from tests.api.conftest import assert_error
from tests.factories import CommitteeFactory

pytestmark = pytest.mark.django_db

BAD_ITEMS = [[None], [1], ["合规"], [[]], [{"kind": "must", "title": "合规"}, None]]


@pytest.mark.parametrize("role", ["admin", "lead", "member", "reviewer"])
@pytest.mark.parametrize("criteria", BAD_ITEMS)
def test_gate_schedule_with_a_malformed_criterion_is_400_naming_criteria(world, role, criteria):
    committee = CommitteeFactory(chair=world.users["chair"])
    body = {"project": world.project.pk, "kind": "milestone", "committee": committee.pk, "milestone": world.milestone.pk}
    before = GateReview.objects.count()
    response = world.client(role).post("/api/v1/gate-reviews/", {**body, "criteria": criteria}, format="json")
    error = assert_error(response, 400, "invalid")
    assert any(name == "criteria" or name.startswith("criteria.") for name in error["fields"]), error
    assert GateReview.objects.count() == before


@pytest.mark.parametrize("role", ["admin", "chair", "lead"])
@pytest.mark.parametrize("conditions", BAD_ITEMS)
def test_gate_decision_with_a_malformed_condition_is_400_naming_conditions(world, role, conditions):
    response = world.client(role).post(
        f"/api/v1/gate-reviews/{world.gate.pk}/decision/", {"outcome": "go", "conditions": conditions}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert any(name == "conditions" or name.startswith("conditions.") for name in error["fields"]), error
    assert not GateDecision.objects.exists()
