"""One Celery beat at a time.

``SingleBeatScheduler`` is django-celery-beat's ``DatabaseScheduler`` (schedules edited in admin)
that only schedules while it holds the **beat lock**:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a connection of its
  own, opened for the lock and nothing else (the scheduler's Django connection comes and goes);
  PostgreSQL releases it when that connection ends, so a beat that dies (or loses its database)
  frees the lock at once;
* SQLite (the embedded ``make run``): an exclusive ``flock`` on ``CELERY_DATA_DIR/beat.lock``,
  released by the kernel when the process ends.

A second beat started beside the first logs, once, that another beat holds the lock, then keeps
trying every few seconds and schedules nothing; when the first one stops, it takes over. Every tick
of the holder first checks that its lock connection is alive (``SELECT 1``); if it is not, the lock
is gone and the beat stops scheduling until it has it again. Public Celery API only: the scheduler
class is chosen by ``CELERY_BEAT_SCHEDULER`` and overrides ``tick`` and ``close``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection as django_connection
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

#: the advisory lock key: "pmflow" as a number (advisory locks are per database)
BEAT_LOCK_KEY = int.from_bytes(b"pmflow-b", "big") & 0x7FFFFFFFFFFFFFFF
#: how often a beat without the lock tries again (seconds)
LOCK_RETRY_SECONDS = 5.0


class BeatLock:
    """The lock a beat must hold to schedule. ``hold()`` takes it if free and reports whether this
    process holds it now; ``release()`` gives it up."""

    def __init__(self) -> None:
        self.pg_connection: Any = None
        self.lock_file: Any = None

    @property
    def description(self) -> str:
        if django_connection.vendor == "postgresql":
            return f"PostgreSQL advisory lock {BEAT_LOCK_KEY} on database {django_connection.settings_dict['NAME']!r}"
        return f"file lock {self.lock_path()}"

    @staticmethod
    def lock_path() -> Path:
        return Path(getattr(settings, "CELERY_DATA_DIR", ".")) / "beat.lock"

    def hold(self) -> bool:
        if django_connection.vendor == "postgresql":
            return self._hold_pg()
        return self._hold_file()

    def _hold_pg(self) -> bool:
        if self.pg_connection is not None:
            try:
                with self.pg_connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return True
            except Exception:  # the lock connection is gone, and the lock with it
                logger.warning("beat: the connection holding the beat lock was lost", exc_info=True)
                self.release()
        try:
            conn = django_connection.get_new_connection(django_connection.get_connection_params())
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY])
                (held,) = cursor.fetchone()
        except Exception:  # database down: no lock, try again later
            logger.warning("beat: could not reach the database to take the beat lock", exc_info=True)
            return False
        if held:
            self.pg_connection = conn
            return True
        conn.close()
        return False

    def _hold_file(self) -> bool:
        if self.lock_file is not None:
            return True
        path = self.lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # kept open while the lock is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.lock_file = handle
        return True

    def release(self) -> None:
        if self.pg_connection is not None:
            with contextlib.suppress(Exception):
                self.pg_connection.close()  # ends the session: PostgreSQL drops its advisory locks
            self.pg_connection = None
        if self.lock_file is not None:
            with contextlib.suppress(Exception):
                fcntl.flock(self.lock_file.fileno(), fcntl.LOCK_UN)
                self.lock_file.close()
            self.lock_file = None


class SingleBeatScheduler(DatabaseScheduler):
    """The database schedule, run only by the beat that holds the beat lock (see module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.beat_lock = BeatLock()
        self.beat_lock_held: bool | None = None  # None: not yet known (nothing logged yet)
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        held = self.beat_lock.hold()
        if held != self.beat_lock_held:
            if held:
                logger.info("beat: holds the beat lock (%s); scheduling", self.beat_lock.description)
            else:
                logger.warning(
                    "beat: another beat holds the beat lock (%s); this beat schedules nothing and tries again every %s s",
                    self.beat_lock.description,
                    LOCK_RETRY_SECONDS,
                )
            self.beat_lock_held = held
        if not held:
            return min(self.max_interval, LOCK_RETRY_SECONDS)
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.beat_lock.release()
