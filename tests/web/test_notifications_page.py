"""In-app notifications: the inbox lists the user's own notifications, unread ones highlighted;
mark one / all read (htmx partial or plain POST) updates the unread badge; preferences save;
fixed query count whatever the number of notifications."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pmflow.models import Notification, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _notify(user, n: int, start: int = 0) -> list[Notification]:
    ct = ContentType.objects.get_for_model(user)
    return [
        Notification.objects.create(
            recipient=user, kind="milestone_due", content_type=ct, object_id=str(i), subject=f"里程碑即将到期 {i}", url="/"
        )
        for i in range(start, start + n)
    ]


def test_inbox_lists_own_notifications_with_unread_badge(client):
    user, other = UserFactory(), UserFactory()
    _notify(user, 2)
    Notification.objects.create(
        recipient=other, kind="review_due", content_type=ContentType.objects.get_for_model(other), object_id="9", subject="别人的"
    )
    client.force_login(user)
    html = client.get(reverse("notifications")).content.decode()
    assert html.count('class="unread"') == 2
    assert "别人的" not in html
    assert 'id="unread-badge">2<' in html


def test_mark_one_read_with_htmx_returns_the_row_and_the_new_count(client):
    user = UserFactory()
    first, _second = _notify(user, 2)
    client.force_login(user)
    resp = client.post(reverse("notification_read", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert f'id="notification-{first.pk}"' in resp.content.decode()
    assert json.loads(resp["HX-Trigger"]) == {"pmflow:unread": 1}
    first.refresh_from_db()
    assert first.read_at is not None


def test_mark_all_read_clears_the_badge(client):
    user = UserFactory()
    _notify(user, 3)
    client.force_login(user)
    resp = client.post(reverse("notifications_read_all"))
    assert resp.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert 'id="unread-badge"' not in client.get(reverse("notifications")).content.decode()


def test_cannot_mark_someone_elses_notification(client):
    owner = UserFactory()
    (n,) = _notify(owner, 1)
    client.force_login(UserFactory())
    assert client.post(reverse("notification_read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_preferences_form_saves_email_and_digest(client):
    user = UserFactory()
    client.force_login(user)
    resp = client.post(reverse("preferences"), {"daily_digest": "on"})
    assert resp.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert pref.email_enabled is False and pref.daily_digest is True


def test_inbox_query_count_is_fixed(client, django_assert_num_queries):
    user = UserFactory()
    _notify(user, 3)
    client.force_login(user)
    client.get(reverse("notifications"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("notifications"))
    _notify(user, 27, start=3)
    with django_assert_num_queries(len(ctx)):
        resp = client.get(reverse("notifications"))
    assert resp.content.decode().count('class="unread"') == 25
