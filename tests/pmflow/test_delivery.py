"""Outbox delivery: e-mail through Django's backend, in-app only and daily-digest preferences,
retries with backoff that keep failed rows visible, and the in-app inbox services."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from milestones.models import Milestone
from pmflow.errors import NotFound
from pmflow.models import Notification, NotificationKind, NotificationPreference, NotificationStatus
from pmflow.notifications import notification_enqueue
from pmflow.selectors import notifications_for, unread_count
from pmflow.services.delivery import (
    backoff_delay,
    notification_mark_read,
    notifications_deliver_pending,
    notifications_mark_all_read,
    notifications_send_digests,
)
from tests.factories import MilestoneFactory, UserFactory

St = NotificationStatus


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


def enqueue(user, obj, kind=NotificationKind.STATE_CHANGED, subject="里程碑状态变更", due=None):
    notification_enqueue(recipients=[user], kind=kind, obj=obj, subject=subject, due_date=due, url="/projects/1/")
    return Notification.objects.get(recipient=user, kind=kind, object_id=str(obj.pk), due_date=due)


@pytest.fixture
def milestone(reference_data):
    return MilestoneFactory()


def test_pending_row_is_mailed_once_and_marked_sent(milestone):
    user = UserFactory()
    row = enqueue(user, milestone)

    assert notifications_deliver_pending() == 1
    assert notifications_deliver_pending() == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == (St.SENT, 1)
    assert row.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "里程碑状态变更"
    assert "http://" in mail.outbox[0].body  # the link is absolute


def test_in_app_only_user_gets_no_mail_but_the_row_is_in_the_inbox(milestone):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, email_enabled=False)
    row = enqueue(user, milestone)
    notifications_deliver_pending()
    row.refresh_from_db()
    assert row.status == St.SKIPPED
    assert mail.outbox == []
    assert list(notifications_for(user)) == [row]
    assert unread_count(user) == 1


def test_preference_changed_after_writing_is_respected_at_delivery(milestone):
    user = UserFactory()
    row = enqueue(user, milestone)
    NotificationPreference.objects.create(user=user, email_enabled=False)
    notifications_deliver_pending()
    assert Notification.objects.get(pk=row.pk).status == St.SKIPPED
    assert mail.outbox == []


def test_daily_digest_users_get_one_digest_mail_per_day(milestone):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, daily_digest=True)
    other = MilestoneFactory(project=milestone.project)
    first, second = enqueue(user, milestone, subject="第一条"), enqueue(user, other, subject="第二条")

    notifications_deliver_pending()
    assert mail.outbox == []
    assert set(Notification.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {St.DIGESTED}

    today = dt.date(2026, 6, 1)
    assert notifications_send_digests(today=today) == 1
    assert notifications_deliver_pending() == 1
    assert len(mail.outbox) == 1
    assert "第一条" in mail.outbox[0].body and "第二条" in mail.outbox[0].body

    third = enqueue(user, MilestoneFactory(project=milestone.project), subject="第三条")
    notifications_deliver_pending()
    assert notifications_send_digests(today=today) == 0  # today's digest already went out
    assert notifications_send_digests(today=today + dt.timedelta(days=1)) == 1
    notifications_deliver_pending()
    assert len(mail.outbox) == 2
    assert "第三条" in mail.outbox[1].body and "第一条" not in mail.outbox[1].body
    assert Notification.objects.get(pk=third.pk).sent_at is not None
    # the digest rows are not inbox items; their contents are
    assert {n.subject for n in notifications_for(user)} == {"第一条", "第二条", "第三条"}


def test_failed_send_is_retried_with_backoff_for_the_window_and_stays_visible(milestone, settings):
    settings.EMAIL_BACKEND = "tests.pmflow.test_delivery.RefusingBackend"
    user = UserFactory()
    row = enqueue(user, milestone)
    start = timezone.now()

    assert notifications_deliver_pending(now=start) == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (St.PENDING, 1)
    assert "SMTPServerDisconnected" in row.last_error
    assert row.first_failed_at == start
    assert row.next_attempt_at == start + backoff_delay(1)

    notifications_deliver_pending(now=start)  # not due yet: untouched
    assert Notification.objects.get(pk=row.pk).attempts == 1

    # A connection failure is transient: retried (every 30 minutes at most) for three days.
    clock = start
    while True:
        clock = row.next_attempt_at
        notifications_deliver_pending(now=clock)
        row.refresh_from_db()
        if row.status != St.PENDING:
            break
        assert row.next_attempt_at - clock <= dt.timedelta(minutes=30)
    assert row.status == St.FAILED
    assert dt.timedelta(days=2, hours=23) <= clock - start <= dt.timedelta(days=3)
    assert row.next_attempt_at is None
    assert list(notifications_for(user)) == [row]  # still listed in the inbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_deliver_pending(now=timezone.now() + dt.timedelta(days=5)) == 0  # failed rows are not resent


def test_backoff_grows_exponentially_and_is_capped():
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff_delay(30).total_seconds() == 30 * 60
    assert backoff_delay(10_000).total_seconds() == 30 * 60


def test_a_retry_after_a_failure_sends_once(milestone, settings):
    settings.EMAIL_BACKEND = "tests.pmflow.test_delivery.RefusingBackend"
    row = enqueue(UserFactory(), milestone)
    notifications_deliver_pending()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_deliver_pending(now=timezone.now() + dt.timedelta(hours=1)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (St.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_mark_read_and_mark_all_read(milestone):
    user, stranger = UserFactory(), UserFactory()
    rows = [enqueue(user, MilestoneFactory(project=milestone.project)) for _ in range(3)]
    assert unread_count(user) == 3

    notification_mark_read(actor=user, notification_id=rows[0].pk)
    notification_mark_read(actor=user, notification_id=rows[0].pk)  # idempotent
    assert unread_count(user) == 2
    with pytest.raises(NotFound):
        notification_mark_read(actor=stranger, notification_id=rows[1].pk)

    assert notifications_mark_all_read(actor=user) == 2
    assert unread_count(user) == 0
    assert list(notifications_for(user, unread_only=True)) == []


def test_unread_count_is_one_query(milestone, django_assert_num_queries):
    user = UserFactory()
    enqueue(user, milestone)
    with django_assert_num_queries(1):
        assert unread_count(user) == 1


def test_milestone_model_is_the_notified_object(milestone):
    row = enqueue(UserFactory(), milestone)
    assert row.content_type.model_class() is Milestone
