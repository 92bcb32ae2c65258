"""Writing to the notification outbox. Rows are written in the caller's transaction with a unique
key (recipient, kind, object, due date); delivery happens later in a Celery task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from celery import signature
from django.contrib.contenttypes.models import ContentType
from django.db import models

from pmflow.links import object_path
from pmflow.models import Notification, NotificationPreference
from pmflow.tasking import task_enqueue_on_commit


def notification_enqueue(
    *,
    recipients: Iterable[Any],
    kind: str,
    obj: models.Model,
    subject: str,
    body: str = "",
    url: str = "",
    due_date: dt.date | None = None,
) -> None:
    """Write one outbox row per recipient unless one with the same key exists. Precondition: called inside the transaction of the change that causes the notification.
    Delivery is registered on commit by the caller (``notifications_deliver_on_commit``)."""
    people = [r for r in recipients if r is not None]
    if not people:
        return
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    url = url or object_path(obj, kind=kind)  # every notification links to its item
    prefs = dict(NotificationPreference.objects.filter(user__in=[p.pk for p in people]).values_list("user_id", "email_enabled"))
    rows = [
        Notification(
            recipient=p,
            kind=kind,
            content_type=ct,
            object_id=str(obj.pk),
            due_date=due_date,
            subject=str(subject)[:300],
            body=str(body),
            url=url,
            send_email=prefs.get(p.pk, True) and bool(getattr(p, "email", "")),
        )
        for p in {p.pk: p for p in people}.values()
    ]
    # ON CONFLICT DO NOTHING on the unique key: a second writer of the same reminder is a no-op.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


def notifications_deliver_on_commit() -> None:
    """Ask a worker to deliver pending notifications once the current transaction commits. The task
    is named, not imported: pmflow.tasks (an interface) calls the services, never the other way."""
    task_enqueue_on_commit(signature("pmflow.notifications_deliver"))
