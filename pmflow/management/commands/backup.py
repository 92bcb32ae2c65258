"""``manage.py backup [--output FILE | --dir DIR]``: one archive with the database, the uploaded
files and a manifest of SHA-256 hashes (pmflow/ops/backup.py, docs/operations.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pmflow.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write a backup archive: database dump, uploaded files and a manifest with their SHA-256."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="Archive file to write (must not exist).")
        parser.add_argument("--dir", default="backups", help="Folder for a timestamped archive when --output is not given.")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"]
        if not output:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = str(Path(options["dir"]) / f"pmflow-backup-{stamp}.tar")
        try:
            result = backup_create(target=Path(output))
        except BackupError as exc:
            raise CommandError(exc.message)
        parts = result.manifest["parts"]
        media = sum(1 for name in parts if name.startswith("media/"))
        self.stdout.write(
            f"backup written: {result.path} (pmflow {result.manifest['pmflow_version']}, "
            f"{result.manifest['database_engine']} database, {media} file(s))"
        )
