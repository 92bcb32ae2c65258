"""Reads for the milestone page: the milestone with its project, its gates (latest first, with the
decision), its tasks' roll-up, the evidence the viewer may read, and which buttons the viewer may
press now. A fixed number of queries whatever the number of gates, tasks or evidence."""

from __future__ import annotations

from typing import Any

from milestones.models import GateReview, Milestone, MilestoneState, ReviewerAssignment, TrancheRelease
from milestones.selectors.evidence import evidence_upload_allowed, milestone_evidence
from milestones.services.milestones import WORKING_PROJECT_STATES, condition_tasks_open
from pmflow.errors import NotFound
from pmflow.rules import is_programme_admin
from pmflow.transitions import transitions_available
from projects.rules import is_pm_team_member
from projects.selectors.projects import projects_visible_to
from projects.selectors.tasks import milestone_task_rollups

#: the milestone transitions offered on the milestone page (gate outcomes come from the gate decision,
#: cancellation from an approved change request)
PAGE_TRANSITIONS = ("start", "submit", "resume", "conditions_met")


def milestone_get_visible(user: Any, pk: Any) -> Milestone:
    """The milestone if ``user`` may see its project (``projects_visible_to``), else ``NotFound``."""
    try:
        return (
            Milestone.objects.select_related("project__pm_team", "project__lead", "project__field__tier")
            .filter(project__in=projects_visible_to(user).values("pk"))
            .get(pk=int(pk))
        )
    except (Milestone.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def milestone_actions(user: Any, milestone: Milestone) -> list[str]:
    """The page's transitions ``user`` may take on ``milestone`` now (rules and state; a milestone of
    a project that is not working cannot move; the final milestone is submitted by the PM team)."""
    if milestone.project.status not in WORKING_PROJECT_STATES and milestone.status != MilestoneState.PASSED_WITH_CONDITIONS:
        return []
    names = [n for n in transitions_available(milestone, user) if n in PAGE_TRANSITIONS]
    if "submit" in names and milestone.is_final and not (is_programme_admin(user) or is_pm_team_member(user, milestone.project)):
        names.remove("submit")
    return names


def milestone_page(*, user: Any, milestone_id: Any) -> dict[str, Any]:
    milestone = milestone_get_visible(user, milestone_id)
    try:
        release = TrancheRelease.objects.get(milestone_id=milestone.pk)
    except TrancheRelease.DoesNotExist:
        release = None
    gates = list(
        GateReview.objects.filter(milestone_id=milestone.pk).select_related("chair", "committee", "decision").order_by("-id")
    )
    assigned = set(
        ReviewerAssignment.objects.filter(reviewer_id=user.pk, gate__milestone_id=milestone.pk).values_list("gate_id", flat=True)
    )
    admin = is_programme_admin(user)
    gate_rows = [
        {
            "gate": g,
            "decision": getattr(g, "decision", None),
            "chair_view": admin or g.chair_id == user.pk,
            "reviewer_view": g.pk in assigned,
        }
        for g in gates
    ]
    rollup = milestone_task_rollups(milestone_ids=[milestone.pk]).get(milestone.pk)
    actions = milestone_actions(user, milestone)
    # 拨付资金: the rule of ``milestones.release_tranche`` (admin, or chair of a gate of this milestone)
    # decided from the gates already read, so the page keeps its query count
    can_release = (
        milestone.status == MilestoneState.PASSED
        and release is None
        and milestone.tranche_amount > 0
        and (admin or any(g.chair_id == user.pk for g in gates))
    )
    return {
        "milestone": milestone,
        "project": milestone.project,
        "release": release,
        "gate_rows": gate_rows,
        "current_gate": gates[0] if gates else None,
        "rollup": rollup,
        "evidence": milestone_evidence(user, milestone.pk),
        "actions": actions,
        "can_release": can_release,
        "labels": {n: Milestone.TRANSITION_LABELS[n] for n in actions},
        "can_upload": evidence_upload_allowed(actor=user, milestone=milestone),
        "conditions_open": condition_tasks_open(milestone) if milestone.status == MilestoneState.PASSED_WITH_CONDITIONS else 0,
    }
