"""Delivery by a real Celery worker to a real (local) SMTP server, through faults:

* the worker is killed (SIGKILL) in the middle of a 100-message run: after a new worker takes over,
  every message has been delivered and at most one (the one in flight) twice;
* the SMTP server is down for (simulated) two hours: the rows stay pending, admins are alerted, and
  once the server is back every message is delivered exactly once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from pmflow.models import Notification, NotificationKind, NotificationStatus
from pmflow.notifications import notification_enqueue
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from pmflow.tasking import task_publish
from pmflow.tasks import notifications_deliver
from tests.factories import UserFactory
from tests.integration.conftest import queue_purge
from tests.integration.smtp_sink import SMTPSink
from tests.worker import WorkerProcess, celery_default_queue, celery_worker, wait_for

pytestmark = pytest.mark.worker
St = NotificationStatus


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@contextlib.contextmanager
def delivery_worker(smtp_port: int, queue: str, tmp_path, *, sending_timeout: float = 600) -> Iterator[WorkerProcess]:
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
        "PMFLOW_TEST_SMTP_PORT": str(smtp_port),
        "PMFLOW_TEST_QUEUE": queue,
        "PMFLOW_TEST_SENDING_TIMEOUT": str(sending_timeout),
    }
    log_dir = tmp_path / f"worker-{uuid.uuid4().hex[:6]}"
    log_dir.mkdir()
    with celery_worker(db_name=connection.settings_dict["NAME"], extra_env=env, log_dir=log_dir) as worker:
        yield worker


@pytest.fixture
def private_queue(transactional_db) -> Iterator[str]:
    queue = f"pmflow-delivery-{uuid.uuid4().hex[:8]}"
    with celery_default_queue(queue):
        yield queue
    queue_purge(queue)


def attempts(rows) -> int:
    return rows.aggregate(total=Sum("attempts"))["total"] or 0


def outbox(n: int) -> list[str]:
    """n pending rows, one per new user; returns their addresses."""
    users = [UserFactory() for _ in range(n)]
    for user in users:
        notification_enqueue(recipients=[user], kind=NotificationKind.STATE_CHANGED, obj=user, subject=f"hello {user.pk}")
    return [u.email for u in users]


def test_worker_killed_mid_batch_delivers_every_message_and_repeats_at_most_the_one_in_flight(private_queue, tmp_path):
    sink = SMTPSink(delay=0.03).start()
    try:
        addresses = outbox(100)
        with delivery_worker(sink.port, private_queue, tmp_path, sending_timeout=2) as worker:
            assert task_publish(notifications_deliver)
            wait_for(lambda: len(sink.received()) >= 30, timeout=60, message=worker.log()[-3000:])
            os.killpg(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait(timeout=10)
        delivered_before = len(sink.received())
        assert delivered_before < 100, "the kill came too late to interrupt the run"
        assert Notification.objects.filter(status=St.SENDING).count() <= 1

        time.sleep(2.5)  # the abandoned claim is now older than the (test) sending timeout
        with delivery_worker(sink.port, private_queue, tmp_path, sending_timeout=2) as worker:
            assert task_publish(notifications_deliver)
            wait_for(lambda: not Notification.objects.exclude(status=St.SENT).exists(), timeout=60, message=worker.log()[-3000:])
            time.sleep(1)
        received = Counter(m.recipients[0] for m in sink.received())
    finally:
        sink.stop()

    assert set(received) == set(addresses)  # nothing lost
    assert sum(count - 1 for count in received.values()) <= 1  # at most the one in flight, twice


def test_smtp_down_for_two_hours_then_every_message_is_delivered_once(private_queue, tmp_path):
    admin = UserFactory()
    admin.groups.add(Group.objects.get_or_create(name=PROGRAMME_ADMIN_GROUP)[0])
    addresses = outbox(20)
    port = free_port()  # nothing listens: connection refused
    rows = Notification.objects.filter(kind=NotificationKind.STATE_CHANGED)
    with delivery_worker(port, private_queue, tmp_path) as worker:
        # Two simulated hours of delivery ticks against a server that refuses connections: each
        # tick fails, and the clock is moved on by rewinding the rows' timestamps.
        for tick in range(1, 5):
            assert task_publish(notifications_deliver)
            wait_for(lambda tick=tick: attempts(rows) >= tick, timeout=60, message=worker.log()[-3000:])
            rows.filter(first_failed_at__isnull=False).update(
                first_failed_at=timezone.now() - timezone.timedelta(hours=2), next_attempt_at=None
            )
        assert task_publish(notifications_deliver)
        wait_for(
            lambda: Notification.objects.filter(kind=NotificationKind.DELIVERY_DELAYED, recipient=admin).exists(), timeout=60
        )
        assert set(rows.values_list("status", flat=True)) == {St.PENDING}  # retried, not given up
        assert "Connection" in rows.filter(attempts__gte=1).first().last_error

        sink = SMTPSink(fixed_port=port).start()  # the server is back
        try:
            rows.update(next_attempt_at=None)  # … and the backoff of every row has run out
            assert task_publish(notifications_deliver)
            wait_for(lambda: not rows.exclude(status=St.SENT).exists(), timeout=60, message=worker.log()[-3000:])
            time.sleep(1)
            received = Counter(m.recipients[0] for m in sink.received())
        finally:
            sink.stop()
    assert received == Counter(addresses)  # each exactly once
