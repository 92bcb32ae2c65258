"""Deadline reminders for gate reviews and milestones, written to the notification outbox.

Run daily by Celery beat (``pmflow.reminders_sweep``). On a non-working day (Chinese statutory
calendar, 调休 included) the sweep does nothing. On a working day ``today`` it writes:

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
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.links import item_path
from pmflow.models import Notification, NotificationKind, NotificationPreference, User
from pmflow.workdays import add_workdays, is_workday, workdays_between

EARLY, FINAL = 3, 1
REVIEW_STATES = ("scheduled", "open")
MILESTONE_STATES = ("in_progress", "submitted")
K = NotificationKind


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


def _stage(left: int) -> int:
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
        rows = [*_review_rows(today, stages, horizon), *_milestone_rows(today, stages, horizon)]
        rows = _apply_preferences(rows)
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        if rows:
            from pmflow.notifications import notifications_deliver_on_commit

            notifications_deliver_on_commit()
    return len(rows)


def _row(
    *,
    recipient_id: int,
    kind: str,
    ct: ContentType,
    object_id: int,
    key_date: dt.date,
    subject: str,
    body: str = "",
    project_id: int | None = None,
) -> Notification:
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


def _review_rows(today: dt.date, stages: dict[dt.date, int], horizon: dt.date) -> Iterable[Notification]:
    from milestones.models import GateReview, ReviewerAssignment

    ct = ContentType.objects.get_for_model(GateReview)
    gates = {
        g["pk"]: g
        for g in GateReview.objects.filter(status__in=REVIEW_STATES, due_date__lte=horizon)
        .order_by()
        .values("pk", "due_date", "chair_id", "project__code", "milestone__sequence", "kind")
    }
    if not gates:
        return []
    pending = (
        ReviewerAssignment.objects.filter(gate_id__in=list(gates))
        .exclude(has_conflict=True)
        .filter(Q(scorecard__isnull=True) | Q(scorecard__submitted_at__isnull=True))
        .order_by()
        .values_list("gate_id", "reviewer_id")
    )
    waiting: dict[int, list[int]] = {}
    for gate_id, reviewer_id in pending:
        waiting.setdefault(gate_id, []).append(reviewer_id)
    rows: list[Notification] = []
    for gate_id, g in gates.items():
        due: dt.date = g["due_date"]
        label = f"{g['project__code']} " + (f"M{g['milestone__sequence']}" if g["milestone__sequence"] else f"#{gate_id}")
        if due < today:
            for reviewer_id in waiting.get(gate_id, []):
                rows.append(
                    _row(
                        recipient_id=reviewer_id,
                        kind=K.REVIEW_OVERDUE,
                        ct=ct,
                        object_id=gate_id,
                        key_date=due,
                        subject=_("关口评审 %(gate)s 已逾期（截止日 %(due)s），请尽快提交评分。") % {"gate": label, "due": due},
                    )
                )
            rows.append(
                _row(
                    recipient_id=g["chair_id"],
                    kind=K.REVIEW_ESCALATION,
                    ct=ct,
                    object_id=gate_id,
                    key_date=due,
                    subject=_("关口评审 %(gate)s 已逾期（截止日 %(due)s），尚有 %(count)s 位专家未提交评分。")
                    % {"gate": label, "due": due, "count": len(waiting.get(gate_id, []))},
                )
            )
        elif due in stages:
            left = stages[due]
            for reviewer_id in waiting.get(gate_id, []):
                rows.append(
                    _row(
                        recipient_id=reviewer_id,
                        kind=K.REVIEW_DUE,
                        ct=ct,
                        object_id=gate_id,
                        key_date=add_workdays(due, -_stage(left)),
                        subject=_("关口评审 %(gate)s 将于 %(due)s 截止（剩余 %(left)s 个工作日）。")
                        % {"gate": label, "due": due, "left": left},
                    )
                )
    return rows


def _milestone_rows(today: dt.date, stages: dict[dt.date, int], horizon: dt.date) -> Iterable[Notification]:
    from milestones.models import Milestone
    from projects.models import PMTeamMembership

    ct = ContentType.objects.get_for_model(Milestone)
    milestones = list(
        Milestone.objects.filter(status__in=MILESTONE_STATES, current_due__lte=horizon)
        .order_by()
        .values(
            "pk",
            "project_id",
            "current_due",
            "sequence",
            "title",
            "project__code",
            "project__pm_team_id",
            "project__pm_team__lead_id",
        )
    )
    if not milestones:
        return []
    members: dict[int, list[int]] = {}
    for team_id, user_id in (
        PMTeamMembership.objects.filter(team_id__in={m["project__pm_team_id"] for m in milestones})
        .order_by()
        .values_list("team_id", "user_id")
    ):
        members.setdefault(team_id, []).append(user_id)
    rows: list[Notification] = []
    for m in milestones:
        due: dt.date = m["current_due"]
        label = f"{m['project__code']} M{m['sequence']} {m['title']}"
        team = members.get(m["project__pm_team_id"], [])
        if due < today:
            for user_id in team:
                rows.append(
                    _row(
                        recipient_id=user_id,
                        kind=K.MILESTONE_OVERDUE,
                        ct=ct,
                        object_id=m["pk"],
                        project_id=m["project_id"],
                        key_date=due,
                        subject=_("里程碑 %(ms)s 已逾期（截止日 %(due)s）。") % {"ms": label, "due": due},
                    )
                )
            rows.append(
                _row(
                    recipient_id=m["project__pm_team__lead_id"],
                    kind=K.MILESTONE_ESCALATION,
                    ct=ct,
                    object_id=m["pk"],
                    project_id=m["project_id"],
                    key_date=due,
                    subject=_("里程碑逾期升级：%(ms)s 已逾期（截止日 %(due)s），请项目经理跟进。") % {"ms": label, "due": due},
                )
            )
        elif due in stages:
            left = stages[due]
            for user_id in team:
                rows.append(
                    _row(
                        recipient_id=user_id,
                        kind=K.MILESTONE_DUE,
                        ct=ct,
                        object_id=m["pk"],
                        project_id=m["project_id"],
                        key_date=add_workdays(due, -_stage(left)),
                        subject=_("里程碑 %(ms)s 将于 %(due)s 到期（剩余 %(left)s 个工作日）。")
                        % {"ms": label, "due": due, "left": left},
                    )
                )
    return rows


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
