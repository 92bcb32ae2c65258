"""The outbox key (recipient, kind, object, due date) makes every writer idempotent, and the tasks
that drain it are configured for at-least-once delivery (acks_late, bounded retries with backoff)."""

from __future__ import annotations

import datetime as dt

import pytest

from pmflow.models import Notification, NotificationKind
from pmflow.notifications import notification_enqueue
from pmflow.tasks import notifications_deliver, notifications_send_digests, reminders_sweep
from projects.tasks import task_list_recalculate, tasks_recalculate_all
from tests.factories import MilestoneFactory, UserFactory


def test_same_key_written_twice_is_one_row_and_a_new_due_date_is_a_new_row(reference_data):
    user, milestone = UserFactory(), MilestoneFactory()
    for _ in range(2):
        notification_enqueue(
            recipients=[user, user],
            kind=NotificationKind.MILESTONE_DUE,
            obj=milestone,
            subject="到期",
            due_date=dt.date(2026, 6, 2),
        )
    notification_enqueue(recipients=[user], kind=NotificationKind.STATE_CHANGED, obj=milestone, subject="无到期日")
    notification_enqueue(
        recipients=[user], kind=NotificationKind.STATE_CHANGED, obj=milestone, subject="无到期日"
    )  # NULL date: still one
    assert Notification.objects.count() == 2
    notification_enqueue(
        recipients=[user], kind=NotificationKind.MILESTONE_DUE, obj=milestone, subject="改期后", due_date=dt.date(2026, 7, 1)
    )
    assert Notification.objects.count() == 3


@pytest.mark.parametrize(
    "task", [notifications_deliver, reminders_sweep, notifications_send_digests, task_list_recalculate, tasks_recalculate_all]
)
def test_tasks_are_configured_for_at_least_once_delivery(task):
    assert task.acks_late is True
    assert task.max_retries and task.retry_backoff
    assert task.autoretry_for
