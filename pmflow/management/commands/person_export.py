"""``manage.py person_export USERNAME [--output FILE]``: everything pmflow holds about a person, as
JSON (pmflow/ops/personal.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pmflow.ops.personal import person_export_json


class Command(BaseCommand):
    help = "Export everything pmflow holds about one person (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        payload = person_export_json(user_id=user.pk)
        if options["output"]:
            Path(options["output"]).write_text(payload, encoding="utf-8")
            self.stderr.write(f"written: {options['output']}")
        else:
            self.stdout.write(payload)
