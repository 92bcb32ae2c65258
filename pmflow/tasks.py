"""Celery tasks of the shared core. Thin: take ids, call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="pmflow.notifications_deliver", acks_late=True)
def notifications_deliver() -> int:
    """Deliver pending outbox rows (e-mail and in-app). Idempotent."""
    from pmflow.services.delivery import notifications_deliver_pending

    return notifications_deliver_pending()
