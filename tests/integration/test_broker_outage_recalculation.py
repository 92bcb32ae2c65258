"""Tasks changed while the broker (a private Redis) is down get their statuses within two minutes
of it coming back, with no nightly run: each change left a dirty mark in its own transaction, and
the dirty sweep that beat fires (every minute in production; every 2 s here, as an admin may set
it) recalculates the lists. Real worker, real beat, real redis-server taken away and brought back."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu import pools

from pmflow.settings.base import celery_transport_options
from projects.models import Task, TaskListDirty, TaskStatus
from projects.services.tasks import task_update_progress
from tests.factories import KeyTaskListFactory, ProjectFactory, TaskFactory
from tests.integration.processes import celery_beat, redis_server
from tests.worker import celery_broker_override, celery_worker, wait_for

pytestmark = pytest.mark.worker


def test_changes_made_while_redis_is_down_are_recalculated_within_two_minutes_of_its_return(
    transactional_db, reference_data, tmp_path
):
    project = ProjectFactory()
    task_list = KeyTaskListFactory(pm_team=project.pm_team, project=project)
    tasks = [
        TaskFactory(task_list=task_list, progress=10, start_date=dt.date(2026, 1, 1), due_date=dt.date(2099, 12, 31))
        for _ in range(5)
    ]
    every_2s, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="dirty sweep", task="projects.task_lists_dirty_recalculate", interval=every_2s)
    db_name = connection.settings_dict["NAME"]

    with redis_server(tmp_path) as redis:
        env = {"CELERY_BROKER_URL": redis.url, "REDIS_URL": redis.url}
        pools.reset()
        with (
            celery_broker_override(redis.url, celery_transport_options(redis.url)),
            celery_worker(db_name=db_name, extra_env=env, log_dir=tmp_path, include=()) as worker,
            celery_beat(db_name=db_name, log_dir=tmp_path, extra_env=env) as beat,
        ):
            redis.stop()  # the broker goes away
            for task in tasks:
                task_update_progress(actor=project.pm_team.lead, task_id=task.pk, progress=100)
            time.sleep(3)  # beat ticks fail to publish too
            assert set(Task.objects.filter(task_list=task_list).values_list("status", flat=True)) != {TaskStatus.DONE}
            assert TaskListDirty.objects.filter(task_list=task_list).count() == 5

            redis.start()  # back, same port
            back = time.monotonic()
            wait_for(
                lambda: set(Task.objects.filter(task_list=task_list).values_list("status", flat=True)) == {TaskStatus.DONE},
                timeout=120,
                interval=0.5,
                message=f"worker:\n{worker.log()[-3000:]}\nbeat:\n{beat.log()[-3000:]}",
            )
            assert time.monotonic() - back < 120
            assert not TaskListDirty.objects.exists()
            assert "projects.tasks_recalculate_all[" not in worker.log()  # no nightly run
            assert "projects.task_lists_dirty_recalculate[" in worker.log()
        pools.reset()
