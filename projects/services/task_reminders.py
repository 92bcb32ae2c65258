"""Reminders about key tasks (DESIGN.md §6 "remind task owners"), written to the notification outbox.

Run daily by beat (``projects.task_reminders_sweep``); on a non-working day it does nothing. On a
working day ``today`` it writes, for every unfinished task (progress < 100, no done date) of a list
whose project is not closed, rejected or terminated:

* TASK_DUE when the task is due within 3 working days (``reminder_stages``: 0–3 working days left),
* TASK_OVERDUE once it is past due,

each to the task's owner and to the list's owner (the lead of the PM team that keeps the list),
with the outbox key (recipient, kind, task, due date): each reminder is written once per due date
— a rescheduled task gets fresh ones — and a repeated or concurrent sweep is a no-op. And once a
week (the first sweep of the ISO week; key: the week's Monday), one digest per project to the
project lead (项目负责人) listing the project's overdue tasks.

Set-based: the task reminders are ONE ``INSERT … SELECT … ON CONFLICT DO NOTHING`` over the tasks,
with the recipients' preferences (e-mail on/off, address, active account) joined in SQL — whatever
the number of tasks (bench/reminders_bench.py: 100,000 due tasks). Delivery, preferences and the
daily digest are the outbox's (pmflow/services/delivery.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.links import item_path
from pmflow.models import Notification, NotificationKind, NotificationPreference, NotificationStatus, User
from pmflow.notifications import notifications_deliver_on_commit
from pmflow.services.reminders import reminder_stages
from pmflow.workdays import is_workday
from projects.models import KeyTaskList, PMTeam, Project, ProjectState, Task

K = NotificationKind
#: projects whose tasks no longer get reminders
QUIET_PROJECT_STATES = ProjectState.FINAL_STATES
#: overdue tasks named in a weekly digest (the rest are counted)
DIGEST_LIST_LIMIT = 20


def task_reminders_sweep(*, today: dt.date | None = None) -> int:
    """Write today's task reminders and, on the week's first sweep, the project leads' weekly
    digests; returns the number of rows written (rows already there are not counted). Skips
    non-working days. Delivery is asked for on commit."""
    today = today or timezone.localdate()
    if not is_workday(today):
        return 0
    horizon = max(reminder_stages(today))
    with transaction.atomic():
        written = _task_rows_insert(today=today, horizon=horizon) + _weekly_digests_write(today=today)
        if written:
            notifications_deliver_on_commit()
    return written


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _task_rows_insert(*, today: dt.date, horizon: dt.date) -> int:
    """TASK_DUE / TASK_OVERDUE rows for every unfinished task due by ``horizon``, to its owner and
    its list's owner: one INSERT … SELECT (PostgreSQL and SQLite)."""
    marker = "987654321"
    board = item_path("projects.keytasklist", pk=int(marker))
    url_prefix, _sep, url_suffix = board.partition(marker) if marker in board else ("", "", "")
    task_t, list_t, team_t, project_t = _table(Task), _table(KeyTaskList), _table(PMTeam), _table(Project)
    user_t, pref_t, notif_t = _table(User), _table(NotificationPreference), _table(Notification)
    quiet = ", ".join(["%s"] * len(QUIET_PROJECT_STATES))
    url = "''" if not board else "%s || CAST(r.list_id AS varchar(20)) || %s"
    # Two branches, disjoint (the list owner's branch leaves out tasks the list owner owns), so
    # UNION ALL needs no sort; rows already in the outbox are left out by an anti-join on the
    # unique key before anything is computed for them (a rerun writes nothing and costs little).
    candidates = f"""
        SELECT t.id AS task_id, t.title AS title, t.due_date AS due_date, t.task_list_id AS list_id,
               {{recipient}} AS recipient_id,
               CASE WHEN t.due_date < %s THEN '{K.TASK_OVERDUE.value}' ELSE '{K.TASK_DUE.value}' END AS kind
        FROM {task_t} t
        JOIN {list_t} l ON l.id = t.task_list_id
        {{join}}
        LEFT JOIN {project_t} p ON p.id = l.project_id
        WHERE t.progress < 100 AND t.done_date IS NULL AND t.due_date <= %s
          AND (p.id IS NULL OR p.status NOT IN ({quiet})) AND {{recipient}} IS NOT NULL {{extra}}"""
    owners = candidates.format(recipient="t.owner_id", join="", extra="")
    list_owners = candidates.format(
        recipient="tm.lead_id",
        join=f"JOIN {team_t} tm ON tm.id = l.pm_team_id",
        extra="AND (t.owner_id IS NULL OR t.owner_id <> tm.lead_id)",
    )
    subject = (
        f"SUBSTR(REPLACE(REPLACE(CASE WHEN r.kind = '{K.TASK_DUE.value}' THEN %s ELSE %s END, "
        "'{task}', r.title), '{due}', CAST(r.due_date AS varchar(10))), 1, 300)"
    )
    sql = f"""
        INSERT INTO {notif_t} (recipient_id, kind, content_type_id, object_id, due_date, subject, body, url,
                               send_email, status, attempts, last_error, created_at)
        SELECT r.recipient_id, r.kind, %s, CAST(r.task_id AS varchar(64)), r.due_date, {subject}, '', {url},
               (u.email <> '' AND COALESCE(np.email_enabled, TRUE)), %s, 0, '', %s
        FROM ({owners} UNION ALL {list_owners}) r
        JOIN {user_t} u ON u.id = r.recipient_id AND u.is_active
        LEFT JOIN {pref_t} np ON np.user_id = r.recipient_id
        WHERE NOT EXISTS (
            SELECT 1 FROM {notif_t} n
            WHERE n.recipient_id = r.recipient_id AND n.kind = r.kind AND n.content_type_id = %s
              AND n.object_id = CAST(r.task_id AS varchar(64)) AND n.due_date = r.due_date)
        ON CONFLICT DO NOTHING"""
    part = [today, horizon, *QUIET_PROJECT_STATES]
    params: list[Any] = [ContentType.objects.get_for_model(Task).pk]
    params += [
        _("任务「{task}」将于 {due} 到期，请及时更新进度。"),
        _("任务「{task}」已逾期（截止日 {due}），请尽快处理或调整计划。"),
    ]
    if board:
        params += [url_prefix, url_suffix]
    params += [NotificationStatus.PENDING.value, timezone.now(), *part, *part, params[0]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weekly_digests_write(*, today: dt.date) -> int:
    """One TASK_OVERDUE_WEEKLY row per project with overdue tasks, to its lead, on the week's first
    sweep (key date: the week's Monday). Returns the number of rows written."""
    monday = week_start(today)
    if Notification.objects.filter(kind=K.TASK_OVERDUE_WEEKLY, due_date=monday).exists():
        return 0  # this week's digests are out
    overdue = (
        Task.objects.filter(progress__lt=100, done_date__isnull=True, due_date__lt=today, task_list__project__isnull=False)
        .exclude(task_list__project__status__in=QUIET_PROJECT_STATES)
        .order_by("task_list__project_id", "due_date", "id")
        .values_list("task_list__project_id", "title", "due_date")
    )
    by_project: dict[int, list[tuple[str, dt.date]]] = defaultdict(list)
    for project_id, title, due in overdue:
        by_project[project_id].append((title, due))
    if not by_project:
        return 0
    projects = {
        p["pk"]: p
        for p in Project.objects.filter(pk__in=list(by_project), lead__is_active=True)
        .order_by()
        .values("pk", "code", "lead_id", "lead__email")
    }
    email_off = set(
        NotificationPreference.objects.filter(
            user_id__in={p["lead_id"] for p in projects.values()}, email_enabled=False
        ).values_list("user_id", flat=True)
    )
    ct = ContentType.objects.get_for_model(Project)
    rows = []
    for project_id, p in projects.items():
        tasks = by_project[project_id]
        lines = [f"· {title}（{_('截止日')} {due}）" for title, due in tasks[:DIGEST_LIST_LIMIT]]
        if len(tasks) > DIGEST_LIST_LIMIT:
            lines.append(_("……另有 %(count)s 项") % {"count": len(tasks) - DIGEST_LIST_LIMIT})
        rows.append(
            Notification(
                recipient_id=p["lead_id"],
                kind=K.TASK_OVERDUE_WEEKLY,
                content_type=ct,
                object_id=str(project_id),
                due_date=monday,
                subject=_("项目 %(code)s 本周逾期任务 %(count)s 项") % {"code": p["code"], "count": len(tasks)},
                body="\n".join(lines),
                url=item_path("projects.project", pk=project_id),
                send_email=bool(p["lead__email"]) and p["lead_id"] not in email_off,
            )
        )
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
