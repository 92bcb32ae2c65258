"""Celery tasks of the shared core. Thin and idempotent: each calls one service; a rerun changes
nothing already done (outbox rows carry a unique key; delivery claims rows with SKIP LOCKED).
acks_late + JSON + time limits come from settings; database hiccups retry with backoff."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import IntegrityError

from pmflow.services.delivery import notifications_deliver_pending
from pmflow.services.delivery import notifications_send_digests as send
from pmflow.services.reminders import reminders_sweep as sweep
from pmflow.tasking import TASK_RETRY


@shared_task(name="pmflow.notifications_deliver", **TASK_RETRY)
def notifications_deliver() -> int:
    """Deliver pending outbox rows (e-mail and in-app). Idempotent; safe to run concurrently."""
    return notifications_deliver_pending()


@shared_task(name="pmflow.reminders_sweep", **TASK_RETRY)
def reminders_sweep(today: str | None = None) -> int:
    """Daily (beat): write due / overdue / escalation reminders to the outbox; delivery is
    enqueued on commit. Does nothing on a non-working day. ``today`` (ISO date) is for reruns of a
    missed day; beat passes nothing."""
    return sweep(today=dt.date.fromisoformat(today) if today else None)


@shared_task(
    name="pmflow.notifications_send_digests", **{**TASK_RETRY, "autoretry_for": (*TASK_RETRY["autoretry_for"], IntegrityError)}
)
def notifications_send_digests() -> int:
    """Daily (beat, 18:00): one digest row per digest user, then deliver."""
    written = send()
    if written:
        notifications_deliver_pending()
    return written


@shared_task(name="pmflow.portfolio_changes_compact", **TASK_RETRY)
def portfolio_changes_compact() -> int:
    """Every few minutes (beat): fold the recorded portfolio changes into the version's base count,
    so that reading the version stays a count over a few rows. Changes no version."""
    from pmflow.portfolio_version import portfolio_changes_compact as compact

    return compact()
