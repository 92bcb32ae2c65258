"""A real Celery worker process for integration tests.

``celery_worker(...)`` starts ``celery -A pmflow worker`` as a subprocess with the test settings,
pointed at the same broker (the test Redis, or whatever ``broker_url`` says) and at pytest-django's
*test* database (``PMFLOW_USE_TEST_DB=1`` makes the worker use the test database name as its NAME),
waits until the worker says it is ready and stops it afterwards.

The pytest fixture ``celery_worker_process`` (registered in tests/conftest.py) gives a test a
running worker: one worker process per test session, consuming a private queue that this process
publishes to only during such tests (so the worker never takes work from other tests), purged
before and after each test. It requests ``transactional_db``: the worker is another process and sees only committed
rows, so data must really be committed (no wrapping test transaction).

    def test_something(celery_worker_process):
        user = UserFactory()
        task_publish(some_task, user.pk)
        wait_for(lambda: ...)          # poll the database for the worker's side effect
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Task modules only the test workers load (``--include``); they hold tasks with visible side effects.
TEST_TASK_MODULES = ("tests.worker_tasks",)

_live_processes: set[subprocess.Popen] = set()


@dataclass
class WorkerProcess:
    """A running worker subprocess: its Popen, its node name and its log file."""

    proc: subprocess.Popen
    hostname: str
    log_path: Path
    env: dict[str, str] = field(repr=False)
    queue: str = ""  # the private queue of the session worker (celery_worker_process)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1, message: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message or f"condition not met within {timeout} s")
        time.sleep(interval)


def stop_process(proc: subprocess.Popen, *, timeout: float = 15.0) -> None:
    """Warm shutdown (SIGTERM) of a process group we started; SIGKILL if it does not stop in time."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    _live_processes.discard(proc)


@atexit.register
def _stop_leftovers() -> None:  # a crashed test session must not leave workers holding the test DB
    for proc in list(_live_processes):
        stop_process(proc, timeout=5)


def worker_env(*, db_name: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a child process that runs with the test settings against the test database."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "pmflow.settings.test"),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p),
        }
    )
    if db_name:
        env["PMFLOW_USE_TEST_DB"] = "1"
        env["PMFLOW_TEST_DB_NAME"] = db_name
    env.update(extra or {})
    return env


def spawn(args: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``args`` in its own process group, output to ``log_path``; remembered for clean-up."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    _live_processes.add(proc)
    return proc


def wait_for_log(proc: subprocess.Popen, log_path: Path, text: str, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        content = log_path.read_text(errors="replace") if log_path.exists() else ""
        if text in content:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready:\n{content}")
        if time.monotonic() > deadline:
            stop_process(proc)
            raise RuntimeError(f"{what} not ready within {timeout} s:\n{content}")
        time.sleep(0.1)


@contextlib.contextmanager
def celery_worker(
    *,
    db_name: str | None,
    extra_env: dict[str, str] | None = None,
    pool: str = "solo",
    include: tuple[str, ...] = TEST_TASK_MODULES,
    log_dir: Path | None = None,
    ready_timeout: float = 180.0,  # a busy CI machine can take a minute to import Django and Celery
    queues: tuple[str, ...] = (),
) -> Iterator[WorkerProcess]:
    """Run ``celery -A pmflow worker`` (concurrency 1) until the block exits.

    ``db_name``: the database the worker's Django must use (pytest-django's test database name), or
    None to use whatever ``extra_env``/the environment configures (e.g. a SQLite DATABASE_URL).
    ``queues``: consume only these queues (default: the default queue).
    """
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="pmflow-worker-"))
    hostname = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}@%h"
    log_path = log_dir / "worker.log"
    env = worker_env(db_name=db_name, extra=extra_env)
    args = [sys.executable, "-m", "celery", "-A", "pmflow", "worker", "--loglevel", "INFO", "--pool", pool, "--concurrency", "1"]
    args += ["--hostname", hostname, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if include:
        args += ["--include", ",".join(include)]
    if queues:
        args += ["--queues", ",".join(queues)]
    proc = spawn(args, env=env, log_path=log_path)
    worker = WorkerProcess(proc=proc, hostname=hostname, log_path=log_path, env=env)
    try:
        # Celery logs "<hostname> ready." once it consumes from the broker.
        wait_for_log(proc, log_path, " ready.", timeout=ready_timeout, what="celery worker")
        yield worker
    finally:
        stop_process(proc)


def broker_purge() -> int:
    """Drop every message waiting in the default queue of the configured broker."""
    from pmflow.celery import app

    return app.control.purge()


@contextlib.contextmanager
def celery_default_queue(queue: str) -> Iterator[None]:
    """Publish from this process to ``queue`` for the block. Celery caches its queue map, default
    queue and router on ``app.amqp``; they are dropped both ways."""
    from pmflow.celery import app

    def drop_caches() -> None:
        for name in ("queues", "default_queue", "router"):
            app.amqp.__dict__.pop(name, None)

    saved = app.conf.task_default_queue
    drop_caches()
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        drop_caches()
        app.conf.task_default_queue = saved


@contextlib.contextmanager
def celery_broker_override(broker_url: str, transport_options: dict[str, Any] | None = None) -> Iterator[None]:
    """Point this process's Celery app at another broker for the block (e.g. the filesystem broker
    or a closed port), then restore it. The app's connection and producer pools are re-resolved
    both ways."""
    from pmflow.celery import app

    def reset_pools() -> None:
        # Only drop the app's references: the pools themselves live in kombu's global registry,
        # keyed by broker URL, and the original one is handed back (still open) on restore.
        # Closing it here would leave the app with a closed pool ("Acquire on closed pool").
        app._pool = None
        app.amqp._producer_pool = None

    saved = {"broker_url": app.conf.broker_url, "broker_transport_options": dict(app.conf.broker_transport_options)}
    reset_pools()
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = transport_options or {}
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url = saved["broker_url"]
        app.conf.broker_transport_options = saved["broker_transport_options"]


# --- pytest fixtures (registered in tests/conftest.py) ---


@pytest.fixture(scope="session")
def celery_worker_session(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[WorkerProcess]:
    """One real worker for the session, on the test Redis and the test database. It consumes a
    private queue, so it only runs tasks published during tests that asked for it: a worker left
    running between tests must not take work (e.g. outbox deliveries) that other tests run themselves."""
    from django.db import connection

    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
    queue = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    broker_purge()
    with celery_worker(db_name=db_name, log_dir=tmp_path_factory.mktemp("celery-worker"), queues=(queue,)) as worker:
        worker.queue = queue
        yield worker


@pytest.fixture
def celery_worker_process(transactional_db, celery_worker_session) -> Iterator[WorkerProcess]:
    """A running worker for this test (transactional: commit data so the worker can see it). For
    the test, this process publishes to the worker's private queue; it is empty at the start and
    purged at the end."""
    if not celery_worker_session.alive():
        pytest.fail(f"the test Celery worker died:\n{celery_worker_session.log()}")
    with celery_default_queue(celery_worker_session.queue):
        broker_purge()
        yield celery_worker_session
        broker_purge()
