"""Which rows of each milestones-app resource a user may see through the API (one subquery each,
no per-row queries). The rules are not restated here: each function returns the selector the web
uses too.

- milestones, change requests, assessments, tranche releases: whoever sees the project
  (``projects.selectors.projects.projects_visible_to``);
- gate reviews, reviewer assignments, scorecards: ``milestones.selectors.gates`` —
  ``gates_visible_to``, ``assignments_visible_to``, ``all_scorecards_visible_to`` (a reviewer reads
  the others' submitted cards only once their own is submitted);
- decisions: whoever sees the gate.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeRequest,
    GateDecision,
    GateReview,
    Milestone,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from milestones.selectors.gates import all_scorecards_visible_to, assignments_visible_to, gates_visible_to
from projects.api.visibility import _authenticated, visible_project_ids


def milestones_for(user: Any) -> QuerySet[Milestone]:
    return Milestone.objects.select_related("project").filter(project__in=visible_project_ids(user))


def gates_for(user: Any) -> QuerySet[GateReview]:
    """Exactly ``gates_visible_to`` (``milestones.view_gate`` as one set)."""
    return gates_visible_to(user)


def assignments_for(user: Any) -> QuerySet[ReviewerAssignment]:
    """Exactly ``assignments_visible_to``."""
    return assignments_visible_to(user)


def scorecards_for(user: Any) -> QuerySet[Scorecard]:
    """Exactly ``all_scorecards_visible_to``: the web's rule, over every gate at once."""
    return all_scorecards_visible_to(user)


def decisions_for(user: Any) -> QuerySet[GateDecision]:
    return GateDecision.objects.select_related("gate", "decided_by").filter(gate__in=gates_for(user).order_by().values("pk"))


def change_requests_for(user: Any) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.select_related("project", "milestone", "created_by").filter(
        project__in=visible_project_ids(user)
    )


def rounds_for(user: Any) -> QuerySet[AssessmentRound]:
    if not _authenticated(user):
        return AssessmentRound.objects.none()
    return AssessmentRound.objects.all()


def assessments_for(user: Any) -> QuerySet[Assessment]:
    return Assessment.objects.select_related("round", "project").filter(project__in=visible_project_ids(user))


def releases_for(user: Any) -> QuerySet[TrancheRelease]:
    return TrancheRelease.objects.select_related("milestone__project", "released_by").filter(
        milestone__project__in=visible_project_ids(user)
    )
