"""Shared fixtures. Tests run against real PostgreSQL (pytest-django's test database)."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture
def reference_data(db):
    """The policy's reference data, loaded by the real command."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def admin_user(db):
    from tests.factories import make_admin

    return make_admin(username="programme-admin")


# A real Celery worker subprocess on the test Redis and the test database (tests/worker.py).
from tests.worker import celery_worker_process, celery_worker_session  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _workday_calendar_fresh():
    """Each test reads the working-day calendar table afresh (a previous test's rolled-back entries
    must not linger in this process's copy)."""
    from pmflow.workdays import workday_cache_clear, workday_calendar_warm

    workday_cache_clear()
    workday_calendar_warm()  # read now when the test may use the database, so its counted queries exclude it
    yield
    workday_cache_clear()
