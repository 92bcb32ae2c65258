"""Celery tasks of the milestones app. Thin and idempotent: compute what to act on, call one service."""

from __future__ import annotations

from celery import shared_task

from pmflow.tasking import TASK_RETRY


@shared_task(name="pmflow.assessment_round_open_current_quarter", **TASK_RETRY)
def assessment_round_open_current_quarter() -> int:
    """Open the 动态甄别评估 round of the current calendar quarter (beat: quarterly). A rerun finds the
    existing round and creates nothing new. Returns the round id."""
    from django.utils import timezone

    from milestones.services.assessments import assessment_round_open, quarter_bounds

    start, end = quarter_bounds(timezone.localdate())
    return assessment_round_open(period_start=start, period_end=end).pk
