"""Publishing never hangs a web request when the broker is down: ``task_publish`` gives up within a
bounded time and returns False, and the state change the request made is committed anyway."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from django.db import transaction

from pmflow.celery import ping
from pmflow.models import User
from pmflow.settings.base import celery_transport_options
from pmflow.tasking import task_enqueue_on_commit, task_publish
from tests.factories import UserFactory
from tests.worker import broker_purge, celery_broker_override

BOUND_SECONDS = 10.0


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (an overloaded or wedged Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def closed_port_url() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more: connections are refused
    return f"redis://127.0.0.1:{port}/0"


@pytest.mark.django_db(transaction=True)
def test_publish_to_an_unreachable_broker_returns_false_quickly_and_the_change_commits(caplog):
    user = UserFactory(first_name="")
    url = closed_port_url()
    with celery_broker_override(url, celery_transport_options(url)), caplog.at_level(logging.WARNING, "pmflow.tasking"):
        started = time.monotonic()
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(first_name="已保存")
            task_enqueue_on_commit(ping)
        elapsed = time.monotonic() - started
        assert task_publish(ping) is False

    assert elapsed < BOUND_SECONDS
    assert User.objects.get(pk=user.pk).first_name == "已保存"
    assert "could not publish pmflow.ping" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_publish_to_a_broker_that_never_answers_gives_up_within_the_bound(silent_server):
    user = UserFactory(first_name="")
    with celery_broker_override(silent_server, celery_transport_options(silent_server)):
        started = time.monotonic()
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(first_name="已保存")
            task_enqueue_on_commit(ping)
        elapsed = time.monotonic() - started
        started_direct = time.monotonic()
        published = task_publish(ping)
        elapsed_direct = time.monotonic() - started_direct

    assert published is False
    assert elapsed < BOUND_SECONDS
    assert elapsed_direct < BOUND_SECONDS
    assert User.objects.get(pk=user.pk).first_name == "已保存"


def test_publish_works_again_after_the_broker_override_is_lifted():
    assert task_publish(ping) is True  # the app's own pool is back (and open)
    broker_purge()  # a session worker may have taken the ping already; leave the queue empty either way
