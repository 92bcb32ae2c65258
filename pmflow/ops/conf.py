"""Operations settings (``PMFLOW_OPS`` in settings, every key optional)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # /readyz and `manage.py doctor`
    "READY_DATABASE_ALIAS": "default",
    "READY_BROKER_URL": None,  # None: CELERY_BROKER_URL
    "READY_TIMEOUT_SECONDS": 2.0,  # broker connect and worker ping, each
    "READY_BEAT_STALE_SECONDS": 300,
    "READY_OUTBOX_MAX_AGE_SECONDS": 3600,
    "READY_CHECK_WORKER": True,
    "READY_CHECK_BEAT": True,
    # /metrics: a bearer token (Prometheus' `authorization` credentials), or a staff login
    "METRICS_TOKEN": "",
    # the Celery queue whose length is reported
    "METRICS_QUEUE": "celery",
}


def ops_setting(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "PMFLOW_OPS", {})}[name]
