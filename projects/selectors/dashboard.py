"""Reads for the web UI frame and the portfolio dashboard: a user's roles (one query), and the
portfolio aggregates (a fixed number of queries whatever the portfolio size)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from pmflow.models import Notification, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from projects.models import PMTeamMembership, Project


# --- roles -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Roles:
    """What a user is, for navigation and the landing page. Permissions are still checked by rules."""

    authenticated: bool = False
    is_admin: bool = False
    is_pm_lead: bool = False
    is_pm_member: bool = False
    is_reviewer: bool = False
    is_chair: bool = False
    is_project_lead: bool = False
    unread: int = 0

    @property
    def sees_portfolio(self) -> bool:
        """Programme admins and PM-team leads see the portfolio dashboard."""
        return self.is_admin or self.is_pm_lead

    @property
    def works_on_projects(self) -> bool:
        return self.is_admin or self.is_pm_member or self.is_project_lead


ANONYMOUS = Roles()


def user_roles(user: Any) -> Roles:
    """The roles of ``user`` and their unread in-app notifications, in one query."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    from milestones.models import Committee, GateReview, ReviewerAssignment

    unread = (
        Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            r_admin=Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=PROGRAMME_ADMIN_GROUP)),
            r_pm_lead=Exists(PMTeamMembership.objects.filter(user_id=OuterRef("pk"), role=PMTeamMembership.Role.LEAD)),
            r_pm_member=Exists(PMTeamMembership.objects.filter(user_id=OuterRef("pk"))),
            r_reviewer=Exists(ReviewerAssignment.objects.filter(reviewer_id=OuterRef("pk"))),
            r_chair=Exists(GateReview.objects.filter(chair_id=OuterRef("pk"))),
            r_committee_chair=Exists(Committee.objects.filter(chair_id=OuterRef("pk"))),
            r_project_lead=Exists(Project.objects.filter(lead_id=OuterRef("pk"))),
            r_unread=Coalesce(Subquery(unread, output_field=models.IntegerField()), 0),
        )
        .values("r_admin", "r_pm_lead", "r_pm_member", "r_reviewer", "r_chair", "r_committee_chair", "r_project_lead", "r_unread")
        .first()
    )
    if row is None:
        return ANONYMOUS
    return Roles(
        authenticated=True,
        is_admin=bool(user.is_superuser or row["r_admin"]),
        is_pm_lead=row["r_pm_lead"],
        is_pm_member=row["r_pm_member"],
        is_reviewer=row["r_reviewer"],
        is_chair=row["r_chair"] or row["r_committee_chair"],
        is_project_lead=row["r_project_lead"],
        unread=row["r_unread"] or 0,
    )


def request_roles(request: Any) -> Roles:
    """``user_roles`` cached on the request, so the frame and the view share one query."""
    cached = getattr(request, "_pmflow_roles", None)
    if cached is None:
        cached = user_roles(getattr(request, "user", None))
        request._pmflow_roles = cached
    return cached
