"""Readiness: does each part pmflow needs answer now? Used by ``/readyz`` and ``manage.py doctor``.

Each check is bounded (connect and ping timeouts) and returns a ``CheckResult`` naming itself; a
failing check never raises. ``/healthz`` is different: it only says the process is alive and runs
no query (a load balancer's liveness probe)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from kombu.exceptions import KombuError

from pmflow.ops.conf import ops_setting


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


#: what a broker that is down raises (kombu wraps transport errors; sockets raise OSError)
BROKER_ERRORS = (KombuError, OSError, TimeoutError)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:300]


def check_database() -> CheckResult:
    """Reachable (``SELECT 1``) and migrated (no migration on disk left unapplied)."""
    alias = ops_setting("READY_DATABASE_ALIAS")
    connection = connections[alias]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        loader = MigrationLoader(connection)
        applied = set(loader.applied_migrations or {})
        # Every migration any leaf needs, in order, that is not recorded as applied (also one left
        # out below an applied one, which migrate's own plan would not list).
        plan: list[tuple[str, str]] = []
        for leaf in loader.graph.leaf_nodes():
            plan += [node for node in loader.graph.forwards_plan(leaf) if node not in applied and node not in plan]
    except DatabaseError as exc:  # unreachable, refused, auth: say which
        connection.close_if_unusable_or_obsolete()
        return CheckResult("database", False, f"unreachable: {_error(exc)}")
    if plan:
        names = ", ".join(f"{app}.{name}" for app, name in plan[:5])
        return CheckResult("database", False, f"{len(plan)} unapplied migration(s): {names}")
    return CheckResult("database", True, f"reachable and migrated ({connection.vendor})")


def _broker_url() -> str:
    return ops_setting("READY_BROKER_URL") or settings.CELERY_BROKER_URL


def _broker_connection(timeout: float):  # -> kombu.Connection
    from kombu import Connection

    url = _broker_url()
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS) if url == settings.CELERY_BROKER_URL else {}
    if not url.startswith("filesystem://"):
        options.update(socket_timeout=timeout, socket_connect_timeout=timeout, max_retries=0)
    return Connection(url, connect_timeout=timeout, transport_options=options)


def check_broker() -> CheckResult:
    timeout = float(ops_setting("READY_TIMEOUT_SECONDS"))
    try:
        with _broker_connection(timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            transport = conn.transport_cls
    except BROKER_ERRORS as exc:
        return CheckResult("broker", False, f"unreachable: {_error(exc)}")
    return CheckResult("broker", True, f"reachable ({transport})")


def _control_app(url: str):  # -> celery.Celery
    """The Celery app whose ``control`` pings the workers. A broadcast is published through the
    app's own producer pool, so a broker other than the app's (``READY_BROKER_URL``) gets an app of
    its own, with bounded connection retries."""
    from pmflow.celery import app

    if url == settings.CELERY_BROKER_URL:
        return app
    if url not in _control_apps:
        from celery import Celery

        timeout = float(ops_setting("READY_TIMEOUT_SECONDS"))
        other = Celery("pmflow-readiness", broker=url, set_as_current=False)
        other.conf.broker_connection_timeout = timeout
        other.conf.broker_transport_options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 1}
        _control_apps[url] = other
    return _control_apps[url]


_control_apps: dict[str, object] = {}


def check_worker(*, broker_ok: bool = True) -> CheckResult:
    """At least one worker answers a ``ping`` broadcast within the timeout."""
    if not ops_setting("READY_CHECK_WORKER"):
        return CheckResult("worker", True, "not checked (READY_CHECK_WORKER off)")
    url = _broker_url()
    if url.startswith("filesystem://"):
        # The embedded broker has no broadcast (remote control); `make run` starts the worker itself.
        return CheckResult("worker", True, "not checked: the filesystem broker has no remote control")
    if not broker_ok:
        return CheckResult("worker", False, "not checked: broker unreachable")
    timeout = float(ops_setting("READY_TIMEOUT_SECONDS"))
    try:
        with _broker_connection(timeout) as conn:
            replies = _control_app(url).control.ping(timeout=timeout, connection=conn)
    except BROKER_ERRORS as exc:
        return CheckResult("worker", False, f"ping failed: {_error(exc)}")
    names = sorted(name for reply in replies or [] for name in reply)
    if not names:
        return CheckResult("worker", False, f"no worker answered a ping within {timeout:g} s")
    return CheckResult("worker", True, f"{len(names)} worker(s) answered: {', '.join(names[:5])}")


def check_beat() -> CheckResult:
    if not ops_setting("READY_CHECK_BEAT"):
        return CheckResult("beat", True, "not checked (READY_CHECK_BEAT off)")
    from pmflow.ops.beat import HEARTBEAT_NAME
    from pmflow.ops.models import BeatHeartbeat

    stale_after = int(ops_setting("READY_BEAT_STALE_SECONDS"))
    try:
        beat = BeatHeartbeat.objects.using(ops_setting("READY_DATABASE_ALIAS")).filter(name=HEARTBEAT_NAME).first()
    except DatabaseError as exc:
        return CheckResult("beat", False, f"heartbeat unreadable: {_error(exc)}")
    if beat is None:
        return CheckResult("beat", False, "beat has never ticked (no heartbeat)")
    age = (timezone.now() - beat.beat_at).total_seconds()
    if age > stale_after:
        return CheckResult("beat", False, f"last tick {age:.0f} s ago (> {stale_after} s) on {beat.hostname} pid {beat.pid}")
    return CheckResult("beat", True, f"last tick {age:.0f} s ago on {beat.hostname} pid {beat.pid}")


def outbox_oldest_pending_age(now: dt.datetime | None = None, using: str = "default") -> float | None:
    """Seconds since the oldest notification still waiting to go out was written (None: none waits)."""
    from pmflow.models import Notification, NotificationStatus

    oldest = (
        Notification.objects.using(using)
        .filter(status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return None
    return max(0.0, ((now or timezone.now()) - oldest).total_seconds())


def check_outbox() -> CheckResult:
    max_age = int(ops_setting("READY_OUTBOX_MAX_AGE_SECONDS"))
    try:
        age = outbox_oldest_pending_age(using=ops_setting("READY_DATABASE_ALIAS"))
    except DatabaseError as exc:
        return CheckResult("outbox", False, f"outbox unreadable: {_error(exc)}")
    if age is None:
        return CheckResult("outbox", True, "nothing waiting")
    if age > max_age:
        return CheckResult("outbox", False, f"oldest pending notification is {age:.0f} s old (> {max_age} s)")
    return CheckResult("outbox", True, f"oldest pending notification is {age:.0f} s old")


CHECKS: tuple[Callable[[], CheckResult], ...] = (check_database, check_broker, check_worker, check_beat, check_outbox)


def readiness_report() -> tuple[bool, list[CheckResult]]:
    """Every check, in order; ready when all pass. The database-backed checks are skipped (failed)
    when the database itself is unreachable, so the report does not wait on it three times."""
    results: list[CheckResult] = []
    database = check_database()
    results.append(database)
    broker = check_broker()
    results.append(broker)
    results.append(check_worker(broker_ok=broker.ok))
    if database.ok or "unapplied" in database.detail:
        results.append(check_beat())
        results.append(check_outbox())
    else:
        results.append(CheckResult("beat", False, "not checked: database unreachable"))
        results.append(CheckResult("outbox", False, "not checked: database unreachable"))
    return all(r.ok for r in results), results
