"""Celery tasks of the projects app. Thin and idempotent: take ids, call one service; a rerun
writes nothing that is already right. Database hiccups (deadlock between two recalculations,
lost connection) are retried with exponential backoff; at-least-once delivery (acks_late) is safe
because the recalculation only writes rows whose value changes."""

from __future__ import annotations

from celery import shared_task

from pmflow.tasking import TASK_RETRY


@shared_task(name="projects.task_list_recalculate", **TASK_RETRY)
def task_list_recalculate(task_list_id: int) -> int:
    """Recalculate one key task list (enqueued on commit after any change to its tasks)."""
    from projects.services.task_status import task_statuses_recalculate

    return task_statuses_recalculate(task_list_ids=[task_list_id])


@shared_task(name="projects.tasks_recalculate_all", soft_time_limit=3000, time_limit=3300, **TASK_RETRY)
def tasks_recalculate_all() -> int:
    """Nightly: recalculate every list and project (dates move even when nobody edits)."""
    from projects.services.task_status import task_statuses_recalculate

    return task_statuses_recalculate()


@shared_task(name="projects.task_lists_dirty_recalculate", **TASK_RETRY)
def task_lists_dirty_recalculate() -> int:
    """Every minute (beat): recalculate the lists whose after-change recalculation never ran."""
    from projects.services.task_status import task_lists_dirty_recalculate as sweep

    return sweep()


@shared_task(name="projects.task_reminders_sweep", **TASK_RETRY)
def task_reminders_sweep(today: str | None = None) -> int:
    """Daily (beat, working days): task due-soon / overdue reminders and the weekly digest to project
    leads. ``today`` (ISO date) is for reruns of a missed day; beat passes nothing."""
    import datetime as dt

    from projects.services.task_reminders import task_reminders_sweep as sweep

    return sweep(today=dt.date.fromisoformat(today) if today else None)
