"""``manage.py doctor``: the readiness checks of ``/readyz``, printed for an operator; exits 1 when
any fails."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from pmflow.ops.readiness import readiness_report


class Command(BaseCommand):
    help = "Check database, broker, worker, beat and outbox, as /readyz does; exit status 1 when any fails."

    def handle(self, *args: Any, **options: Any) -> None:
        ready, results = readiness_report()
        width = max(len(r.name) for r in results)
        for result in results:
            mark = "ok  " if result.ok else "FAIL"
            line = f"{mark}  {result.name:<{width}}  {result.detail}"
            self.stdout.write(self.style.SUCCESS(line) if result.ok else self.style.ERROR(line))
        self.stdout.write("ready" if ready else "NOT READY")
        if not ready:
            sys.exit(1)
