"""One request id from the web request (X-Request-ID) to the Celery task it enqueues (a real worker)
and the audit row it writes; logs as JSON lines carry it."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.urls import reverse

from pmflow.models import AuditEntry
from pmflow.ops.logging import JsonFormatter
from pmflow.ops.models import AuditRequest
from pmflow.ops.request_id import RequestIdFilter
from projects.models import Task
from tests.factories import TaskFactory
from tests.worker import wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def json_request_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    request_logger = logging.getLogger("pmflow.request")
    request_logger.addHandler(handler)
    saved = request_logger.level
    request_logger.setLevel(logging.INFO)
    yield stream
    request_logger.removeHandler(handler)
    request_logger.setLevel(saved)


def test_one_request_id_in_the_web_log_the_workers_task_log_and_the_audit_row(
    reference_data, celery_worker_process, client, json_request_log
):
    task = TaskFactory()
    client.force_login(task.task_list.pm_team.lead)
    rid = "req-h17-0123456789abcdef"
    response = client.post(
        reverse("tasks:progress", args=[task.pk]), {"progress": "40"}, HTTP_HX_REQUEST="true", HTTP_X_REQUEST_ID=rid
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == rid
    assert Task.objects.get(pk=task.pk).progress == 40

    # The web log line (JSON) names the request id, the view and the status.
    lines = [json.loads(line) for line in json_request_log.getvalue().splitlines()]
    (line,) = [entry for entry in lines if entry["path"] == reverse("tasks:progress", args=[task.pk])]
    assert line["request_id"] == rid and line["status"] == 200 and line["view"] == "tasks:progress"

    # The audit row written by the request carries it.
    entry = AuditEntry.objects.filter(object_id=str(task.pk)).latest("id")
    assert AuditRequest.objects.get(audit_entry=entry).request_id == rid

    # The recalculation the request enqueued ran in the real worker under the same id.
    wait_for(
        lambda: "task projects.task_list_recalculate" in celery_worker_process.log() and rid in celery_worker_process.log(),
        timeout=60,
        message=celery_worker_process.log()[-3000:],
    )
    worker_line = next(line for line in celery_worker_process.log().splitlines() if rid in line)
    assert "projects.task_list_recalculate" in worker_line
    task_id = worker_line.split("[")[-1].split("]")[0]
    # Let the task finish before the test's database is flushed.
    wait_for(
        lambda: f"[{task_id}] succeeded" in celery_worker_process.log(), timeout=60, message=celery_worker_process.log()[-3000:]
    )


def test_a_generated_id_when_none_or_a_bad_one_is_offered(db, client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces\n")["X-Request-ID"]
    assert len(first) == 32 and len(second) == 32 and first != second


def test_json_formatter_writes_one_object_per_line_with_extras():
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hello %s", "args": ("世界",), "view": "v"})
    RequestIdFilter().filter(record)
    body = json.loads(JsonFormatter().format(record))
    assert body["message"] == "hello 世界" and body["request_id"] == "-" and body["view"] == "v" and body["level"] == "INFO"
