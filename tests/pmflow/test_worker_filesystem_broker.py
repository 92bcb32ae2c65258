"""The embedded set-up: with the filesystem broker (no Redis) a task sent from the web process is
executed by a real worker process that reads the same folder."""

from __future__ import annotations

from django.db import transaction

from pmflow.models import User
from pmflow.settings.base import celery_transport_options
from pmflow.tasking import task_enqueue_on_commit
from tests.factories import UserFactory
from tests.worker import celery_broker_override, celery_worker, wait_for
from tests.worker_tasks import user_set_first_name


def test_worker_on_the_filesystem_broker_executes_a_task_sent_from_the_web_process(transactional_db, tmp_path):
    from django.db import connection

    data_dir = tmp_path / "celery"
    broker_env = {"CELERY_BROKER_URL": "filesystem://", "CELERY_DATA_DIR": str(data_dir)}
    user = UserFactory(first_name="")
    with (
        celery_worker(db_name=connection.settings_dict["NAME"], extra_env=broker_env, log_dir=tmp_path) as worker,
        celery_broker_override("filesystem://", celery_transport_options("filesystem://", data_dir)),
    ):
        with transaction.atomic():
            task_enqueue_on_commit(user_set_first_name, user.pk, "文件代理")
        wait_for(
            lambda: User.objects.filter(pk=user.pk, first_name="文件代理").exists(),
            timeout=30,
            message=f"worker did not run the task; log:\n{worker.log()}",
        )
    assert "filesystem" in worker.log()
    assert not list((data_dir / "out").iterdir())  # the message was consumed, nothing left behind
