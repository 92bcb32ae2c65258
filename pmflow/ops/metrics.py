"""Prometheus metrics.

Two kinds of series:

* **request latency per view** (``pmflow_http_request_duration_seconds``, a histogram observed by
  ``MetricsMiddleware``) lives in the web process. Under gunicorn with several workers set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder (cleared at each start): prometheus-client then
  writes each process's samples there and the scrape adds them up (its multiprocess mode). Without
  it, each process reports only its own requests (fine for ``make run`` and a single process).
* **state read at scrape time** from the database and the broker — queue depth, outbox backlog and
  age of the oldest pending message, recalculation lag, reminders sent, gate reviews past due. The
  database is the truth, so these are the same whichever process answers and need no
  multiprocess bookkeeping. Each scrape costs a handful of indexed queries and one ``LLEN``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from pmflow.ops.conf import ops_setting

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "pmflow_http_request_duration_seconds",
    "Time from the request reaching Django to the response, per view (URL name), method and status.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

#: notification kinds that are deadline reminders (pmflow.services.reminders and the task reminders)
REMINDER_SUFFIXES = ("_due", "_overdue", "_escalation", "_weekly")


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match.url_name or "") if match else ""
        REQUEST_LATENCY.labels(view=view or "<unmatched>", method=request.method or "", status=str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


def queue_length(queue: str) -> int | None:
    """Messages waiting in ``queue`` (Redis: the list's length); None when the broker is not Redis
    or does not answer."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            return int(client.llen(queue))
        finally:
            client.close()
    except redis.RedisError:
        return None


class PmflowStateCollector(Collector):
    """Series read from the database and the broker at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        from pmflow.models import Notification, NotificationStatus
        from pmflow.ops.readiness import outbox_oldest_pending_age

        now = timezone.now()
        queue = ops_setting("METRICS_QUEUE")
        depth = GaugeMetricFamily("pmflow_celery_queue_length", "Messages waiting in the Celery queue.", labels=["queue"])
        length = queue_length(queue)
        if length is not None:
            depth.add_metric([queue], length)
        yield depth

        backlog = Notification.objects.filter(status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]).count()
        yield GaugeMetricFamily(
            "pmflow_outbox_pending", "Notifications waiting to be delivered (pending or sending).", value=backlog
        )
        age = outbox_oldest_pending_age(now)
        yield GaugeMetricFamily(
            "pmflow_outbox_oldest_pending_age_seconds",
            "Age of the oldest notification still waiting to be delivered (0 when none waits).",
            value=age or 0.0,
        )
        yield GaugeMetricFamily(
            "pmflow_outbox_failed",
            "Notifications whose delivery ended as failed (shown to admins).",
            value=Notification.objects.filter(status=NotificationStatus.FAILED).count(),
        )

        dirty_model = _model("projects", "TaskListDirty")
        if dirty_model is not None:
            oldest = dirty_model.objects.order_by("created_at").values_list("created_at", flat=True).first()
            yield GaugeMetricFamily(
                "pmflow_recalculation_lag_seconds",
                "Age of the oldest task-list change not yet recalculated (0 when none waits).",
                value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            )
            yield GaugeMetricFamily(
                "pmflow_recalculation_dirty_lists",
                "Task lists waiting for a recalculation.",
                value=dirty_model.objects.values("task_list_id").distinct().count(),
            )

        sent = CounterMetricFamily("pmflow_reminders_sent", "Deadline reminders delivered, by kind.", labels=["kind"])
        rows = Notification.objects.filter(status=NotificationStatus.SENT).values("kind").annotate(n=Count("id")).order_by("kind")
        for row in rows:
            if row["kind"].endswith(REMINDER_SUFFIXES):
                sent.add_metric([row["kind"]], row["n"])
        yield sent

        gate_model = _model("milestones", "GateReview")
        if gate_model is not None:
            past_due = gate_model.objects.filter(
                status__in=["scheduled", "open", "closed"], due_date__lt=timezone.localdate(now)
            ).count()
            yield GaugeMetricFamily(
                "pmflow_gate_reviews_past_due", "Gate reviews not yet decided whose due date has passed.", value=past_due
            )


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def metrics_registry() -> CollectorRegistry:
    """The registry a scrape reads: this process's (or, in multiprocess mode, every process's)
    request histogram plus the state collector."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_LATENCY)
    registry.register(PmflowStateCollector())
    return registry


def metrics_render() -> tuple[bytes, str]:
    return generate_latest(metrics_registry()), CONTENT_TYPE_LATEST
