"""Create the Celery beat schedules (django-celery-beat rows, editable in admin). Idempotent: a
missing schedule is created; an existing one is left as an administrator may have edited it,
unless ``--reset`` restores the defaults."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

TZ = "Asia/Shanghai"

# name → (task, schedule). Crontab fields: minute, hour, day_of_month, month_of_year, day_of_week.
SCHEDULES: list[dict[str, Any]] = [
    {
        "name": "pmflow: 夜间任务状态重算 (nightly task recalculation)",
        "task": "projects.tasks_recalculate_all",
        "crontab": {"minute": "0", "hour": "2", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*"},
    },
    {
        "name": "pmflow: 待重算清单 (dirty task lists, every minute)",
        "task": "projects.task_lists_dirty_recalculate",
        "interval": {"every": 1, "period": "minutes"},
    },
    {
        "name": "pmflow: 到期提醒 (reminders, working days 08:30)",
        "task": "pmflow.reminders_sweep",
        "crontab": {"minute": "30", "hour": "8", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*"},
    },
    {
        "name": "pmflow: 任务提醒 (task reminders and weekly overdue digest, working days 08:35)",
        "task": "projects.task_reminders_sweep",
        "crontab": {"minute": "35", "hour": "8", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*"},
    },
    {
        "name": "pmflow: 通知发送 (outbox delivery, every minute)",
        "task": "pmflow.notifications_deliver",
        "interval": {"every": 1, "period": "minutes"},
    },
    {
        "name": "pmflow: 数据版本整理 (portfolio version compaction, every 5 minutes)",
        "task": "pmflow.portfolio_changes_compact",
        "interval": {"every": 5, "period": "minutes"},
    },
    {
        "name": "pmflow: 每日摘要 (daily digest 18:00)",
        "task": "pmflow.notifications_send_digests",
        "crontab": {"minute": "0", "hour": "18", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*"},
    },
    {
        "name": "pmflow: 季度评估 (quarterly assessment round)",
        "task": "pmflow.assessment_round_open_current_quarter",
        "crontab": {"minute": "0", "hour": "9", "day_of_month": "1", "month_of_year": "1,4,7,10", "day_of_week": "*"},
    },
]


def schedules_setup(*, reset: bool = False) -> dict[str, list[str]]:
    """Ensure every schedule in SCHEDULES exists; returns the names created / reset / kept."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    report: dict[str, list[str]] = {"created": [], "reset": [], "kept": []}
    with transaction.atomic():
        for spec in SCHEDULES:
            schedule: dict[str, Any] = {"crontab": None, "interval": None}
            if "crontab" in spec:
                schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(timezone=TZ, **spec["crontab"])
            else:
                schedule["interval"], _ = IntervalSchedule.objects.get_or_create(**spec["interval"])
            defaults = {"task": spec["task"], "enabled": True, "kwargs": json.dumps({}), **schedule}
            existing = PeriodicTask.objects.select_for_update().filter(name=spec["name"]).first()
            if existing is None:
                PeriodicTask.objects.create(name=spec["name"], **defaults)
                report["created"].append(spec["name"])
            elif reset:
                for field, value in defaults.items():
                    setattr(existing, field, value)
                existing.save()
                report["reset"].append(spec["name"])
            else:
                report["kept"].append(spec["name"])
    return report


class Command(BaseCommand):
    help = "Create the Celery beat schedules (recalculation, reminders, delivery, digest, assessment rounds)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="restore the default schedule of existing rows too")

    def handle(self, *args, **options):
        report = schedules_setup(reset=options["reset"])
        for key in ("created", "reset", "kept"):
            for name in report[key]:
                self.stdout.write(f"{key}: {name}")
