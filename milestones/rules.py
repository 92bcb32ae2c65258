"""Per-object permission rules for milestones, gates and change requests."""

from __future__ import annotations

import rules

from pmflow.rules import is_programme_admin
from projects.rules import (
    can_view_project,
    is_pm_team_lead,
    is_pm_team_member,
    is_project_gate_chair,
    is_project_lead,
    is_screening_scheduling_lead,
)


@rules.predicate
def is_gate_chair(user, gate) -> bool:
    return gate is not None and user.is_authenticated and gate.chair_id == user.pk


@rules.predicate
def is_unconflicted_reviewer(user, gate) -> bool:
    """Assigned to this gate and has not declared a conflict (may still be undeclared)."""
    if gate is None or not user.is_authenticated:
        return False
    return gate.assignments.filter(reviewer_id=user.pk).exclude(has_conflict=True).exists()


@rules.predicate
def is_declared_unconflicted_reviewer(user, gate) -> bool:
    """Assigned to this gate and has declared that they have no conflict of interest."""
    if gate is None or not user.is_authenticated:
        return False
    return gate.assignments.filter(reviewer_id=user.pk, has_conflict=False).exists()


@rules.predicate
def is_assigned_reviewer(user, gate) -> bool:
    if gate is None or not user.is_authenticated:
        return False
    return gate.assignments.filter(reviewer_id=user.pk).exists()


@rules.predicate
def is_milestone_gate_chair(user, milestone) -> bool:
    """Chair of a gate review of this milestone."""
    if milestone is None or not user.is_authenticated:
        return False
    from milestones.models import GateReview

    return GateReview.objects.filter(milestone_id=milestone.pk, chair_id=user.pk).exists()


rules.add_perm("milestones.view_milestone", can_view_project)
# The baseline (before activation) is the PM team's; the project lead reports, the team plans.
rules.add_perm("milestones.edit_baseline", is_programme_admin | is_pm_team_member)
rules.add_perm("milestones.release_tranche", is_programme_admin | is_milestone_gate_chair)
rules.add_perm("milestones.work_on_milestone", is_programme_admin | is_pm_team_member | is_project_lead)
rules.add_perm("milestones.decide_gate", is_programme_admin | is_project_gate_chair)
rules.add_perm("milestones.apply_change", is_programme_admin | is_project_gate_chair)
rules.add_perm("milestones.view_gate", is_programme_admin | is_gate_chair | is_assigned_reviewer | is_pm_team_member)
rules.add_perm("milestones.chair_gate", is_programme_admin | is_gate_chair)
rules.add_perm("milestones.declare_conflict", is_assigned_reviewer)
rules.add_perm("milestones.score_gate", is_declared_unconflicted_reviewer)
rules.add_perm("milestones.read_scorecards", is_programme_admin | is_gate_chair | is_declared_unconflicted_reviewer)
rules.add_perm("milestones.file_change", is_programme_admin | is_pm_team_member)
rules.add_perm("milestones.decide_change", is_programme_admin | is_project_gate_chair)


@rules.predicate
def changes_project_state(user, change_request) -> bool:
    """Suspend / resume / terminate requests move the project itself, which only programme admins
    may do (projects.suspend_project / terminate_project): the chair approves, an admin applies."""
    return change_request is not None and change_request.kind in {"suspend", "resume", "terminate"}


rules.add_perm("milestones.apply_change_request", is_programme_admin | (is_project_gate_chair & ~changes_project_state))
rules.add_perm("milestones.assess_project", is_programme_admin | is_pm_team_member)
rules.add_perm("milestones.endorse_non_consensus", is_pm_team_lead)


# Scheduling the screening gate and choosing its reviewers (DESIGN.md §1): a programme admin, or the
# PM-team lead where the admin allows. A gate's reviewers are also assigned by its chair.
rules.add_perm("milestones.schedule_screening", is_programme_admin | is_screening_scheduling_lead)
rules.add_perm("milestones.assign_reviewers", is_programme_admin | is_gate_chair | is_screening_scheduling_lead)
