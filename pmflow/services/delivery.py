"""Delivery of notification outbox rows (e-mail and in-app) and the in-app inbox writes.

Every outbox row is an in-app notification from the moment it is written (``read_at`` marks it
read). Delivery decides what happens to its e-mail:

* ``pending`` rows are claimed in batches with ``SELECT … FOR UPDATE SKIP LOCKED``: two deliveries
  running at once (two beat ticks, a retried task) claim disjoint rows, so each row is mailed once;
* no e-mail wanted (row says no, the user turned e-mail off, or has no address) → ``skipped``;
* the user chose the daily digest → ``digested``; ``notifications_send_digests`` later writes ONE
  digest row per user and day (unique key: recipient, DIGEST, the user, the date) listing them;
* otherwise the mail goes through Django's e-mail backend (SMTP in production) → ``sent`` with
  ``sent_at``; a failed send increments ``attempts``, keeps ``last_error`` and schedules
  ``next_attempt_at`` with exponential backoff; after MAX_ATTEMPTS the row is ``failed``. Failed
  rows stay in the inbox and in admin, and can be retried by setting them back to pending.

The send happens while the row lock is held and the row is marked in the same transaction: a crash
between the SMTP answer and the commit can repeat a mail (at-least-once), never lose one.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.errors import NotFound
from pmflow.models import Notification, NotificationKind, NotificationPreference, NotificationStatus, User

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600

St = NotificationStatus


def backoff_delay(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, 8 … minutes, at most 6 hours."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def _due_filter(now: dt.datetime) -> Q:
    return Q(status=St.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _absolute(url: str) -> str:
    if not url or url.startswith("http"):
        return url
    return settings.PMFLOW.get("SITE_URL", "").rstrip("/") + url


def _message(row: Notification, connection: Any) -> EmailMessage:
    body = row.body or row.subject
    link = _absolute(row.url)
    if link:
        body = f"{body}\n\n{link}"
    return EmailMessage(
        subject=row.subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[row.recipient.email], connection=connection
    )


def notifications_deliver_pending(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Deliver every pending outbox row that is due; returns the number of e-mails sent.
    Safe to run concurrently and repeatedly (idempotent)."""
    sent_total = 0
    while True:
        sent, claimed = _deliver_batch(now=now or timezone.now(), batch_size=batch_size)
        sent_total += sent
        if claimed < batch_size:
            return sent_total


def _deliver_batch(*, now: dt.datetime, batch_size: int) -> tuple[int, int]:
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_due_filter(now))
            .select_related("recipient")
            .order_by("id")[:batch_size]
        )
        if not rows:
            return 0, 0
        prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in={r.recipient_id for r in rows})}
        skipped, digested, to_send = [], [], []
        for row in rows:
            pref = prefs.get(row.recipient_id)
            email_on = row.send_email and bool(row.recipient.email) and row.recipient.is_active
            if pref is not None and not pref.email_enabled:
                email_on = False
            if not email_on:
                skipped.append(row.pk)
            elif pref is not None and pref.daily_digest and row.kind != NotificationKind.DIGEST:
                digested.append(row.pk)
            else:
                to_send.append(row)
        if skipped:
            Notification.objects.filter(pk__in=skipped).update(status=St.SKIPPED)
        if digested:
            Notification.objects.filter(pk__in=digested).update(status=St.DIGESTED)
        sent_ids: list[int] = []
        if to_send:
            sent_ids = _send(to_send)
        if sent_ids:
            Notification.objects.filter(pk__in=sent_ids).update(
                status=St.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="", next_attempt_at=None
            )
    return len(sent_ids), len(rows)


def _send(rows: list[Notification]) -> list[int]:
    """Send each row's mail over one backend connection; record failures on their rows. Returns
    the ids sent. Precondition: the caller holds the rows' locks."""
    sent: list[int] = []
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:  # noqa: BLE001 - any backend failure is recorded on the rows and retried
        for row in rows:
            _record_failure(row, exc)
        return sent
    try:
        for row in rows:
            try:
                _message(row, connection).send(fail_silently=False)
            except Exception as exc:  # noqa: BLE001 - one bad address must not stop the batch
                _record_failure(row, exc)
            else:
                sent.append(row.pk)
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("closing the e-mail connection failed", exc_info=True)
    return sent


def _record_failure(row: Notification, exc: Exception) -> None:
    attempts = row.attempts + 1
    failed = attempts >= MAX_ATTEMPTS
    logger.warning("notification %s: send attempt %s failed: %s", row.pk, attempts, exc)
    Notification.objects.filter(pk=row.pk).update(
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=None if failed else timezone.now() + backoff_delay(attempts),
        status=St.FAILED if failed else St.PENDING,
    )


def notifications_send_digests(*, today: dt.date | None = None) -> int:
    """Write one DIGEST outbox row per user (and day) listing that user's digested rows not yet
    mailed, and mark those rows as covered (``sent_at``). Returns the number of digests written.

    Two concurrent runs claim disjoint rows (SKIP LOCKED); a user who already has today's digest
    keeps the new rows for tomorrow's. The digest rows are delivered by the normal delivery."""
    today = today or timezone.localdate()
    with transaction.atomic():
        items = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=St.DIGESTED, sent_at__isnull=True)
            .order_by("recipient_id", "created_at", "id")
            .values("pk", "recipient_id", "subject", "url", "due_date")
        )
        if not items:
            return 0
        user_ct = ContentType.objects.get_for_model(User)
        recipients = {i["recipient_id"] for i in items}
        already = set(
            Notification.objects.filter(
                kind=NotificationKind.DIGEST, content_type=user_ct, recipient_id__in=recipients, due_date=today
            ).values_list("recipient_id", flat=True)
        )
        by_user: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            if item["recipient_id"] not in already:
                by_user.setdefault(item["recipient_id"], []).append(item)
        if not by_user:
            return 0
        digests = []
        for user_id, entries in by_user.items():
            lines = [f"· {e['subject']}" + (f"  {_absolute(e['url'])}" if e["url"] else "") for e in entries]
            digests.append(
                Notification(
                    recipient_id=user_id,
                    kind=NotificationKind.DIGEST,
                    content_type=user_ct,
                    object_id=str(user_id),
                    due_date=today,
                    subject=_("pmflow 每日摘要（%(date)s，%(count)s 条）") % {"date": today.isoformat(), "count": len(entries)},
                    body="\n".join(lines),
                    send_email=True,
                )
            )
        # A concurrent run that wrote the same user's digest first makes this raise IntegrityError:
        # nothing is marked, the task retries and then leaves the rows for tomorrow.
        Notification.objects.bulk_create(digests)
        Notification.objects.filter(pk__in=[e["pk"] for entries in by_user.values() for e in entries]).update(
            sent_at=timezone.now()
        )
    return len(digests)


def notification_mark_read(*, actor: Any, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (idempotent). Someone else's → NotFound."""
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification_id, recipient_id=actor.pk).first()
        if row is None:
            raise NotFound(_("通知不存在。"))
        if row.read_at is None:
            row.read_at = timezone.now()
            row.save(update_fields=["read_at"])
    return row


def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark all of the actor's unread notifications read (one UPDATE); returns how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
