"""One beat at a time: a second real beat process started beside the first schedules nothing (it
says so in its log) while the first holds the beat lock, and takes over once the first stops."""

from __future__ import annotations

import contextlib
import time
import uuid

import pytest
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.integration.conftest import queue_purge
from tests.integration.processes import celery_beat
from tests.worker import wait_for

pytestmark = pytest.mark.worker

SENT = "Sending due task every-second ping"


def test_a_second_beat_schedules_nothing_while_the_first_runs_and_takes_over_when_it_stops(transactional_db, tmp_path):
    queue = f"pmflow-beat-{uuid.uuid4().hex[:8]}"  # nobody consumes it; purged at the end
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="every-second ping", task="pmflow.ping", interval=every_second, queue=queue)
    db_name = connection.settings_dict["NAME"]
    try:
        with contextlib.ExitStack() as stack:
            first_beat = celery_beat(db_name=db_name, log_dir=tmp_path)
            first = first_beat.__enter__()
            try:
                wait_for(lambda: SENT in first.log(), timeout=60, message=first.log()[-3000:])
                assert "holds the beat lock" in first.log()
                second = stack.enter_context(celery_beat(db_name=db_name, log_dir=tmp_path))
                wait_for(lambda: "another beat holds the beat lock" in second.log(), timeout=60, message=second.log())
                time.sleep(4)  # four due runs of the every-second task
                assert SENT not in second.log()
                assert first.log().count(SENT) >= 3  # the first beat goes on alone
            finally:
                first_beat.__exit__(None, None, None)
            # The first beat is gone (its lock connection closed): the waiting one takes over.
            wait_for(lambda: SENT in second.log(), timeout=30, message=second.log()[-3000:])
            assert "holds the beat lock" in second.log()
    finally:
        queue_purge(queue)
