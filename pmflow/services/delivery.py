"""Delivery of outbox rows. Owned by the task-lists/reminders issue (6); this is the seam."""

from __future__ import annotations


def notifications_deliver_pending() -> int:
    raise NotImplementedError("implemented by issue 6")
