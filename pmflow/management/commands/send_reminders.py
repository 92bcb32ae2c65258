"""Run the reminder sweep now (what beat runs daily at 08:30) and, with --deliver, deliver the
outbox in this process instead of waiting for a worker."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from pmflow.parsing import iso_date


class Command(BaseCommand):
    help = "Write due / overdue / escalation reminders to the notification outbox (skipped on non-working days)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date, help="sweep as of this date (YYYY-MM-DD); default today")
        parser.add_argument("--deliver", action="store_true", help="also deliver pending notifications now")

    def handle(self, *args, **options):
        from pmflow.services.delivery import notifications_deliver_pending
        from pmflow.services.reminders import reminders_sweep

        offered = reminders_sweep(today=options["date"])
        self.stdout.write(f"{offered} reminders offered to the outbox (existing ones are kept once)")
        if options["deliver"]:
            self.stdout.write(f"{notifications_deliver_pending()} e-mails sent")
