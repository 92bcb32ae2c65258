"""The Celery app. Its whole policy lives in Django settings under CELERY_* names (settings/base.py):
at-least-once delivery (acks_late + reject on worker loss), JSON only, time limits, and a bounded
publish so that a web request never hangs on a broker that is down."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings.dev")

app = Celery("pmflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="pmflow.ping")
def ping(value: str = "pong") -> str:
    """A trivial task used by health checks and by the worker integration tests."""
    return value
