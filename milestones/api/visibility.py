"""Which rows of each milestones-app resource a user may see through the API (one subquery each,
no per-row queries). Mirrors milestones/rules.py:

- milestones, change requests, assessments, tranche releases: whoever sees the project;
- gate reviews (``milestones.view_gate``): admins, the gate's chair, its assigned reviewers (a
  reviewer sees only the gates assigned to them) and the PM team of the project;
- reviewer assignments: admins, the gate's chair and the reviewer themself;
- scorecards (``milestones.read_scorecards``): admins, the gate's chair and the reviewer themself;
- decisions: whoever sees the gate.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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
from pmflow.rules import is_programme_admin
from projects.api.visibility import _authenticated, visible_project_ids
from projects.models import PMTeamMembership


def milestones_for(user: Any) -> QuerySet[Milestone]:
    return Milestone.objects.select_related("project").filter(project__in=visible_project_ids(user))


def gates_for(user: Any) -> QuerySet[GateReview]:
    qs = GateReview.objects.select_related("project", "milestone", "committee", "chair")
    if not _authenticated(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    assigned = Exists(ReviewerAssignment.objects.filter(gate_id=OuterRef("pk"), reviewer_id=user.pk))
    team = Exists(PMTeamMembership.objects.filter(team_id=OuterRef("project__pm_team_id"), user_id=user.pk))
    return qs.filter(Q(chair_id=user.pk) | assigned | team)


def assignments_for(user: Any) -> QuerySet[ReviewerAssignment]:
    qs = ReviewerAssignment.objects.select_related("gate", "reviewer")
    if not _authenticated(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    return qs.filter(Q(gate__chair_id=user.pk) | Q(reviewer_id=user.pk))


def scorecards_for(user: Any) -> QuerySet[Scorecard]:
    qs = Scorecard.objects.select_related("assignment__gate", "assignment__reviewer")
    if not _authenticated(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    return qs.filter(Q(assignment__gate__chair_id=user.pk) | Q(assignment__reviewer_id=user.pk))


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
