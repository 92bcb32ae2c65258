"""Recalculate task statuses and roll-ups now (the same service the nightly Celery task runs)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Recalculate task statuses, key task list roll-ups and project health (all lists, or --list ID …)."

    def add_arguments(self, parser):
        parser.add_argument("--list", dest="lists", type=int, action="append", help="only this key task list (repeatable)")
        parser.add_argument("--date", help="evaluate as of this date (YYYY-MM-DD); default today")

    def handle(self, *args, **options):
        from projects.services.task_status import task_statuses_recalculate

        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
        changed = task_statuses_recalculate(task_list_ids=options["lists"], today=today)
        self.stdout.write(f"{changed} task statuses changed")
