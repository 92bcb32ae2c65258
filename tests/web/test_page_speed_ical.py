"""The iCalendar feed as calendar clients poll it: a window around today, an entity tag naming the
data version, 304 to a poll with the same tag (two queries), the body built once per version and
served from the cache, and a new tag as soon as anything the feed shows changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from milestones.models import Milestone
from projects.models import Project
from tests.factories import MilestoneFactory, PMTeamFactory, ProjectFactory, add_member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def feed(reference_data):
    cache.clear()
    team = PMTeamFactory()
    member = add_member(team)
    project = ProjectFactory(pm_team=team)
    today = timezone.localdate()
    MilestoneFactory(project=project, sequence=1, title="太早", current_due=today - dt.timedelta(days=91))
    MilestoneFactory(project=project, sequence=2, title="上月", current_due=today - dt.timedelta(days=30))
    MilestoneFactory(project=project, sequence=3, title="明年", current_due=today + dt.timedelta(days=365))
    MilestoneFactory(project=project, sequence=4, title="太远", current_due=today + dt.timedelta(days=366))
    return {"url": reverse("calendar_feed", args=[member.calendar_token]), "project": project}


def _titles(body: bytes) -> list[str]:
    return [str(e["summary"]).rsplit(" ", 1)[-1] for e in Calendar.from_ical(body).walk("VEVENT")]


def test_feed_holds_due_dates_from_90_days_back_to_a_year_ahead(client, feed):
    assert _titles(client.get(feed["url"]).content) == ["上月", "明年"]


def test_poll_with_the_same_tag_is_a_304_in_two_queries(client, feed, django_assert_num_queries):
    first = client.get(feed["url"])
    assert first.status_code == 200 and first["ETag"].startswith('"') and first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    with django_assert_num_queries(2):  # the token, the version
        again = client.get(feed["url"], headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and again.content == b""


def test_unchanged_data_serves_the_cached_body_without_reading_events(client, feed, django_assert_num_queries):
    first = client.get(feed["url"])
    with django_assert_num_queries(2):
        second = client.get(feed["url"])
    assert second.status_code == 200 and second.content == first.content and second["ETag"] == first["ETag"]


@pytest.mark.parametrize("change", ["milestone", "project"])
def test_a_committed_change_gives_a_new_tag_and_body(client, feed, change):
    first = client.get(feed["url"])
    if change == "milestone":
        Milestone.objects.filter(project=feed["project"], sequence=2).update(title="改名")
        expected = ["改名", "明年"]
    else:
        Project.objects.filter(pk=feed["project"].pk).update(code="ZZ-9")
        expected = ["上月", "明年"]
    polled = client.get(feed["url"], headers={"if-none-match": first["ETag"]})
    assert polled.status_code == 200 and polled["ETag"] != first["ETag"]
    assert _titles(polled.content) == expected
    if change == "project":
        assert b"ZZ-9" in polled.content


def test_a_stale_or_garbled_tag_gets_the_full_body(client, feed):
    for tag in ['"nope"', "garbage", "*x"]:
        resp = client.get(feed["url"], headers={"if-none-match": tag})
        assert resp.status_code == 200 and resp.content.startswith(b"BEGIN:VCALENDAR")
