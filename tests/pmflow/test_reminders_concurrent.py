"""Two sweeps started at the same moment (two beat processes both firing) write each reminder once,
and two deliveries running at once mail each row once (unique key + ON CONFLICT DO NOTHING for
the writes, SELECT … FOR UPDATE SKIP LOCKED for the delivery). Real threads, real connections."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from milestones.models import Milestone
from pmflow.models import Notification, NotificationStatus
from pmflow.services.delivery import notifications_deliver_pending
from pmflow.services.reminders import reminders_sweep
from tests.factories import MilestoneFactory, ProjectFactory, add_member

TODAY = dt.date(2026, 6, 1)


def run_concurrently(fn, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_and_deliveries_send_each_reminder_once(reference_data):
    expected = 0
    for i in range(5):
        project = ProjectFactory()
        for _ in range(3):
            add_member(project.pm_team)
        ms = MilestoneFactory(
            project=project, baseline_due=TODAY - dt.timedelta(days=3) if i % 2 else TODAY + dt.timedelta(days=1)
        )
        Milestone.objects.filter(pk=ms.pk).update(status="in_progress")
        expected += 4 + (1 if i % 2 else 0)  # lead + 3 members, plus the escalation to the lead when overdue

    offered = run_concurrently(lambda: reminders_sweep(today=TODAY), n=3)
    assert offered == [expected] * 3
    assert Notification.objects.count() == expected

    sent = run_concurrently(notifications_deliver_pending, n=3)
    assert sum(sent) == expected
    assert len(mail.outbox) == expected
    assert sorted(m.to[0] for m in mail.outbox) == sorted(Notification.objects.values_list("recipient__email", flat=True))
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
