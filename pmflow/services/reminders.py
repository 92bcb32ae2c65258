"""Deadline reminders, written to the notification outbox: the sweep and its rules of timing.

The core owns the machinery (stages, the sweep's one transaction, preferences, the outbox insert);
the apps own their objects' reminders and register them here at start-up
(``reminder_source_register`` in their ``AppConfig.ready``) — the core imports no app. Today's
sources, both in ``milestones.services.reminders``:

* gate reviews still ``scheduled`` / ``open``:
  - REVIEW_DUE to each assigned, unconflicted reviewer who has not submitted a scorecard, when the
    review is due within 3 working days (early reminder: 1 < working days to due ≤ 3) and again
    within 1 working day (final reminder: 0 ≤ working days to due ≤ 1);
  - REVIEW_OVERDUE to the same reviewers once it is past due, and REVIEW_ESCALATION to the chair;
* milestones ``in_progress`` / ``submitted``:
  - MILESTONE_DUE to every PM-team member at the same two stages;
  - MILESTONE_OVERDUE to the members once past due, and MILESTONE_ESCALATION to the PM-team lead.

Windows rather than exact days: a sweep missed on one day (worker down) still sends the stage's
reminder on the next working day. The outbox key is (recipient, kind, object, date) where the date
is the object's due date for overdue and escalation rows, and the stage's reminder day
(``add_workdays(due, -3)`` / ``add_workdays(due, -1)``) for the two due-soon rows — so each stage is
written once per due date, a rescheduled object gets fresh reminders, and a repeated or concurrent
sweep is a no-op: the rows go in with ``INSERT … ON CONFLICT DO NOTHING`` (a second writer of the
same key waits on the unique index and then does nothing). Delivery claims the rows with
``SELECT … FOR UPDATE SKIP LOCKED`` (pmflow/services/delivery.py), so each is mailed once.

Set-based: a fixed handful of queries per sweep, whatever the number of objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.links import item_path
from pmflow.models import Notification, NotificationPreference, User
from pmflow.notifications import notifications_deliver_on_commit
from pmflow.workdays import date_is_provisional, is_workday, workdays_between

EARLY, FINAL = 3, 1

#: a source of reminder rows: (today, {due date: working days left}, horizon) → unsaved outbox rows
ReminderSource = Callable[[dt.date, dict[dt.date, int], dt.date], Iterable[Notification]]
_SOURCES: dict[str, ReminderSource] = {}


def reminder_source_register(name: str, source: ReminderSource) -> None:
    """Add ``source`` to the daily sweep (idempotent per ``name``; sources run in registration order)."""
    _SOURCES[name] = source


def reminder_stages(today: dt.date) -> dict[dt.date, int]:
    """Due dates that get a due-soon reminder today, mapped to their stage (3 or 1) and the number of
    working days left: {due_date: working_days_left}. Stage 1 covers 0–1 working days left, stage 3
    covers 2–3."""
    out: dict[dt.date, int] = {}
    day = today
    while True:
        left = workdays_between(today, day)
        if left > EARLY:
            return out
        out[day] = left
        day += dt.timedelta(days=1)


def reminder_stage(left: int) -> int:
    return FINAL if left <= FINAL else EARLY


def reminders_sweep(*, today: dt.date | None = None) -> int:
    """Write today's reminder rows to the outbox (in one transaction); returns the number of rows
    offered (rows already there are skipped by the unique key). Skips non-working days."""
    today = today or timezone.localdate()
    if not is_workday(today):
        return 0
    stages = reminder_stages(today)
    horizon = max(stages)
    with transaction.atomic():
        rows = [row for source in _SOURCES.values() for row in source(today, stages, horizon)]
        rows = _apply_preferences(rows)
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        if rows:
            notifications_deliver_on_commit()
    return len(rows)


def reminder_row(
    *,
    recipient_id: int,
    kind: str,
    ct: ContentType,
    object_id: int,
    key_date: dt.date,
    subject: str,
    body: str = "",
    project_id: int | None = None,
    due: dt.date | None = None,
) -> Notification:
    """An unsaved reminder row. ``due`` is the object's due date: when it falls in a year without
    an entered holiday arrangement, the body says so (the "no calendar data" flag in e-mail)."""
    if date_is_provisional(due):
        note = _("注意：截止日 %(due)s 所在年度（%(year)s 年）的节假日安排尚未录入，按周末计算；录入后截止日可能变动。") % {
            "due": due.isoformat(),
            "year": due.year,
        }
        body = f"{body or subject}\n\n{note}"
    return Notification(
        url=item_path(f"{ct.app_label}.{ct.model}", pk=object_id, kind=kind, project_id=project_id),
        recipient_id=recipient_id,
        kind=kind,
        content_type=ct,
        object_id=str(object_id),
        due_date=key_date,
        subject=subject[:300],
        body=body,
    )


def _apply_preferences(rows: list[Notification]) -> list[Notification]:
    """Set ``send_email`` from each recipient's preference and address (two queries)."""
    ids = {r.recipient_id for r in rows}
    if not ids:
        return rows
    emails: dict[int, Any] = dict(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email"))
    prefs = dict(NotificationPreference.objects.filter(user_id__in=ids).values_list("user_id", "email_enabled"))
    kept = []
    for r in rows:
        if r.recipient_id not in emails:
            continue  # inactive account: no reminder at all
        r.send_email = bool(emails[r.recipient_id]) and prefs.get(r.recipient_id, True)
        kept.append(r)
    return kept
