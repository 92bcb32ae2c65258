from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from projects.services.reference import Difference, reference_data_load


class Command(BaseCommand):
    help = (
        "Load the policy's reference data (directions, fields, tiers, task categories, support measures, templates). "
        "Adds what is missing and never overwrites an admin's edit; --reset restores the seed's values, "
        "--dry-run lists the differences without writing. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Restore the seed's values over admins' edits.")
        parser.add_argument("--dry-run", action="store_true", help="List differences from the seed; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        diffs: list[Difference] = []
        written = reference_data_load(reset=options["reset"], dry_run=options["dry_run"], diffs=diffs)
        if options["dry_run"] or options["reset"]:
            for diff in diffs:
                self.stdout.write(str(diff))
        if options["dry_run"]:
            self.stdout.write(f"dry run: {len(diffs)} differences from the seed, {written} rows would be written")
        else:
            kept = 0 if options["reset"] else sum(1 for d in diffs if d.field != "*" and d.current not in (None, ""))
            self.stdout.write(f"reference data loaded: {written} rows written, {kept} admin edits kept")
