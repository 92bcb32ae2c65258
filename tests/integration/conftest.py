"""Fixtures of the outbox integration tests: a local SMTP sink and two real Celery workers that
deliver through it, consuming a queue of their own (see worker_settings.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest

from tests.integration.smtp_sink import SMTPSink
from tests.worker import celery_default_queue, celery_worker


@contextlib.contextmanager
def broker_unreachable() -> Iterator[str]:
    """This process publishes to a closed port for the block (workers keep their own broker).

    Wraps ``tests.worker.celery_broker_override`` and also resets kombu's process-wide producer
    pools: they are keyed by broker URL, so after the override the old entry for the test Redis
    would still point at the connection pool the override closed ("Acquire on closed pool")."""
    import socket

    from kombu import pools

    from pmflow.settings.base import celery_transport_options
    from tests.worker import celery_broker_override

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    probe.close()  # nothing listens there any more: connections are refused
    pools.reset()
    try:
        with celery_broker_override(url, celery_transport_options(url)):
            yield url
    finally:
        pools.reset()


def queue_purge(queue: str) -> None:
    from pmflow.celery import app

    with app.connection_for_write() as conn:
        with contextlib.suppress(Exception):
            conn.default_channel.queue_purge(queue)


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def outbox_workers(django_db_setup, django_db_blocker, smtp_sink, tmp_path_factory):
    """Two real worker processes on the test Redis and test database, on a private queue, mailing
    through the SMTP sink. Two, so that two sweeps or two deliveries really run at the same time."""
    from django.db import connection

    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
    queue = f"pmflow-e2e-{uuid.uuid4().hex[:8]}"
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
        "PMFLOW_TEST_SMTP_PORT": str(smtp_sink.port),
        "PMFLOW_TEST_QUEUE": queue,
    }
    with (
        celery_worker(db_name=db_name, extra_env=env, log_dir=tmp_path_factory.mktemp("outbox-worker-1")) as first,
        celery_worker(db_name=db_name, extra_env=env, log_dir=tmp_path_factory.mktemp("outbox-worker-2")) as second,
    ):
        yield {"queue": queue, "workers": (first, second)}
    queue_purge(queue)


@pytest.fixture
def outbox_worker_queue(transactional_db, outbox_workers, smtp_sink) -> Iterator[str]:
    """Publish to the outbox workers' queue during the test; the sink starts empty."""
    for worker in outbox_workers["workers"]:
        if not worker.alive():
            pytest.fail(f"an outbox worker died:\n{worker.log()}")
    with smtp_sink.lock:
        smtp_sink.messages.clear()
    queue_purge(outbox_workers["queue"])
    with celery_default_queue(outbox_workers["queue"]):
        yield outbox_workers["queue"]


def workers_log(outbox_workers) -> str:
    return "\n\n".join(w.log()[-4000:] for w in outbox_workers["workers"])
