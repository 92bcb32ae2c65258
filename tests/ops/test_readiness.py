"""/readyz tells the truth: with a real private Redis, real worker and beat processes and the real
database, it turns unready for each failed dependency in turn and ready again when it is back;
/healthz runs no query. ``manage.py doctor`` prints the same checks."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import socket

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from pmflow.models import Notification, NotificationStatus
from pmflow.ops.beat import beat_heartbeat_record
from pmflow.ops.models import BeatHeartbeat
from tests.factories import UserFactory
from tests.integration.processes import celery_beat, redis_server
from tests.worker import celery_worker, wait_for

pytestmark = pytest.mark.worker


def test_healthz_is_alive_and_runs_no_query(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@contextlib.contextmanager
def database_down():
    """The default connection points at a closed port for the block: connecting is refused."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_closed_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def _failing(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if not check["ok"]}


def _wait_ready(client, timeout: float = 90) -> dict:
    def ready():
        status, body = _ready(client)
        return body if status == 200 else None

    return wait_for(ready, timeout=timeout, interval=0.5, message=f"never ready: {_ready(client)[1]}")


def test_readyz_turns_unready_for_each_failed_dependency_and_ready_when_it_is_back(transactional_db, client, tmp_path):
    db_name = connection.settings_dict["NAME"]
    with redis_server(tmp_path) as redis:
        ops = {"READY_BROKER_URL": redis.url, "READY_TIMEOUT_SECONDS": 1.5, "READY_BEAT_STALE_SECONDS": 60}
        with override_settings(PMFLOW_OPS=ops):
            beat_heartbeat_record()

            # No worker consumes from this broker yet.
            status, body = _ready(client)
            assert status == 503 and _failing(body) == {"worker"}, body
            assert set(body["checks"]) == {"database", "broker", "worker", "beat", "outbox"}
            assert "no worker answered" in body["checks"]["worker"]["detail"]

            worker_env = {"CELERY_BROKER_URL": redis.url}
            with celery_worker(db_name=db_name, extra_env=worker_env, log_dir=tmp_path, include=()) as worker:
                body = _wait_ready(client)
                assert all(check["ok"] for check in body["checks"].values())

                # Database down (the connection is refused), then back.
                with database_down():
                    status, body = _ready(client)
                assert status == 503 and "database" in _failing(body), body
                assert body["checks"]["database"]["detail"].startswith("unreachable")
                assert _ready(client)[0] == 200

                # Redis down: the broker and the worker ping fail; back: both answer again.
                redis.stop()
                status, body = _ready(client)
                assert status == 503 and {"broker", "worker"} <= _failing(body), body
                assert body["checks"]["database"]["ok"]
                redis.start()
                _wait_ready(client)

                # Beat stale, then a real beat process ticks and records its heartbeat.
                BeatHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(hours=1))
                status, body = _ready(client)
                assert status == 503 and _failing(body) == {"beat"}, body
                assert "last tick" in body["checks"]["beat"]["detail"]
                with celery_beat(db_name=db_name, log_dir=tmp_path, extra_env=worker_env) as beat:
                    wait_for(lambda: _ready(client)[0] == 200, timeout=60, interval=0.5, message=beat.log()[-3000:])

                # An old pending notification: the outbox is stuck; delivered: ready again.
                user = UserFactory()
                note = Notification.objects.create(
                    recipient=user,
                    kind="state_changed",
                    content_type=ContentType.objects.get_for_model(user),
                    object_id=str(user.pk),
                    subject="x",
                )
                assert _ready(client)[0] == 200  # young
                Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
                beat_heartbeat_record()
                status, body = _ready(client)
                assert status == 503 and _failing(body) == {"outbox"}, body
                Notification.objects.filter(pk=note.pk).update(status=NotificationStatus.SENT)
                assert _ready(client)[0] == 200

                # The worker stops: unready again.
                worker.proc.terminate()
                worker.proc.wait(timeout=30)
                status, body = _ready(client)
                assert status == 503 and _failing(body) == {"worker"}, body

            out = io.StringIO()
            with pytest.raises(SystemExit) as exit_info:
                call_command("doctor", stdout=out)
            assert exit_info.value.code == 1
            assert "worker" in out.getvalue() and "FAIL" in out.getvalue() and "database" in out.getvalue()


def test_readyz_names_unapplied_migrations(db, client):
    from django.db.migrations.recorder import MigrationRecorder

    MigrationRecorder.Migration.objects.filter(app="ops", name="0001_ops_initial").delete()
    with override_settings(PMFLOW_OPS={"READY_CHECK_WORKER": False, "READY_CHECK_BEAT": False}):
        status, body = _ready(client)
    assert status == 503
    assert "ops.0001_ops_initial" in body["checks"]["database"]["detail"]
