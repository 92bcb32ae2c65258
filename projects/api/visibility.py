"""Which rows of each projects-app resource a user may see through the API. Built on
``projects.selectors.projects.projects_visible_to`` (admins all; PM-team members their portfolio;
project leads their projects; gate chairs and unconflicted reviewers the projects of their gates),
which the web pages use too. Each function returns a queryset filtered by ``EXISTS``/``IN``
subqueries: no per-row queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from pmflow.rules import is_programme_admin
from projects.models import FundingAward, KeyTaskList, PlanVersion, PMTeam, PMTeamMembership, Project, Task, TechnologyRoute
from projects.selectors.projects import projects_visible_to


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def projects_for(user: Any) -> QuerySet[Project]:
    """Exactly ``projects_visible_to`` (the one implementation of the project visibility rules)."""
    return projects_visible_to(user)


def visible_project_ids(user: Any) -> QuerySet:
    return projects_for(user).order_by().values("pk")


def pm_teams_for(user: Any) -> QuerySet[PMTeam]:
    """Admins all teams; others the teams they belong to and the teams owning projects they see."""
    qs = PMTeam.objects.select_related("lead")
    if not _authenticated(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    member = Exists(PMTeamMembership.objects.filter(team_id=OuterRef("pk"), user_id=user.pk))
    return qs.filter(member | Q(pk__in=projects_for(user).order_by().values("pm_team_id")))


def plan_versions_for(user: Any) -> QuerySet[PlanVersion]:
    return PlanVersion.objects.select_related("project", "created_by").filter(project__in=visible_project_ids(user))


def routes_for(user: Any) -> QuerySet[TechnologyRoute]:
    return TechnologyRoute.objects.select_related("project").filter(project__in=visible_project_ids(user))


def awards_for(user: Any) -> QuerySet[FundingAward]:
    return FundingAward.objects.select_related("project", "beneficiary", "measure").filter(project__in=visible_project_ids(user))


def task_lists_for(user: Any) -> QuerySet[KeyTaskList]:
    """Admins all; PM-team members their team's lists; anyone who sees a list's project."""
    qs = KeyTaskList.objects.select_related("pm_team", "project")
    if not _authenticated(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    member = Exists(PMTeamMembership.objects.filter(team_id=OuterRef("pm_team_id"), user_id=user.pk))
    return qs.filter(member | Q(project__in=visible_project_ids(user)))


def tasks_for(user: Any) -> QuerySet[Task]:
    """Tasks of visible lists, and tasks the user owns."""
    qs = Task.objects.select_related("task_list", "category", "owner")
    if not _authenticated(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    return qs.filter(Q(task_list__in=task_lists_for(user).order_by().values("pk")) | Q(owner_id=user.pk))
