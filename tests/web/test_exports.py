"""Exports: the portfolio as CSV (streamed) and XLSX with only the user's visible projects and a
fixed number of queries; the private iCalendar feed of a user's milestone and review due dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook

from milestones.models import ReviewerAssignment, TrancheRelease
from tests.factories import GateReviewFactory, MilestoneFactory, PMTeamFactory, ProjectFactory, UserFactory, add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(reference_data):
    team = PMTeamFactory()
    team.member = add_member(team)
    return team


def _csv(resp) -> list[list[str]]:
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_lists_only_visible_projects_with_funding_and_next_milestone(client, team):
    project = ProjectFactory(pm_team=team, title="量子纠错芯片")
    m = MilestoneFactory(project=project, sequence=1, title="原理样机", current_due=dt.date(2026, 6, 30))
    MilestoneFactory(project=project, sequence=2, title="工程样机", baseline_due=dt.date(2027, 6, 30))
    TrancheRelease.objects.create(milestone=m, amount=Decimal("250000.00"), released_by=team.lead)
    ProjectFactory(title="别队项目")
    client.force_login(team.member)
    resp = client.get(reverse("projects:export_csv"))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    rows = _csv(resp)
    assert rows[0][0] == "项目编号"
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["项目名称"] == "量子纠错芯片"
    assert row["已拨付金额（元）"] == "250000.00"
    assert row["下一里程碑"] == "原理样机" and row["下一截止日"] == "2026-06-30"


def test_csv_honours_the_list_filters(client, team):
    ProjectFactory(pm_team=team)
    active = ProjectFactory(pm_team=team)
    type(active).objects.filter(pk=active.pk).update(status="active")
    client.force_login(team.member)
    rows = _csv(client.get(reverse("projects:export_csv"), {"status": "active"}))
    assert [r[0] for r in rows[1:]] == [active.code]


def test_xlsx_has_a_header_and_one_row_per_project(client, team):
    for _ in range(3):
        ProjectFactory(pm_team=team)
    client.force_login(team.member)
    resp = client.get(reverse("projects:export_xlsx"))
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号"
    assert len(rows) == 4
    assert rows[1][10] == 10000000.0


def test_exports_use_a_fixed_number_of_queries(client, team, django_assert_num_queries):
    for _ in range(3):
        MilestoneFactory(project=ProjectFactory(pm_team=team), sequence=1)
    client.force_login(team.member)
    with CaptureQueriesContext(connection) as ctx:
        _csv(client.get(reverse("projects:export_csv")))
    with CaptureQueriesContext(connection) as xctx:
        client.get(reverse("projects:export_xlsx"))
    for _ in range(27):
        MilestoneFactory(project=ProjectFactory(pm_team=team), sequence=1)
    with django_assert_num_queries(len(ctx)):
        assert len(_csv(client.get(reverse("projects:export_csv")))) == 31
    with django_assert_num_queries(len(xctx)):
        client.get(reverse("projects:export_xlsx"))


def test_calendar_feed_lists_milestones_and_reviews_by_private_token(client, team):
    project = ProjectFactory(pm_team=team)
    soon = dt.date.today() + dt.timedelta(days=30)  # inside the feed's window (90 days back, a year ahead)
    MilestoneFactory(project=project, sequence=1, title="原理样机", current_due=soon)
    MilestoneFactory(project=project, sequence=2, title="已取消", status="cancelled")
    reviewer = UserFactory()
    gate = GateReviewFactory(project=project, due_date=soon - dt.timedelta(days=10))
    ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer)

    resp = client.get(reverse("calendar_feed", args=[team.member.calendar_token]))  # no login
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(resp.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [f"里程碑截止：{project.code} M1 原理样机"]
    assert events[0].decoded("dtstart") == soon

    events = Calendar.from_ical(client.get(reverse("calendar_feed", args=[reviewer.calendar_token])).content).walk("VEVENT")
    assert len(events) == 1 and events[0].decoded("dtstart") == soon - dt.timedelta(days=10)
    assert str(events[0]["uid"]) == f"gate-{gate.pk}@pmflow"


def test_calendar_feed_with_a_wrong_token_is_404(client, team):
    assert client.get(reverse("calendar_feed", args=["not-a-token"])).status_code == 404


def test_preferences_page_shows_the_feed_url(client, team):
    client.force_login(team.member)
    html = client.get(reverse("preferences")).content.decode()
    assert team.member.calendar_token in html
