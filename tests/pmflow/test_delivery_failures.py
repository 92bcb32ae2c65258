"""Delivery against a real (local) SMTP server: a permanent refusal at RCPT fails that row only, a
transient one is retried, a row is claimed before its SMTP call and a ``sending`` row abandoned by a
dead worker is sent again after the timeout, admins are alerted after an hour of failures and can
retry a failed row from admin with one click."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from pmflow.models import Notification, NotificationKind, NotificationStatus
from pmflow.notifications import notification_enqueue
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from pmflow.services.delivery import (
    failure_is_permanent,
    notifications_deliver_pending,
    notifications_retry,
)
from tests.factories import MilestoneFactory, UserFactory
from tests.integration.smtp_sink import SMTPSink

St = NotificationStatus


@pytest.fixture
def sink(settings):
    server = SMTPSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, False, 5
    yield server
    server.stop()


@pytest.fixture
def milestone(reference_data):
    return MilestoneFactory()


def rows_for(users, milestone) -> list[Notification]:
    for user in users:
        notification_enqueue(recipients=[user], kind=NotificationKind.STATE_CHANGED, obj=milestone, subject=f"to {user.email}")
    return list(Notification.objects.filter(recipient__in=users).order_by("id"))


def test_permanent_550_at_rcpt_fails_that_row_and_the_others_are_sent(sink, milestone):
    users = [UserFactory() for _ in range(3)]
    sink.refuse[users[1].email] = f"550 5.1.1 <{users[1].email}>: no such user"
    rows = rows_for(users, milestone)

    assert notifications_deliver_pending() == 2

    statuses = {r.pk: (r.status, r.attempts) for r in Notification.objects.filter(pk__in=[r.pk for r in rows])}
    assert statuses == {rows[0].pk: (St.SENT, 1), rows[1].pk: (St.FAILED, 1), rows[2].pk: (St.SENT, 1)}
    assert "550" in Notification.objects.get(pk=rows[1].pk).last_error
    assert sorted(m.recipients[0] for m in sink.received()) == sorted([users[0].email, users[2].email])
    assert notifications_deliver_pending(now=timezone.now() + dt.timedelta(days=10)) == 0  # failed for good


def test_a_4xx_at_rcpt_is_retried_and_sent_when_the_mailbox_accepts(sink, milestone):
    user = UserFactory()
    sink.refuse[user.email] = "452 4.2.2 mailbox full"
    [row] = rows_for([user], milestone)
    assert notifications_deliver_pending() == 0
    row.refresh_from_db()
    assert (row.status, row.next_attempt_at is not None) == (St.PENDING, True)

    sink.refuse.clear()
    assert notifications_deliver_pending(now=row.next_attempt_at) == 1
    assert Notification.objects.get(pk=row.pk).status == St.SENT
    assert len(sink.received()) == 1


def test_classification_of_failures():
    import smtplib

    assert failure_is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}))
    assert not failure_is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")}))
    assert not failure_is_permanent(smtplib.SMTPDataError(554, b"rejected at DATA"))
    assert not failure_is_permanent(smtplib.SMTPConnectError(554, b"no service"))
    assert not failure_is_permanent(ConnectionRefusedError())
    assert not failure_is_permanent(TimeoutError())
    assert failure_is_permanent(ValueError("Invalid address"))


def test_a_claimed_row_is_left_alone_until_the_sending_timeout_then_sent_again(sink, milestone, settings):
    settings.PMFLOW = {**settings.PMFLOW, "DELIVERY_SENDING_TIMEOUT": 600}
    [row] = rows_for([UserFactory()], milestone)
    claimed = timezone.now()
    # A worker claimed the row and died during its SMTP call.
    Notification.objects.filter(pk=row.pk).update(status=St.SENDING, claimed_at=claimed, attempts=1)

    assert notifications_deliver_pending(now=claimed + dt.timedelta(seconds=599)) == 0
    assert sink.received() == []
    assert notifications_deliver_pending(now=claimed + dt.timedelta(seconds=601)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (St.SENT, 2)
    assert len(sink.received()) == 1


def test_programme_admins_are_alerted_in_app_once_a_day_after_an_hour_of_failures(settings, milestone):
    settings.EMAIL_BACKEND = "tests.pmflow.test_delivery.RefusingBackend"
    admin = UserFactory()
    admin.groups.add(Group.objects.get_or_create(name=PROGRAMME_ADMIN_GROUP)[0])
    [row] = rows_for([UserFactory()], milestone)
    # 09:00 local tomorrow: the two hours below stay inside one local day whatever time the test runs
    # (the alert is once per admin and local date; started at 22:30 it crossed midnight and alerted twice).
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(9)))

    notifications_deliver_pending(now=start)
    notifications_deliver_pending(now=start + dt.timedelta(minutes=30))
    assert not Notification.objects.filter(kind=NotificationKind.DELIVERY_DELAYED).exists()

    for minutes in (61, 90, 120):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
        notifications_deliver_pending(now=start + dt.timedelta(minutes=minutes))
    alerts = Notification.objects.filter(kind=NotificationKind.DELIVERY_DELAYED)
    assert [(a.recipient_id, a.send_email) for a in alerts] == [(admin.pk, False)]  # in-app: mail is what fails
    assert Notification.objects.get(pk=row.pk).status == St.PENDING  # still being retried


def test_admin_retry_action_requeues_a_failed_row_and_it_is_sent(sink, milestone, client):
    user = UserFactory()
    sink.refuse[user.email] = "550 5.1.1 no such user"
    [row] = rows_for([user], milestone)
    notifications_deliver_pending()
    assert Notification.objects.get(pk=row.pk).status == St.FAILED
    sink.refuse.clear()  # the address was fixed at the other end

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/pmflow/notification/?trouble=failed")
    assert listing.status_code == 200 and row.subject in listing.content.decode()
    response = client.post("/admin/pmflow/notification/", {"action": "retry_failed", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    assert Notification.objects.get(pk=row.pk).status == St.PENDING
    assert notifications_deliver_pending() == 1
    assert Notification.objects.get(pk=row.pk).status == St.SENT
    assert notifications_retry(notification_ids=[row.pk]) == 0  # only failed rows are requeued
