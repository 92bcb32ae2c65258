"""The beat scheduler with a heartbeat: ``pmflow.beat.SingleBeatScheduler`` (one beat at a time)
that, while it holds the beat lock, records each tick in ``ops.BeatHeartbeat`` (at most every
``HEARTBEAT_EVERY`` seconds). ``/readyz`` calls beat stale when the row is older than its threshold:
no beat is running, or none holds the lock. Chosen by ``CELERY_BEAT_SCHEDULER``."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from django.utils import timezone

from pmflow.beat import SingleBeatScheduler

logger = logging.getLogger(__name__)

HEARTBEAT_NAME = "beat"
HEARTBEAT_EVERY = 5.0


def beat_heartbeat_record() -> None:
    from pmflow.ops.models import BeatHeartbeat

    BeatHeartbeat.objects.update_or_create(
        name=HEARTBEAT_NAME,
        defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()[:200], "pid": os.getpid()},
    )


class HeartbeatBeatScheduler(SingleBeatScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.heartbeat_at = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = super().tick(*args, **kwargs)
        if self.beat_lock_held and time.monotonic() - self.heartbeat_at >= HEARTBEAT_EVERY:
            try:
                beat_heartbeat_record()
                self.heartbeat_at = time.monotonic()
            except Exception:  # database down: the heartbeat goes stale, which is the point
                logger.warning("beat: could not record the heartbeat", exc_info=True)
        return min(interval, HEARTBEAT_EVERY)
