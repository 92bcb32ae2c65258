"""Reads on change requests: lists per project, the decider's inbox, the pending count."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from milestones.models import ChangeRequest, ChangeState, GateReview, GateState
from pmflow.rules import is_programme_admin


def change_requests_for_project(*, project_id: Any, status: str | None = None) -> QuerySet[ChangeRequest]:
    """A project's change requests, newest first, with what the list shows joined (fixed queries)."""
    qs = ChangeRequest.objects.filter(project_id=project_id).select_related("project", "milestone", "created_by", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs


def change_requests_awaiting_decision(*, user: Any) -> QuerySet[ChangeRequest]:
    """Submitted requests ``user`` may approve or reject: all for a programme admin, else those of
    projects where the user chairs a (not cancelled) gate."""
    qs = ChangeRequest.objects.filter(status=ChangeState.SUBMITTED).select_related("project", "milestone", "created_by")
    if is_programme_admin(user):
        return qs
    return qs.filter(project_id__in=_chaired_project_ids(user))


def change_requests_awaiting_application(*, user: Any) -> QuerySet[ChangeRequest]:
    """Approved requests not yet applied, for the same deciders."""
    qs = ChangeRequest.objects.filter(status=ChangeState.APPROVED).select_related("project", "milestone", "created_by")
    if is_programme_admin(user):
        return qs
    return qs.filter(project_id__in=_chaired_project_ids(user))


def _chaired_project_ids(user: Any) -> QuerySet:
    return GateReview.objects.filter(chair_id=user.pk).exclude(status=GateState.CANCELLED).values("project_id")
