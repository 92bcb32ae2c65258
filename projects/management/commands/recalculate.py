"""Recalculate task statuses and roll-ups now (the same service the nightly Celery task runs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from pmflow.parsing import iso_date


class Command(BaseCommand):
    help = "Recalculate task statuses, key task list roll-ups and project health (all lists, or --list ID …)."

    def add_arguments(self, parser):
        parser.add_argument("--list", dest="lists", type=int, action="append", help="only this key task list (repeatable)")
        parser.add_argument("--date", type=iso_date, help="evaluate as of this date (YYYY-MM-DD); default today")

    def handle(self, *args, **options):
        from projects.services.task_status import task_statuses_recalculate

        changed = task_statuses_recalculate(task_list_ids=options["lists"], today=options["date"])
        self.stdout.write(f"{changed} task statuses changed")
