"""The "no calendar data" flag on the web pages: a milestone or gate due date that falls in a year
without an entered holiday arrangement (2027, unknown to chinesecalendar 1.11) carries a ⚠ titled
"该年度节假日安排尚未录入" on the project page, the milestone page, the gate page, the chair's list
and the reviewer's inbox — until an admin enters 2027, after which no page shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pmflow.services.calendar import calendar_import
from tests.factories import MilestoneFactory
from tests.web.conftest import build_gate

pytestmark = pytest.mark.django_db
D = dt.date
MARKER = 'class="calendar-provisional" title="该年度节假日安排尚未录入"'


def _pages(client, setup, milestone) -> dict[str, str]:
    lead = setup.project.pm_team.lead
    pages = {
        "gate": (setup.chair, reverse("milestones:gate_detail", args=[setup.gate.pk])),
        "chair list": (setup.chair, reverse("milestones:chair_gates") + "?tab=progress"),
        "inbox": (setup.reviewers[0], reverse("milestones:reviewer_inbox")),
        "project": (lead, reverse("projects:detail", args=[setup.project.pk])),
        "milestone": (lead, reverse("milestones:milestone_detail", args=[milestone.pk])),
    }
    out = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        resp = client.get(url)
        assert resp.status_code == 200, (name, resp.status_code)
        out[name] = resp.content.decode()
    return out


def test_due_dates_in_2027_are_flagged_until_2027_is_entered(client, reference_data):
    setup = build_gate(reviewers=1, due=D(2027, 1, 4))
    milestone = MilestoneFactory(project=setup.project, sequence=1, baseline_due=D(2027, 10, 8))
    before = _pages(client, setup, milestone)
    for name, html in before.items():
        assert MARKER in html, name
        assert ("2027-01-04" if name in {"gate", "chair list", "inbox"} else "2027-10-08") in html, name

    calendar_import(text="2027-01-01,off,元旦\n2027-10-01,off,国庆节\n2027-10-04,off,国庆节\n")
    for name, html in _pages(client, setup, milestone).items():
        assert "calendar-provisional" not in html, name


def test_a_2026_due_date_is_not_flagged(client, reference_data):
    setup = build_gate(reviewers=1, due=D(2026, 12, 30))
    milestone = MilestoneFactory(project=setup.project, sequence=1, baseline_due=D(2026, 12, 31))
    for name, html in _pages(client, setup, milestone).items():
        assert "calendar-provisional" not in html, name
