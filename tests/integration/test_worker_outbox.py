"""Real Celery workers, the test Redis, the test database and a real SMTP conversation:

* a due reminder reaches the outbox once and is mailed once, even when two sweeps run at once on
  two workers (and the deliveries they trigger run at once too);
* with the broker unreachable, state changes still commit and their notifications wait in the
  outbox; once the broker is back, delivery mails each of them exactly once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from django.db import transaction

from milestones.models import Milestone
from pmflow.models import Notification, NotificationKind, NotificationStatus
from pmflow.services.reminders import reminders_sweep as reminders_sweep_now
from pmflow.tasking import task_publish
from pmflow.tasks import notifications_deliver, reminders_sweep
from projects.models import Task, TaskStatus
from projects.services.tasks import task_update_progress
from projects.tasks import tasks_recalculate_all
from tests.factories import KeyTaskListFactory, MilestoneFactory, ProjectFactory, TaskFactory, add_member
from tests.integration.conftest import broker_unreachable, workers_log
from tests.worker import wait_for

pytestmark = pytest.mark.worker

WORKDAY = dt.date(2026, 6, 1)  # a Monday; the sweep is given this date so the test does not depend on the real calendar


def milestones_due(n: int) -> int:
    """n milestones in progress: even ones due the next working day, odd ones overdue. Returns the
    number of reminder rows one sweep on WORKDAY must write."""
    expected = 0
    for i in range(n):
        project = ProjectFactory()
        add_member(project.pm_team)
        due = WORKDAY - dt.timedelta(days=4) if i % 2 else WORKDAY + dt.timedelta(days=1)
        ms = MilestoneFactory(project=project, baseline_due=due)
        Milestone.objects.filter(pk=ms.pk).update(status="in_progress")
        expected += 2 + (1 if i % 2 else 0)  # lead + member, and the escalation to the lead when overdue
    return expected


def settle(sink, expected: int, outbox_workers) -> None:
    wait_for(
        lambda: len(sink.received()) >= expected,
        timeout=60,
        message=f"{len(sink.received())}/{expected} mails arrived; workers:\n{workers_log(outbox_workers)}",
    )
    time.sleep(2)  # anything duplicated would arrive now


def test_due_reminders_are_written_and_mailed_once_with_two_concurrent_sweeps(
    outbox_worker_queue, reference_data, outbox_workers, smtp_sink
):
    expected = milestones_due(4)

    # Two beat processes firing at once: both sweeps go to the broker together, one per worker.
    assert task_publish(reminders_sweep, WORKDAY.isoformat())
    assert task_publish(reminders_sweep, WORKDAY.isoformat())
    settle(smtp_sink, expected, outbox_workers)
    # … and more delivery ticks change nothing.
    assert task_publish(notifications_deliver)
    assert task_publish(notifications_deliver)
    time.sleep(3)

    mails = smtp_sink.received()
    rows = list(Notification.objects.values_list("recipient__email", "kind", "status"))
    assert len(rows) == expected
    assert {status for _, _, status in rows} == {NotificationStatus.SENT}
    assert len(mails) == expected
    assert Counter((m.recipients[0], m.subject) for m in mails).most_common(1)[0][1] == 1
    assert Counter(m.recipients[0] for m in mails) == Counter(email for email, _, _ in rows)
    assert sum(1 for _, kind, _ in rows if kind == NotificationKind.MILESTONE_ESCALATION) == 2
    log = workers_log(outbox_workers)
    assert log.count("pmflow.reminders_sweep") >= 2


def test_broker_outage_keeps_changes_and_notifications_then_delivers_each_once(
    outbox_worker_queue, reference_data, outbox_workers, smtp_sink
):
    expected = milestones_due(2)
    project = ProjectFactory()
    task = TaskFactory(
        task_list=KeyTaskListFactory(pm_team=project.pm_team, project=project),
        start_date=dt.date(2026, 1, 1),
        due_date=dt.date(2099, 12, 31),
    )
    with broker_unreachable():
        # The web process changes state and the sweep runs while Redis is unreachable: both commit;
        # the on-commit publishes fail fast and are logged.
        started = time.monotonic()
        task_update_progress(actor=project.pm_team.lead, task_id=task.pk, progress=100)
        with transaction.atomic():
            offered = reminders_sweep_now(today=WORKDAY)
        assert time.monotonic() - started < 20
        assert task_publish(notifications_deliver) is False

    assert offered == expected
    assert Task.objects.get(pk=task.pk).progress == 100
    assert Task.objects.get(pk=task.pk).status == TaskStatus.NOT_STARTED  # the recalculation never reached a worker
    assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == expected
    time.sleep(2)
    assert smtp_sink.received() == []

    # Broker back: the next delivery ticks (two at once) mail every waiting row exactly once, and
    # the nightly recalculation catches up with the change whose publish was lost.
    assert task_publish(notifications_deliver)
    assert task_publish(notifications_deliver)
    assert task_publish(tasks_recalculate_all)
    settle(smtp_sink, expected, outbox_workers)
    wait_for(lambda: Task.objects.get(pk=task.pk).status == TaskStatus.DONE, timeout=60, message=workers_log(outbox_workers))

    assert len(smtp_sink.received()) == expected
    assert Notification.objects.filter(status=NotificationStatus.SENT, attempts=1).count() == expected
