"""Backup and restore (``manage.py backup`` / ``manage.py restore``).

One archive (an uncompressed tar; the dump is compressed by pg_dump itself) holds:

* ``database.dump`` — ``pg_dump --format=custom`` of the whole database (PostgreSQL), or
  ``database.sqlite3`` — a consistent copy made with SQLite's online backup API;
* ``media/<name>`` — every file in default storage (uploaded evidence), byte for byte;
* ``manifest.json`` — pmflow's version (pyproject.toml), the database engine, the applied
  migrations per app, and the SHA-256 and size of every other part.

``restore`` checks the whole archive before it writes anything: the manifest's version must be
this code's version and every part must be present with its recorded hash (a tampered, truncated
or foreign part is refused by name). It restores only into an **empty** database and an empty
storage folder, so it can never merge into or overwrite live data.

pg_dump / pg_restore must be at least the server's major version: the binaries are taken from
``PMFLOW_PG_BIN_DIR``, else ``/usr/lib/postgresql/<server major>/bin`` when it exists, else PATH.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from pmflow.errors import ApplicationError

MANIFEST = "manifest.json"
PG_DUMP_PART = "database.dump"
SQLITE_PART = "database.sqlite3"
MEDIA_PREFIX = "media/"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(ApplicationError):
    """A backup or restore that cannot go ahead; the message says why and names the part."""


def pmflow_version() -> str:
    with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(storage name, path) of every file under ``root``, in a stable order."""
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield path.relative_to(root).as_posix(), path


# --- PostgreSQL client binaries ---


def pg_binary(name: str, server_version: int | None = None) -> str:
    """``pg_dump`` / ``pg_restore`` for the server's major version (``server_version`` as psycopg
    reports it, e.g. 150020)."""
    configured = os.environ.get("PMFLOW_PG_BIN_DIR") or getattr(settings, "PMFLOW_PG_BIN_DIR", "")
    if configured:
        return str(Path(configured) / name)
    if server_version:
        candidate = Path(f"/usr/lib/postgresql/{server_version // 10000}/bin") / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client or set PMFLOW_PG_BIN_DIR")
    return found


