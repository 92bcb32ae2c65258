"""Delivery of notification outbox rows (e-mail and in-app) and the in-app inbox writes.

Every outbox row is an in-app notification from the moment it is written (``read_at`` marks it
read). Delivery decides what happens to its e-mail:

* no e-mail wanted (row says no, the user turned e-mail off, or has no address) → ``skipped``;
* the user chose the daily digest → ``digested``; ``notifications_send_digests`` later writes ONE
  digest row per user and day (unique key: recipient, DIGEST, the user, the date) listing them;
* otherwise the row is **claimed on its own** — ``UPDATE … SET status = 'sending', claimed_at = now
  WHERE id = … AND status = 'pending'`` commits before the SMTP call (two deliveries running at
  once cannot both claim it) — mailed, and marked ``sent`` in a commit right after the server
  accepted it. A worker killed mid-run therefore repeats at most the one message in flight: its row
  stays ``sending`` and is claimed again once ``claimed_at`` is older than
  ``PMFLOW["DELIVERY_SENDING_TIMEOUT"]`` (longer than any task may run, so never while in flight).

Failures:

* **permanent** — the server refuses the recipient with a 5xx at RCPT (``SMTPRecipientsRefused``)
  or the address cannot be written: the row is ``failed`` at once, listed for admins in Django
  admin with a one-click retry (``notifications_retry``);
* **transient** — anything else (connection refused, timeouts, 4xx, 5xx at connect or DATA): the
  row stays ``pending`` with ``next_attempt_at`` on a capped exponential backoff (1, 2, 4 … minutes,
  at most ``DELIVERY_BACKOFF_MAX``), for ``DELIVERY_RETRY_WINDOW`` (3 days) from its first failure;
  only then is it ``failed``. A failure to talk to the server ends the run (the next tick tries
  again) instead of trying every row against a server that is down. Once a row has been failing
  for ``DELIVERY_ALERT_AFTER`` (1 hour), programme admins get an in-app alert (once a day).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
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
from pmflow.notifications import notifications_deliver_on_commit
from pmflow.selectors import programme_admins

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
BACKOFF_BASE_SECONDS = 60

St = NotificationStatus

#: delivery settings (seconds), overridable in settings.PMFLOW
DELIVERY_DEFAULTS = {
    "DELIVERY_SENDING_TIMEOUT": 600,  # > CELERY_TASK_TIME_LIMIT: a ``sending`` row this old is dead
    "DELIVERY_RETRY_WINDOW": 3 * 24 * 3600,
    "DELIVERY_BACKOFF_MAX": 30 * 60,
    "DELIVERY_ALERT_AFTER": 3600,
}


def delivery_setting(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.PMFLOW.get(name, DELIVERY_DEFAULTS[name])))


def backoff_delay(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, 8 … minutes, at most DELIVERY_BACKOFF_MAX."""
    cap = delivery_setting("DELIVERY_BACKOFF_MAX").total_seconds()
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 30), cap))


def failure_is_permanent(exc: BaseException) -> bool:
    """Only a refusal of the recipient itself (5xx at RCPT) or an address that cannot be written is
    permanent; connection trouble, timeouts, 4xx and 5xx at connect or DATA are worth retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(500 <= int(code) < 600 for code in codes)
    return isinstance(exc, ValueError)  # Django: "Invalid address" (also UnicodeError)


def _due_filter(now: dt.datetime) -> Q:
    """Rows a delivery may claim at ``now``: pending and due, or ``sending`` but abandoned."""
    pending = Q(status=St.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=St.SENDING, claimed_at__lt=now - delivery_setting("DELIVERY_SENDING_TIMEOUT"))
    return pending | abandoned


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
    """Deliver every outbox row that is due; returns the number of e-mails sent. Safe to run
    concurrently and repeatedly: each row is claimed on its own before its SMTP call.
    ``now`` is the run's clock (tests move it to simulate time passing)."""
    sent_total = 0
    while True:
        sent, complete = _deliver_batch(now=now or timezone.now(), batch_size=batch_size)
        sent_total += sent
        if not complete:
            return sent_total


