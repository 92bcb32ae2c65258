"""The Prometheus endpoint: refused without a token or a staff login; after known activity it
reports request latency per view, queue depth (a real Redis list), outbox backlog and age,
recalculation lag, reminders sent and gate reviews past due, with the expected values."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from pmflow.celery import app, ping
from pmflow.models import Notification, NotificationStatus
from tests.factories import GateReviewFactory, KeyTaskListFactory, UserFactory, make_admin

TOKEN = "metrics-token-" + "x" * 20


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return _samples(response.content.decode())


@override_settings(PMFLOW_OPS={"METRICS_TOKEN": TOKEN})
def test_metrics_refuse_anonymous_wrong_token_and_non_staff(db, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    client.force_login(UserFactory())
    assert client.get("/metrics").status_code == 401
    client.force_login(make_admin(username="metrics-admin"))
    assert client.get("/metrics").status_code == 200


@override_settings(PMFLOW_OPS={"METRICS_TOKEN": ""})
def test_metrics_without_a_configured_token_refuse_every_bearer(db, client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_metrics_report_the_named_series_after_known_activity(reference_data, client):
    queue = f"h17-metrics-{uuid.uuid4().hex[:8]}"
    with override_settings(PMFLOW_OPS={"METRICS_TOKEN": TOKEN, "METRICS_QUEUE": queue}):
        before = _scrape(client)
        for _ in range(3):
            assert client.get("/healthz").status_code == 200

        # Two messages waiting in a queue nobody consumes.
        for _ in range(2):
            ping.apply_async(queue=queue)

        user = UserFactory()
        ct = ContentType.objects.get_for_model(user)

        def note(kind: str, status: str, age_s: int = 0) -> None:
            n = Notification.objects.create(
                recipient=user, kind=kind, content_type=ct, object_id=str(uuid.uuid4().int % 10**9), subject="s", status=status
            )
            Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - dt.timedelta(seconds=age_s))

        note("state_changed", NotificationStatus.PENDING, age_s=600)
        note("review_due", NotificationStatus.PENDING, age_s=30)
        for _ in range(3):
            note("review_due", NotificationStatus.SENT)
        note("milestone_overdue", NotificationStatus.SENT)
        note("state_changed", NotificationStatus.SENT)  # not a reminder

        from django.apps import apps

        dirty = apps.get_model("projects", "TaskListDirty").objects.create(task_list=KeyTaskListFactory())
        type(dirty).objects.filter(pk=dirty.pk).update(created_at=timezone.now() - dt.timedelta(seconds=120))

        yesterday = timezone.localdate() - dt.timedelta(days=1)
        open_late = GateReviewFactory(due_date=yesterday)
        decided_late = GateReviewFactory(due_date=yesterday)
        type(decided_late).objects.filter(pk=decided_late.pk).update(status="decided")
        GateReviewFactory(due_date=timezone.localdate() + dt.timedelta(days=5))
        type(open_late).objects.filter(pk=open_late.pk).update(status="open")

        try:
            after = _scrape(client)
        finally:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)

    key = ("pmflow_http_request_duration_seconds_count", (("method", "GET"), ("status", "200"), ("view", "healthz")))
    assert after[key] - before.get(key, 0) == 3
    assert after[("pmflow_celery_queue_length", (("queue", queue),))] == 2
    assert after[("pmflow_outbox_pending", ())] == 2
    assert 595 <= after[("pmflow_outbox_oldest_pending_age_seconds", ())] <= 660
    assert 115 <= after[("pmflow_recalculation_lag_seconds", ())] <= 180
    assert after[("pmflow_recalculation_dirty_lists", ())] == 1
    assert after[("pmflow_reminders_sent_total", (("kind", "review_due"),))] == 3
    assert after[("pmflow_reminders_sent_total", (("kind", "milestone_overdue"),))] == 1
    assert ("pmflow_reminders_sent_total", (("kind", "state_changed"),)) not in after
    assert after[("pmflow_gate_reviews_past_due", ())] == 1
