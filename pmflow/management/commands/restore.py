"""``manage.py restore ARCHIVE [--database-url URL] [--media-root DIR]``: restore a backup archive
into an empty database and an empty storage folder (default: this installation's own), after
checking the archive's version and every part's SHA-256."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pmflow.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup archive into an empty database and storage folder (refuses a non-empty target)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The archive written by manage.py backup.")
        parser.add_argument("--database-url", help="Restore into this database instead of DATABASES['default'].")
        parser.add_argument("--media-root", help="Restore the files into this folder instead of MEDIA_ROOT.")

    def handle(self, *args: Any, **options: Any) -> None:
        db = dj_database_url.parse(options["database_url"]) if options["database_url"] else dict(settings.DATABASES["default"])
        media_root = Path(options["media_root"] or settings.MEDIA_ROOT)
        try:
            manifest = backup_restore(archive=Path(options["archive"]), db=db, media_root=media_root)
        except BackupError as exc:
            raise CommandError(exc.message)
        media = sum(1 for name in manifest["parts"] if name.startswith("media/"))
        self.stdout.write(
            f"restored pmflow {manifest['pmflow_version']} backup of {manifest['created_at']} into database "
            f"{db['NAME']!r} and {media_root} ({media} file(s))"
        )
