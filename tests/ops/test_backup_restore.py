"""Backup and restore round trip on PostgreSQL: the seeded demo and its uploaded files, backed up
with real pg_dump, restored with real pg_restore into a new database and a new storage folder:
every table's row count, every file's hash and the audit trail match, and the portfolio validator
passes on the restored database. A tampered archive, a wrong version and a non-empty target are
refused with a message naming the part."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from tests.worker import REPO_ROOT

pytestmark = pytest.mark.worker  # runs pg_dump, pg_restore and a second manage.py process


def _admin_conn():
    db = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _table_counts(dbname: str) -> dict[str, int]:
    db = connection.settings_dict
    with psycopg.connect(
        dbname=dbname, host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None, password=db["PASSWORD"] or None
    ) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _audit_rows(dbname: str) -> list[tuple]:
    db = connection.settings_dict
    with psycopg.connect(
        dbname=dbname, host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None, password=db["PASSWORD"] or None
    ) as conn:
        return conn.execute(
            "SELECT id, content_type_id, object_id, action, from_state, to_state, actor_id, reason, data::text, created_at "
            "FROM pmflow_auditentry ORDER BY id"
        ).fetchall()


def _file_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def restore_db():
    name = f"{connection.settings_dict['NAME']}_restore"
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rewrite(archive: Path, out: Path, change) -> Path:
    """Copy ``archive`` to ``out``, passing each (name, bytes) through ``change``."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def test_backup_round_trip_restores_rows_files_and_audit_trail(transactional_db, tmp_path, restore_db):
    media = tmp_path / "media"
    with override_settings(MEDIA_ROOT=str(media)):
        call_command("seed_demo", stdout=io.StringIO())
        default_storage.save("evidence/ab/report-one", ContentFile(b"%PDF-1.4 first report"))
        default_storage.save("evidence/cd/report-two", ContentFile("第二份报告".encode() * 1000))
        archive = tmp_path / "backup.tar"
        call_command("backup", output=str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names == {"manifest.json", "database.dump", "media/evidence/ab/report-one", "media/evidence/cd/report-two"}
    assert manifest["pmflow_version"] == "0.1.0" and manifest["database_engine"] == "postgresql"
    assert "0001_ops_initial" in manifest["migrations"]["ops"]
    assert set(manifest["parts"]) == names - {"manifest.json"}

    restored_media = tmp_path / "restored-media"
    out = io.StringIO()
    call_command("restore", str(archive), database_url=_url(restore_db), media_root=str(restored_media), stdout=out)
    assert "restored pmflow 0.1.0" in out.getvalue()

    source = connection.settings_dict["NAME"]
    counts = _table_counts(source)
    assert counts["projects_project"] > 0 and counts["pmflow_auditentry"] > 0
    assert _table_counts(restore_db) == counts
    assert _audit_rows(restore_db) == _audit_rows(source)
    assert _file_hashes(restored_media) == _file_hashes(media)

    if "check_portfolio" in get_commands():
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="pmflow.settings.test", DATABASE_URL=_url(restore_db))
        env.pop("PMFLOW_USE_TEST_DB", None)
        result = subprocess.run(
            [sys.executable, "manage.py", "check_portfolio"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr

    # The restored database is no longer empty: a second restore is refused, nothing touched.
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(archive), database_url=_url(restore_db), media_root=str(tmp_path / "other"))


def test_restore_refuses_a_tampered_part_a_wrong_version_and_a_non_empty_target(transactional_db, tmp_path, restore_db):
    media = tmp_path / "media"
    with override_settings(MEDIA_ROOT=str(media)):
        default_storage.save("evidence/ab/report", ContentFile(b"original evidence"))
        archive = tmp_path / "backup.tar"
        call_command("backup", output=str(archive), stdout=io.StringIO())

    def restore(path: Path, media_root: Path | None = None) -> None:
        call_command("restore", str(path), database_url=_url(restore_db), media_root=str(media_root or tmp_path / "restored"))

    tampered = _rewrite(archive, tmp_path / "tampered.tar", lambda n, d: b"forged evidence" if n.endswith("report") else d)
    with pytest.raises(CommandError, match=r"part 'media/evidence/ab/report' does not match its SHA-256"):
        restore(tampered)

    flipped = _rewrite(archive, tmp_path / "dump.tar", lambda n, d: d[:-1] + bytes([d[-1] ^ 1]) if n == "database.dump" else d)
    with pytest.raises(CommandError, match=r"part 'database.dump' does not match"):
        restore(flipped)

    def other_version(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["pmflow_version"] = "0.0.9"
        return json.dumps(manifest).encode()

    with pytest.raises(CommandError, match=r"manifest.json: the archive was made by pmflow 0.0.9"):
        restore(_rewrite(archive, tmp_path / "version.tar", other_version))

    busy = tmp_path / "busy-media"
    busy.mkdir()
    (busy / "something").write_text("x")
    with pytest.raises(CommandError, match="storage folder .* is not empty"):
        restore(archive, media_root=busy)
    assert _table_counts(restore_db) == {}  # nothing was restored by any refused attempt
    with pytest.raises(CommandError, match=r"database '.*' is not empty"):
        call_command("restore", str(archive), database_url=_url(connection.settings_dict["NAME"]), media_root=str(tmp_path / "x"))
