"""What ``make run`` starts, checked without honcho: on the embedded defaults (a SQLite file and the
filesystem broker, no PostgreSQL or Redis) a real worker and a real beat run side by side; a task
published by a web-side process is executed by the worker, and beat's database schedule fires a
task the worker executes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.worker import REPO_ROOT, celery_worker, spawn, stop_process, wait_for, wait_for_log

pytestmark = pytest.mark.worker


def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_", "PMFLOW_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pmflow.settings.dev",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_DATA_DIR": str(tmp_path / "celery"),
            # Nothing listens here: proves no part of the embedded set-up needs Redis.
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def first_name(db: Path, username: str) -> str | None:
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute("SELECT first_name FROM pmflow_user WHERE username = ?", (username,)).fetchone()
    return row[0] if row else None


@pytest.fixture
def fast_tmp_path(tmp_path):
    """A scratch folder in memory when the machine has one: SQLite fsyncs on every migration."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm, prefix="pmflow-embedded-") as folder:
            yield Path(folder)
    else:
        yield tmp_path


def test_worker_and_beat_on_sqlite_and_the_filesystem_broker_run_scheduled_and_web_sent_tasks(fast_tmp_path):
    tmp_path = fast_tmp_path
    env = embedded_env(tmp_path)
    db = tmp_path / "db.sqlite3"
    # One Django start-up (they are slow on a busy machine) plays the set-up and the web process:
    # migrate, create the rows and the beat schedule, and publish a task as a web request would.
    # The message waits in the broker folder until the worker starts.
    manage(
        env,
        "shell",
        "-c",
        textwrap.dedent(
            """
            import json
            from django.core.management import call_command
            call_command("migrate", interactive=False, verbosity=0)
            from django_celery_beat.models import IntervalSchedule, PeriodicTask
            from pmflow.models import User
            from pmflow.tasking import task_publish
            from tests.worker_tasks import user_set_first_name
            beat_user = User.objects.create(username="beat-target")
            web_user = User.objects.create(username="web-target")
            every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
            PeriodicTask.objects.create(
                name="test: beat round trip", task="tests.user_set_first_name",
                interval=every_second, args=json.dumps([beat_user.pk, "beat"]),
            )
            assert task_publish(user_set_first_name, web_user.pk, "web")
            """
        ),
    )

    beat_log = tmp_path / "beat.log"
    # Beat and worker start side by side, as honcho starts them.
    beat = spawn(
        [sys.executable, "-m", "celery", "-A", "pmflow", "beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")],
        env=env,
        log_path=beat_log,
    )
    try:
        with celery_worker(db_name=None, extra_env=env, log_dir=tmp_path, ready_timeout=120) as worker:
            wait_for_log(beat, beat_log, "beat: Starting", timeout=120, what="celery beat")
            wait_for(lambda: first_name(db, "web-target") == "web", timeout=30, message=worker.log())
            wait_for(
                lambda: first_name(db, "beat-target") == "beat",
                timeout=40,
                message=f"the scheduled task did not run.\nworker:\n{worker.log()}\nbeat:\n{beat_log.read_text()}",
            )
            assert beat.poll() is None and worker.alive()
    finally:
        stop_process(beat)
    # the database schedule, run by the beat holding the beat lock (a file lock on SQLite)
    assert "holds the beat lock (file lock" in beat_log.read_text()
