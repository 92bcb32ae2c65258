"""``manage.py lint_migrations``: fail when a migration added since the baseline would break the
code still serving during an upgrade (pmflow/ops/migration_lint.py; run by .ci/run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pmflow.ops.migration_lint import BASELINE, baseline_write, migrations_lint


class Command(BaseCommand):
    help = "Check new migrations for backward-incompatible operations (expand/contract, docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write-baseline", action="store_true", help=f"Record every current migration in {BASELINE.name}.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write_baseline"]:
            self.stdout.write(f"baseline: {baseline_write()} migration(s) in {BASELINE}")
            return
        findings = migrations_lint()
        for finding in findings:
            self.stderr.write(str(finding))
        if findings:
            raise CommandError(
                f"{len(findings)} backward-incompatible operation(s). Split them expand/contract (docs/operations.md), "
                'or mark a contract-phase migration with contract = "why it is safe now".'
            )
        self.stdout.write("migrations: no backward-incompatible operation since the baseline")
