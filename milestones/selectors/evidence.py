"""Who may read which evidence (佐证材料), the one implementation for the web pages, the download
view and the API.

Evidence is visible to programme admins; the PM team that owns the project; the project lead; the
chair of a gate of the project; and the reviewers of a gate *of this milestone* who declared no
conflict of interest. A reviewer of another gate (even of the same project), a reviewer who recused
or has not declared yet, and other PM teams do not see it (the download answers 404).
One query besides the admin-group check; the conditions are uncorrelated subqueries."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from milestones.models import Evidence, GateReview, Milestone, MilestoneState, ReviewerAssignment
from pmflow.rules import is_programme_admin
from projects.models import PMTeamMembership, ProjectState

#: Milestone states in which evidence may be attached: while the work is under way, while its gate
#: is scheduled or running (supplementary material, each upload audited with its time), on hold
#: (rework) and while conditions are being met.
EVIDENCE_OPEN_STATES = (
    MilestoneState.IN_PROGRESS,
    MilestoneState.SUBMITTED,
    MilestoneState.IN_REVIEW,
    MilestoneState.ON_HOLD,
    MilestoneState.PASSED_WITH_CONDITIONS,
)
#: the project states in which milestones move (as ``milestones.services.milestones``)
EVIDENCE_PROJECT_STATES = (ProjectState.ACTIVE, ProjectState.CLOSING)


def evidence_visible_to(user: Any) -> QuerySet[Evidence]:
    qs = Evidence.objects.select_related("milestone__project", "uploaded_by").order_by("uploaded_at", "id")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_programme_admin(user):
        return qs
    team = Q(milestone__project__pm_team_id__in=PMTeamMembership.objects.filter(user_id=user.pk).values("team_id"))
    lead = Q(milestone__project__lead_id=user.pk)
    chair = Q(milestone__project_id__in=GateReview.objects.filter(chair_id=user.pk).values("project_id"))
    reviewer = Q(
        milestone_id__in=ReviewerAssignment.objects.filter(
            reviewer_id=user.pk, has_conflict=False, gate__milestone__isnull=False
        ).values("gate__milestone_id")
    )
    return qs.filter(team | lead | chair | reviewer)


def milestone_evidence(user: Any, milestone_id: int) -> list[Evidence]:
    """The evidence of one milestone that ``user`` may read, oldest first (one query)."""
    return list(evidence_visible_to(user).filter(milestone_id=milestone_id))


def evidence_get_visible(user: Any, pk: Any) -> Evidence | None:
    try:
        return evidence_visible_to(user).get(pk=int(pk))
    except (Evidence.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


def evidence_upload_allowed(*, actor: Any, milestone: Milestone) -> bool:
    """May ``actor`` attach evidence to ``milestone`` now (rule and state)? For buttons and forms;
    ``evidence_add`` checks the same under the row locks. ``milestone.project`` should be loaded."""
    return (
        milestone.status in EVIDENCE_OPEN_STATES
        and milestone.project.status in EVIDENCE_PROJECT_STATES
        and actor.has_perm("milestones.work_on_milestone", milestone)
    )
