"""The scheduled backup: a task the beat can run (add a periodic task ``pmflow.backup_run`` in the
admin's Periodic tasks; docs/operations.md gives the schedule)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings

from pmflow.ops.backup import backup_create

logger = logging.getLogger(__name__)


@shared_task(name="pmflow.backup_run", acks_late=True, soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def backup_run(keep: int = 14) -> str:
    """Write a timestamped archive to ``PMFLOW_BACKUP_DIR`` and keep the newest ``keep`` archives
    there (older ones deleted). Copy the folder off the machine: a backup on the database host
    is no backup."""
    folder = Path(getattr(settings, "PMFLOW_BACKUP_DIR", Path(settings.BASE_DIR) / "backups"))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    result = backup_create(target=folder / f"pmflow-backup-{stamp}.tar")
    archives = sorted(folder.glob("pmflow-backup-*.tar"))
    for old in archives[: max(0, len(archives) - keep)]:
        old.unlink()
    logger.info("backup written: %s (%d parts)", result.path, len(result.manifest["parts"]))
    return str(result.path)
