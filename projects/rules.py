"""Per-object permission rules for projects (see pmflow/rules.py for shared predicates)."""

from __future__ import annotations

import rules

from pmflow.rules import is_programme_admin


@rules.predicate
def is_pm_team_member(user, obj) -> bool:
    """A member (lead or member) of the PM team that owns ``obj`` (a project, or anything with .project
    or .pm_team)."""
    if obj is None or not user.is_authenticated:
        return False
    team_id = getattr(obj, "pm_team_id", None)
    if team_id is None and getattr(obj, "project", None) is not None:
        team_id = obj.project.pm_team_id
    if team_id is None:
        return False
    from projects.models import PMTeamMembership

    return PMTeamMembership.objects.filter(team_id=team_id, user_id=user.pk).exists()


@rules.predicate
def is_pm_team_lead(user, obj) -> bool:
    if obj is None or not user.is_authenticated:
        return False
    team_id = getattr(obj, "pm_team_id", None)
    if team_id is None and getattr(obj, "project", None) is not None:
        team_id = obj.project.pm_team_id
    from projects.models import PMTeamMembership

    return PMTeamMembership.objects.filter(team_id=team_id, user_id=user.pk, role=PMTeamMembership.Role.LEAD).exists()


@rules.predicate
def is_project_lead(user, obj) -> bool:
    if obj is None or not user.is_authenticated:
        return False
    project = obj if hasattr(obj, "lead_id") and hasattr(obj, "pm_team_id") else getattr(obj, "project", None)
    return project is not None and project.lead_id == user.pk


@rules.predicate
def is_project_gate_chair(user, obj) -> bool:
    """Chair of a gate review of this project."""
    if obj is None or not user.is_authenticated:
        return False
    project = obj if hasattr(obj, "pm_team_id") and hasattr(obj, "lead_id") else getattr(obj, "project", None)
    if project is None:
        return False
    return project.gate_reviews.filter(chair_id=user.pk).exists()


@rules.predicate
def is_project_reviewer(user, obj) -> bool:
    """An assigned reviewer, not recused, of any gate of this project."""
    if obj is None or not user.is_authenticated:
        return False
    project = obj if hasattr(obj, "pm_team_id") and hasattr(obj, "lead_id") else getattr(obj, "project", None)
    if project is None:
        return False
    from milestones.models import ReviewerAssignment

    return ReviewerAssignment.objects.filter(gate__project_id=project.pk, reviewer_id=user.pk).exclude(has_conflict=True).exists()


def _project_of(obj):
    return obj if hasattr(obj, "pm_team_id") and hasattr(obj, "lead_id") else getattr(obj, "project", None)


@rules.predicate
def is_screening_chair(user, obj) -> bool:
    """Chair of a screening gate (立项筛选) of this project."""
    if obj is None or not user.is_authenticated:
        return False
    project = _project_of(obj)
    if project is None:
        return False
    return project.gate_reviews.filter(chair_id=user.pk, kind="screening").exists()


@rules.predicate
def is_final_gate_chair(user, obj) -> bool:
    """Chair of the final-acceptance gate of this project (a final gate, or the gate of the final milestone)."""
    if obj is None or not user.is_authenticated:
        return False
    project = _project_of(obj)
    if project is None:
        return False
    from django.db.models import Q

    return project.gate_reviews.filter(Q(kind="final") | Q(milestone__is_final=True), chair_id=user.pk).exists()


@rules.predicate
def is_screening_scheduling_lead(user, obj) -> bool:
    """The PM-team lead of ``obj``'s project (a project, or a gate review: then only a screening
    gate), where the programme admin has allowed that team's lead to schedule screening gates
    (``PMTeam.lead_schedules_screening``)."""
    if obj is None or not user.is_authenticated:
        return False
    if getattr(obj, "kind", "screening") != "screening":
        return False
    project = obj if hasattr(obj, "pm_team_id") and hasattr(obj, "lead_id") else getattr(obj, "project", None)
    if project is None:
        return False
    from projects.models import PMTeamMembership

    return PMTeamMembership.objects.filter(
        team_id=project.pm_team_id, user_id=user.pk, role=PMTeamMembership.Role.LEAD, team__lead_schedules_screening=True
    ).exists()


can_view_project = is_programme_admin | is_pm_team_member | is_project_lead | is_project_gate_chair | is_project_reviewer

# Who may move a project (DESIGN.md §1, §3): PM-team members draft and submit their own projects
# and start / finish implementation (the project lead too may start final acceptance by submitting
# the final milestone); the screening chair (or an admin) starts screening and moves
# its outcome; the final-acceptance chair (or an admin) closes or recycles; only programme admins
# suspend, resume and terminate. Reviewers move nothing.
rules.add_perm("projects.view_project", can_view_project)
rules.add_perm("projects.edit_project", is_programme_admin | is_pm_team_member)
rules.add_perm("projects.submit_project", is_pm_team_member)
rules.add_perm("projects.screen_project", is_programme_admin | is_screening_chair | is_screening_scheduling_lead)
rules.add_perm("projects.decide_screening", is_programme_admin | is_screening_chair)
rules.add_perm("projects.activate_project", is_programme_admin | is_pm_team_member)
rules.add_perm("projects.suspend_project", is_programme_admin)
rules.add_perm("projects.close_project", is_programme_admin | is_pm_team_member | is_project_lead)
rules.add_perm("projects.decide_final", is_programme_admin | is_final_gate_chair)
rules.add_perm("projects.terminate_project", is_programme_admin)
rules.add_perm("projects.update_task", is_programme_admin | is_pm_team_member | is_project_lead)
rules.add_perm("projects.manage_funding", is_programme_admin)
rules.add_perm("projects.manage_teams", is_programme_admin)
