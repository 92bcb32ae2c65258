"""A task enqueued by the web process on commit is executed by a real worker process against the
test Redis, and the worker sees the committed rows of the test database."""

from __future__ import annotations

from django.db import transaction

from pmflow.models import User
from pmflow.tasking import task_enqueue_on_commit, task_publish
from tests.factories import UserFactory
from tests.worker import wait_for
from tests.worker_tasks import user_set_first_name


def test_task_enqueued_on_commit_is_executed_by_the_worker(celery_worker_process):
    user = UserFactory(first_name="")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_name="已提交")
        task_enqueue_on_commit(user_set_first_name, user.pk, "由worker执行")

    wait_for(
        lambda: User.objects.filter(pk=user.pk, first_name="由worker执行").exists(),
        timeout=30,
        message=f"worker did not run the task; log:\n{celery_worker_process.log()}",
    )
    user.refresh_from_db()
    assert user.last_name == "已提交"
    assert "tests.user_set_first_name" in celery_worker_process.log()


def test_task_is_not_published_when_the_transaction_rolls_back(celery_worker_process):
    doomed = UserFactory(first_name="")
    witness = UserFactory(first_name="")
    try:
        with transaction.atomic():
            task_enqueue_on_commit(user_set_first_name, doomed.pk, "不应执行")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    # A later task proves the worker is consuming; the rolled-back one was never sent.
    assert task_publish(user_set_first_name, witness.pk, "已执行") is True
    wait_for(lambda: User.objects.filter(pk=witness.pk, first_name="已执行").exists(), timeout=30)
    assert User.objects.get(pk=doomed.pk).first_name == ""
