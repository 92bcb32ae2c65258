"""The scheduled backup task writes a timestamped archive and keeps only the newest ones."""

from __future__ import annotations

import tarfile

import pytest
from django.test import override_settings

from pmflow.ops.tasks import backup_run

pytestmark = pytest.mark.worker  # runs pg_dump


def test_backup_task_writes_archives_and_keeps_the_newest(transactional_db, tmp_path):
    with override_settings(PMFLOW_BACKUP_DIR=tmp_path / "backups", MEDIA_ROOT=str(tmp_path / "media")):
        paths = [backup_run.apply(kwargs={"keep": 2}).get() for _ in range(3)]
    kept = sorted((tmp_path / "backups").glob("pmflow-backup-*.tar"))
    assert [str(p) for p in kept] == paths[1:]
    with tarfile.open(kept[-1]) as tar:
        assert {"manifest.json", "database.dump"} <= set(tar.getnames())
