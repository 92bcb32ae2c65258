from __future__ import annotations

from django.core.management.base import BaseCommand

from projects.services.reference import reference_data_load


class Command(BaseCommand):
    help = (
        "Load the policy's reference data (directions, fields, tiers, task categories, support measures, templates). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        written = reference_data_load()
        self.stdout.write(f"reference data loaded: {written} rows written")
