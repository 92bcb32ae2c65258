"""Safe upgrades: the previous release's code runs against this release's schema.

The previous release is the newest ``v*`` tag (or ``PMFLOW_PREVIOUS_RELEASE``, a commit or tag);
without one the test is skipped. Its tree is exported with ``git archive`` (nothing
in this checkout changes); a new database is migrated with **this** code, and then the **old**
code seeds the demo through its services (inserts into every main table) and runs the portfolio
validator on it. A column added NOT NULL without a database default, a dropped or renamed column
or table breaks one of them — the situation of old web and worker processes during a rolling
upgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.worker import REPO_ROOT

pytestmark = pytest.mark.worker


def _previous_release() -> str | None:
    """``PMFLOW_PREVIOUS_RELEASE`` (a commit or tag), else the newest release tag (``v*``)."""
    ref = os.environ.get("PMFLOW_PREVIOUS_RELEASE")
    if ref:
        return ref
    result = subprocess.run(
        ["git", "describe", "--tags", "--abbrev=0", "--match", "v*", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or None


def _admin(sql: str) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{cwd}: manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"


def test_the_previous_release_runs_on_the_new_schema(db, tmp_path):
    commit = _previous_release()
    if not commit or not (REPO_ROOT / ".git").exists():
        pytest.skip("no previous release: tag releases v<version>, or set PMFLOW_PREVIOUS_RELEASE")
    old_tree = tmp_path / "previous"
    old_tree.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive, check=True)

    name = f"{connection.settings_dict['NAME']}_prev"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="pmflow.settings.test",
        DATABASE_URL=_url(name),
        CELERY_TASK_ALWAYS_EAGER="1",  # the old code's on-commit work runs in-process, not on a broker
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.pop("PMFLOW_USE_TEST_DB", None)
    try:
        _run(["migrate", "--noinput"], cwd=REPO_ROOT, env=dict(env, PYTHONPATH=str(REPO_ROOT)))  # this release's schema
        old_env = dict(env, PYTHONPATH=str(old_tree))
        _run(["seed_demo"], cwd=old_tree, env=old_env)
        _run(["check_portfolio"], cwd=old_tree, env=old_env)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
