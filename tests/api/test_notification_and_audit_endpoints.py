"""Notifications: only your own (someone else's is 404), mark read. Audit trail: read-only,
admins see everything, others only rows about objects they can see (or their own actions),
filterable by object, actor, action and date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from pmflow.audit import audit_record
from pmflow.models import Notification
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes(world):
    ct = ContentType.objects.get_for_model(world.project)
    mine = Notification.objects.create(
        recipient=world.users["lead"], kind="state_changed", content_type=ct, object_id=str(world.project.pk), subject="给我"
    )
    theirs = Notification.objects.create(
        recipient=world.users["member"], kind="state_changed", content_type=ct, object_id=str(world.project.pk), subject="给他"
    )
    return mine, theirs


def test_notifications_list_only_your_own(world, notes):
    mine, theirs = notes
    rows = world.client("lead").get("/api/v1/notifications/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert_error(world.client("lead").get(f"/api/v1/notifications/{theirs.pk}/"), 404, "not_found")


def test_mark_read_and_read_all(world, notes):
    mine, theirs = notes
    response = world.client("lead").post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"]
    assert_error(world.client("lead").post(f"/api/v1/notifications/{theirs.pk}/read/"), 404, "not_found")
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert world.client("member").post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    unread = world.client("member").get("/api/v1/notifications/", {"unread": "true"}).json()
    assert unread["count"] == 0


@pytest.fixture
def trail(world):
    audit_record(obj=world.project, actor=world.users["lead"], action="update")
    audit_record(obj=world.other_project, actor=world.users["other_lead"], action="update")
    audit_record(obj=world.gate, actor=world.users["chair"], action="open", from_state="scheduled", to_state="open")


def test_admin_sees_the_whole_trail_others_only_what_they_may_see(world, trail):
    assert world.client("admin").get("/api/v1/audit/").json()["count"] == 3
    lead_rows = world.client("lead").get("/api/v1/audit/").json()["results"]
    assert {r["object_id"] for r in lead_rows} == {str(world.project.pk), str(world.gate.pk)}
    other_rows = world.client("other_lead").get("/api/v1/audit/").json()["results"]
    assert {r["object_id"] for r in other_rows} == {str(world.other_project.pk)}
    assert world.client("outsider").get("/api/v1/audit/").json()["count"] == 0


def test_audit_filters_by_object_actor_action_and_date(world, trail):
    client = world.client("admin")
    by_object = client.get("/api/v1/audit/", {"object_type": "projects.project", "object_id": world.project.pk}).json()
    assert [r["object_type"] for r in by_object["results"]] == ["projects.project"]
    assert client.get("/api/v1/audit/", {"actor": world.users["chair"].pk}).json()["results"][0]["action"] == "open"
    assert client.get("/api/v1/audit/", {"action": "open"}).json()["count"] == 1
    today = dt.date.today()
    assert client.get("/api/v1/audit/", {"date_from": (today + dt.timedelta(days=2)).isoformat()}).json()["count"] == 0
    assert client.get("/api/v1/audit/", {"date_to": (today + dt.timedelta(days=2)).isoformat()}).json()["count"] == 3


def test_audit_is_read_only(world, trail):
    assert_error(world.client("admin").post("/api/v1/audit/", {}, format="json"), 405, "method_not_allowed")
