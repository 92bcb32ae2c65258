"""Which rows of each milestones-app resource a user may see through the API (one subquery each,
no per-row queries). The rules are not restated here: each function returns the selector the web
uses too.

- milestones, change requests, assessments, tranche releases: whoever sees the project
  (``projects.selectors.projects.projects_visible_to``);
- gate reviews, reviewer assignments, scorecards: ``milestones.selectors.gates`` —
  ``gates_visible_to``, ``assignments_visible_to``, ``all_scorecards_visible_to`` (a reviewer reads
  the others' submitted cards only once their own is submitted);
- decisions: whoever sees the gate; the per-reviewer part of the computed summary
  (``PER_REVIEWER_SUMMARY_KEYS``) only to whoever may read the gate's submitted scorecards
  (``reviewer_scores_visible``), everyone else gets the aggregate.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value
from django.db.models.expressions import Expression

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
from pmflow.rules import is_programme_admin
from projects.api.visibility import _authenticated, visible_project_ids

#: Keys of a gate's computed summary that tell one reviewer's score (each card's weighted score; the
#: lowest and highest; the spread, which with two cards and the mean gives both scores back).
PER_REVIEWER_SUMMARY_KEYS = ("reviewer_scores", "min", "max", "std")


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


def reviewer_scores_visible(user: Any, gate_ref: Any) -> Expression:
    """An SQL boolean: may ``user`` read the per-reviewer scores of the gate ``gate_ref`` (an
    ``OuterRef`` or expression giving its id)? Exactly when they may read a *submitted* scorecard of
    it (``all_scorecards_visible_to``): programme admins, the gate's chair, and an unconflicted
    reviewer whose own card is submitted. A recused reviewer and the PM team may not."""
    if is_programme_admin(user):
        return Value(True, output_field=BooleanField())
    return Exists(all_scorecards_visible_to(user).filter(assignment__gate_id=gate_ref, submitted_at__isnull=False))


def summary_for_reader(summary: Any, scores_visible: bool) -> Any:
    """``summary`` as the reader may see it: without ``PER_REVIEWER_SUMMARY_KEYS`` unless
    ``scores_visible``."""
    if scores_visible or not isinstance(summary, dict):
        return summary
    return {k: v for k, v in summary.items() if k not in PER_REVIEWER_SUMMARY_KEYS}


def decisions_for(user: Any) -> QuerySet[GateDecision]:
    """Decisions of the gates ``user`` sees, each annotated ``scores_visible`` (whether the summary's
    per-reviewer part may be shown: ``reviewer_scores_visible``)."""
    return (
        GateDecision.objects.select_related("gate", "decided_by")
        .filter(gate__in=gates_for(user).order_by().values("pk"))
        .annotate(scores_visible=reviewer_scores_visible(user, OuterRef("gate_id")))
    )


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