def _deliver_batch(*, now: dt.datetime, batch_size: int) -> tuple[int, bool]:
    """One batch. Returns (mails sent, whether another batch may be due)."""
    rows = list(Notification.objects.filter(_due_filter(now)).select_related("recipient").order_by("id")[:batch_size])
    if not rows:
        return 0, False
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
        Notification.objects.filter(_due_filter(now), pk__in=skipped).update(status=St.SKIPPED)
    if digested:
        Notification.objects.filter(_due_filter(now), pk__in=digested).update(status=St.DIGESTED)
    sent, server_ok = _send(to_send, now=now)
    if not server_ok:
        notifications_alert_delayed(now=now)
    return sent, server_ok and len(rows) == batch_size


def _claim(row: Notification, now: dt.datetime) -> bool:
    """Mark the row ``sending`` (committed at once, before the SMTP call); False when another
    delivery claimed it first. One statement: a concurrent claimer waits on the row lock and then
    finds the row no longer matches."""
    claimed = Notification.objects.filter(_due_filter(now), pk=row.pk).update(
        status=St.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def _send(rows: list[Notification], *, now: dt.datetime) -> tuple[int, bool]:
    """Claim, send and mark each row over one backend connection (opened on the first claim).
    Returns (mails sent, whether the server could be used); a transient failure ends the run."""
    sent = 0
    connection = None
    try:
        for row in rows:
            if not _claim(row, now):
                continue
            try:
                if connection is None:
                    connection = get_connection(fail_silently=False)
                    connection.open()
                _message(row, connection).send(fail_silently=False)
            except Exception as exc:  # noqa: BLE001 - every backend failure is classified and recorded
                permanent = failure_is_permanent(exc)
                _record_failure(row, exc, now=now, permanent=permanent)
                if permanent or isinstance(exc, smtplib.SMTPRecipientsRefused):
                    continue  # the server is fine; only this recipient is refused
                return sent, False
            else:
                # Committed right after the server accepted the mail: a crash from here on cannot
                # repeat it.
                Notification.objects.filter(pk=row.pk, status=St.SENDING).update(
                    status=St.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
                )
                sent += 1
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:
                logger.warning("closing the e-mail connection failed", exc_info=True)
    return sent, True


def _record_failure(row: Notification, exc: BaseException, *, now: dt.datetime, permanent: bool) -> None:
    """Record a failed attempt of a row this delivery claimed (``attempts`` counted at the claim)."""
    attempts = row.attempts + 1
    first_failed = row.first_failed_at or now
    next_attempt = now + backoff_delay(attempts)
    expired = next_attempt > first_failed + delivery_setting("DELIVERY_RETRY_WINDOW")
    failed = permanent or expired
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if expired and not permanent:
        error = _("重试期已过，放弃发送。") + " " + error
    logger.warning("notification %s: send attempt %s failed (%s): %s", row.pk, attempts, "final" if failed else "retry", exc)
    Notification.objects.filter(pk=row.pk, status=St.SENDING).update(
        last_error=error,
        first_failed_at=first_failed,
        next_attempt_at=None if failed else next_attempt,
        status=St.FAILED if failed else St.PENDING,
    )


def notifications_alert_delayed(*, now: dt.datetime | None = None) -> int:
    """If e-mail has been failing for longer than DELIVERY_ALERT_AFTER, tell every programme admin
    in the app (not by mail: mail is what fails), at most once a day (unique key: admin, kind,
    the admin, the date). Returns the number of rows still waiting that long."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(
        status__in=(St.PENDING, St.SENDING), first_failed_at__lte=now - delivery_setting("DELIVERY_ALERT_AFTER")
    ).count()
    if not waiting:
        return 0
    admins = list(programme_admins())
    if admins:
        user_ct = ContentType.objects.get_for_model(User)
        day = timezone.localdate(now)
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=admin,
                    kind=NotificationKind.DELIVERY_DELAYED,
                    content_type=user_ct,
                    object_id=str(admin.pk),
                    due_date=day,
                    subject=_("邮件发送受阻：%(count)s 条通知已超过 1 小时未能发出，请检查邮件服务器。") % {"count": waiting},
                    url="/admin/pmflow/notification/?status__exact=pending",
                    send_email=False,
                )
                for admin in admins
            ],
            ignore_conflicts=True,
        )
    return waiting


def notifications_retry(*, notification_ids: list[int]) -> int:
    """Put failed rows back in the queue (admin action); returns how many. Their retry window
    starts again; delivery is asked for on commit."""
    with transaction.atomic():
        count = Notification.objects.filter(pk__in=notification_ids, status=St.FAILED).update(
            status=St.PENDING, next_attempt_at=None, first_failed_at=None, claimed_at=None
        )
        if count:
            notifications_deliver_on_commit()
    return count


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
