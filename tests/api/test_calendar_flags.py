"""The "no calendar data" flag on API dates: a gate due date computed into a year nobody has entered
the holiday arrangement for carries ``due_date_provisional: true`` (the issue's case: 10 working
days from 2026-12-18 land on 元旦 2027-01-01); once 2027 is entered, the next gate falls due on
2027-01-04 and nothing is flagged. Milestones carry ``current_due_provisional`` the same way."""

from __future__ import annotations

import datetime as dt

import pytest

from milestones.models import Milestone
from milestones.services.gates import gate_schedule
from pmflow.services.calendar import calendar_import

pytestmark = pytest.mark.django_db
D = dt.date
CRITERIA = [{"kind": "should", "title": "技术路线比选", "weight": 1}]


def test_gate_and_milestone_dates_are_flagged_until_the_year_is_entered(world, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 12, 18))
    admin, chair = world.users["admin"], world.client("chair")
    before = gate_schedule(
        actor=admin,
        project_id=world.project.pk,
        kind="comparative",
        committee_id=world.gate.committee_id,
        criteria=CRITERIA,
    )
    Milestone.objects.filter(pk=world.milestone.pk).update(current_due=D(2027, 10, 1))
    body = chair.get(f"/api/v1/gate-reviews/{before.pk}/").json()
    assert (body["due_date"], body["due_date_provisional"]) == ("2027-01-01", True)
    milestone = world.client("lead").get(f"/api/v1/milestones/{world.milestone.pk}/").json()
    assert (milestone["current_due"], milestone["current_due_provisional"]) == ("2027-10-01", True)
    assert chair.get(f"/api/v1/gate-reviews/{world.gate.pk}/").json()["due_date_provisional"] is False  # a 2026 date

    calendar_import(text="2027-01-01,off,元旦\n2027-10-01,off,国庆节\n2027-10-04,off,国庆节\n")
    after = gate_schedule(
        actor=admin,
        project_id=world.project.pk,
        kind="comparative",
        committee_id=world.gate.committee_id,
        criteria=CRITERIA,
    )
    body = chair.get(f"/api/v1/gate-reviews/{after.pk}/").json()
    assert (body["due_date"], body["due_date_provisional"]) == ("2027-01-04", False)
    assert chair.get(f"/api/v1/gate-reviews/{before.pk}/").json()["due_date_provisional"] is False
    milestone = world.client("lead").get(f"/api/v1/milestones/{world.milestone.pk}/").json()
    assert milestone["current_due_provisional"] is False
