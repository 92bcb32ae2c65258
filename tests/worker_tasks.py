"""Tasks only the test workers load (``celery worker --include tests.worker_tasks``). Each leaves a
side effect in the database so a test can see that a real worker ran it."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tests.user_set_first_name")
def user_set_first_name(user_id: int, first_name: str) -> int:
    """Set one user's first name; returns the number of rows changed."""
    from pmflow.models import User

    return User.objects.filter(pk=user_id).update(first_name=first_name)
