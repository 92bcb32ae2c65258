"""Enqueueing Celery work from a service without ever hanging or failing the request.

Work is registered with ``transaction.on_commit`` so a worker never sees uncommitted rows. If the
broker is unreachable the publish fails fast (bounded retries in settings) and is logged; the state
change has already committed, and whatever must happen is recoverable from the database (the
notification outbox, the nightly recalculation), so nothing is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

#: every task's delivery and retry policy: acknowledged after it ran (at-least-once; tasks are
#: idempotent), database hiccups (lost connection, deadlock) retried with exponential backoff
TASK_RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


def task_publish(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Publish ``task`` now; return False (and log) instead of raising when the broker is down."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        logger.warning("could not publish %s; it will be picked up by the next sweep", getattr(task, "name", task), exc_info=True)
        return False
    return True


def task_enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Publish ``task`` after the current transaction commits (at once when not in one)."""
    transaction.on_commit(lambda: task_publish(task, *args, **kwargs))