def pg_env_args(db: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args: list[str] = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


# --- backup ---


def migration_state(alias: str = "default") -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    state: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        state.setdefault(app, []).append(name)
    return state


def _dump_database(alias: str, folder: Path) -> Path:
    connection = connections[alias]
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        env, args = pg_env_args(db)
        target = folder / PG_DUMP_PART
        cmd = [pg_binary("pg_dump", connection.pg_version), "--format=custom", "--no-owner", "--file", str(target), *args]
        _run([*cmd, "--dbname", str(db["NAME"])], env, "pg_dump")
        return target
    if connection.vendor == "sqlite":
        target = folder / SQLITE_PART
        source = sqlite3.connect(str(db["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target
    raise BackupError(f"unsupported database engine: {connection.vendor}")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


def backup_create(*, target: Path, alias: str = "default", media_root: Path | None = None) -> BackupResult:
    """Write one archive to ``target`` (a file path); refuses to overwrite an existing file."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pmflow-backup-") as tmp:
        dump = _dump_database(alias, Path(tmp))
        parts: dict[str, dict[str, Any]] = {dump.name: {"sha256": sha256_file(dump), "size": dump.stat().st_size}}
        files = list(media_files(media_root))
        for name, path in files:
            parts[MEDIA_PREFIX + name] = {"sha256": sha256_file(path), "size": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "pmflow_version": pmflow_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database_engine": connections[alias].vendor,
            "migrations": migration_state(alias),
            "parts": parts,
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(manifest_bytes)
            info.mtime = int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(manifest_bytes))
            tar.add(dump, arcname=dump.name)
            for name, path in files:
                tar.add(path, arcname=MEDIA_PREFIX + name)
        os.replace(partial, target)  # a crash never leaves a half-written archive under the real name
    return BackupResult(path=target, manifest=manifest)


# --- restore ---


def _safe_member_name(name: str) -> bool:
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts


def backup_verify(archive: Path, extract_to: Path) -> dict[str, Any]:
    """Extract ``archive`` into ``extract_to`` and check it; returns the manifest. Raises
    ``BackupError`` naming the first part that is missing, unexpected or does not match its hash,
    or the version that does not match this code."""
    try:
        tar = tarfile.open(archive, "r")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive: {exc}")
    with tar:
        members = {m.name: m for m in tar.getmembers()}
        if MANIFEST not in members:
            raise BackupError(f"{MANIFEST} is missing from the archive")
        for name, member in members.items():
            if not _safe_member_name(name) or not member.isfile():
                raise BackupError(f"part {name!r} is not a plain file inside the archive; refused")
        try:
            manifest = json.load(tar.extractfile(members[MANIFEST]))  # type: ignore[arg-type]
        except ValueError as exc:
            raise BackupError(f"{MANIFEST} is not valid JSON: {exc}")
        version = manifest.get("pmflow_version")
        if version != pmflow_version():
            raise BackupError(
                f"{MANIFEST}: the archive was made by pmflow {version}, this is pmflow {pmflow_version()}; "
                "restore it with the same version, then upgrade"
            )
        parts: dict[str, dict[str, Any]] = manifest.get("parts") or {}
        unexpected = sorted(set(members) - set(parts) - {MANIFEST})
        if unexpected:
            raise BackupError(f"part {unexpected[0]!r} is in the archive but not in the manifest; refused")
        for name, expected in parts.items():
            if name not in members:
                raise BackupError(f"part {name!r} is listed in the manifest but missing from the archive")
            destination = extract_to / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(members[name]) as source, open(destination, "wb") as out:  # type: ignore[union-attr]
                shutil.copyfileobj(source, out, CHUNK)
            if sha256_file(destination) != expected.get("sha256"):
                raise BackupError(f"part {name!r} does not match its SHA-256 in the manifest; the archive was altered or damaged")
    if PG_DUMP_PART not in parts and SQLITE_PART not in parts:
        raise BackupError("the archive holds no database part")
    return manifest


def _database_is_empty(db: dict[str, Any], vendor: str) -> bool:
    if vendor == "sqlite":
        path = Path(str(db["NAME"]))
        if not path.exists() or path.stat().st_size == 0:
            return True
        with sqlite3.connect(str(path)) as conn:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] == 0
    import psycopg

    kwargs = {
        k: v
        for k, v in {
            "host": db.get("HOST"),
            "port": db.get("PORT"),
            "user": db.get("USER"),
            "password": db.get("PASSWORD"),
        }.items()
        if v
    }
    with psycopg.connect(dbname=str(db["NAME"]), connect_timeout=10, **kwargs) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%' AND c.relkind IN ('r', 'p')"
        ).fetchone()
        server_version = conn.info.server_version
    db["_server_version"] = server_version
    return row[0] == 0


def backup_restore(*, archive: Path, db: dict[str, Any], media_root: Path) -> dict[str, Any]:
    """Restore ``archive`` into the database described by ``db`` (a ``DATABASES`` entry) and the
    storage folder ``media_root``. Both must be empty. Returns the manifest."""
    db = dict(db)
    engine = db.get("ENGINE", "")
    vendor = "postgresql" if "postgresql" in engine else "sqlite" if "sqlite" in engine else engine
    media_root = Path(media_root)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"the storage folder {media_root} is not empty; restore into an empty folder")
    with tempfile.TemporaryDirectory(prefix="pmflow-restore-") as tmp:
        extracted = Path(tmp)
        manifest = backup_verify(Path(archive), extracted)
        if manifest.get("database_engine") != vendor:
            raise BackupError(f"the archive holds a {manifest.get('database_engine')} database; the target is {vendor}")
        if not _database_is_empty(db, vendor):
            raise BackupError(f"the database {db['NAME']!r} is not empty; restore into a new, empty database")
        if vendor == "postgresql":
            env, args = pg_env_args(db)
            cmd = [
                pg_binary("pg_restore", db.get("_server_version")),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                *args,
            ]
            _run([*cmd, "--dbname", str(db["NAME"]), str(extracted / PG_DUMP_PART)], env, "pg_restore")
        else:
            shutil.copyfile(extracted / SQLITE_PART, str(db["NAME"]))
        media_root.mkdir(parents=True, exist_ok=True)
        for name in manifest["parts"]:
            if name.startswith(MEDIA_PREFIX):
                destination = media_root / name[len(MEDIA_PREFIX) :]
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(extracted / name, destination)
    return manifest
