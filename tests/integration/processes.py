"""Real processes for the fault tests: a private Redis server (so a test can take the broker away
and bring it back without touching the shared test Redis) and Celery beat."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.worker import _live_processes, spawn, stop_process, wait_for_log, worker_env


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """``redis-server`` on a port of its own; ``stop()`` and ``start()`` take it away and bring it
    back on the same port (an outage)."""

    port: int
    log_path: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _live_processes.add(self.proc)
        deadline = time.monotonic() + 20
        while not _answers(self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start:\n{self.log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=5)
            self.proc = None


@contextlib.contextmanager
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(port=free_port(), log_path=tmp_path / "redis.log").start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class BeatProcess:
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def celery_beat(*, db_name: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[BeatProcess]:
    """``celery -A pmflow beat`` with the project's scheduler (the database schedule), waking every
    second, until the block exits."""
    log_path = log_dir / f"beat-{uuid.uuid4().hex[:6]}.log"
    env = worker_env(db_name=db_name, extra=extra_env)
    args = [sys.executable, "-m", "celery", "-A", "pmflow", "beat", "--loglevel", "INFO", "--max-interval", "1"]
    args += ["--schedule", str(log_dir / f"beat-{uuid.uuid4().hex[:6]}.db"), "--pidfile", ""]
    proc = spawn(args, env=env, log_path=log_path)
    try:
        wait_for_log(proc, log_path, "beat: Starting", timeout=120, what="celery beat")
        yield BeatProcess(proc=proc, log_path=log_path)
    finally:
        stop_process(proc)
