"""``manage.py person_anonymise USERNAME --actor ADMIN``: replace a departed person's names on their
user row, keeping their scorecards, decisions and audit rows linked (pmflow/ops/personal.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pmflow.errors import ApplicationError
from pmflow.ops.personal import person_anonymise


class Command(BaseCommand):
    help = "Anonymise a departed reviewer or PM (names replaced, links and audit rows kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--actor", required=True, help="The administrator doing it (recorded in the audit trail).")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        user = users.filter(username=options["username"]).first()
        actor = users.filter(username=options["actor"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if actor is None:
            raise CommandError(f"no user {options['actor']!r} (--actor)")
        try:
            person_anonymise(actor=actor, user_id=user.pk)
        except ApplicationError as exc:
            raise CommandError(exc.message)
        self.stdout.write(f"anonymised user {user.pk}: now {f'departed-{user.pk}'!r}")
