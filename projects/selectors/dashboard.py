"""Reads for the web UI frame and the portfolio dashboard: a user's roles (one query), and the
portfolio aggregates (a fixed number of queries whatever the portfolio size)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from pmflow.models import AuditEntry, Notification, NotificationKind, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from projects.models import Direction, Field, FundingAward, KeyTaskList, PMTeam, PMTeamMembership, Project, Task, TaskStatus, Tier
from projects.models.projects import Health, ProjectState


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
        .exclude(kind=NotificationKind.DIGEST)
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


# --- portfolio filters ---------------------------------------------------------------------------------
#: GET parameters the portfolio dashboard and the project list understand. Every number on the
#: dashboard links to the project list with the parameters that reproduce it.
FILTER_KEYS = (
    "direction",
    "field",
    "tier",
    "team",
    "status",
    "health",
    "q",
    "milestone_due",
    "overdue_reviews",
    "overdue_tasks",
    "non_consensus",
    "released",
)
OPEN_MILESTONE_STATES = ("planned", "in_progress", "submitted", "in_review", "on_hold", "passed_with_conditions")
OPEN_GATE_STATES = ("scheduled", "open", "closed")
DUE_SOON_DAYS = 30


def portfolio_filters(params: Any) -> dict[str, str]:
    """The recognised, non-empty filter values of a GET query dict."""
    out: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = (params.get(key) or "").strip() if hasattr(params, "get") else ""
        if value:
            out[key] = value[:100]
    return out


def portfolio_filter_apply(qs: models.QuerySet[Project], filters: dict[str, str], *, today: dt.date | None = None):
    """Narrow a project queryset by ``filters`` (see ``FILTER_KEYS``); unknown values match nothing."""
    from milestones.models import GateReview, Milestone

    today = today or timezone.localdate()
    if "direction" in filters:
        qs = qs.filter(field__direction__code=filters["direction"])
    if "field" in filters:
        qs = qs.filter(field__code=filters["field"])
    if "tier" in filters:
        qs = qs.filter(field__tier__code=filters["tier"])
    if "team" in filters:
        qs = qs.filter(pm_team__code=filters["team"])
    if "status" in filters:
        qs = qs.filter(status__in=filters["status"].split(","))
    if "health" in filters:
        qs = qs.filter(health=filters["health"])
    if "q" in filters:
        q = filters["q"]
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(performer__name__icontains=q))
    if "milestone_due" in filters:
        try:
            days = max(0, min(int(filters["milestone_due"]), 366))
        except ValueError:
            days = DUE_SOON_DAYS
        qs = qs.filter(
            Exists(
                Milestone.objects.filter(
                    project_id=OuterRef("pk"),
                    status__in=OPEN_MILESTONE_STATES,
                    current_due__gte=today,
                    current_due__lte=today + dt.timedelta(days=days),
                )
            )
        )
    if filters.get("overdue_reviews"):
        qs = qs.filter(
            Exists(GateReview.objects.filter(project_id=OuterRef("pk"), status__in=OPEN_GATE_STATES, due_date__lt=today))
        )
    if filters.get("overdue_tasks"):
        qs = qs.filter(Exists(Task.objects.filter(task_list__project_id=OuterRef("pk"), status=TaskStatus.OVERDUE)))
    if filters.get("non_consensus"):
        qs = qs.filter(non_consensus_track=True)
    if filters.get("released"):
        from milestones.models import TrancheRelease

        qs = qs.filter(Exists(TrancheRelease.objects.filter(milestone__project_id=OuterRef("pk"))))
    return qs


# --- portfolio dashboard ----------------------------------------------------------------------------------
@dataclass
class Portfolio:
    total: int = 0
    budget: Decimal = Decimal(0)
    awarded: Decimal = Decimal(0)
    released: Decimal = Decimal(0)
    by_direction: list[dict[str, Any]] = field(default_factory=list)
    by_field: list[dict[str, Any]] = field(default_factory=list)
    by_tier: list[dict[str, Any]] = field(default_factory=list)
    by_state: list[dict[str, Any]] = field(default_factory=list)
    by_health: list[dict[str, Any]] = field(default_factory=list)
    by_team: list[dict[str, Any]] = field(default_factory=list)
    released_by_month: list[Decimal] = field(default_factory=list)
    funding_by_direction: list[dict[str, Any]] = field(default_factory=list)
    milestones_due: list[Any] = field(default_factory=list)
    milestones_due_count: int = 0
    overdue_reviews: list[Any] = field(default_factory=list)
    overdue_reviews_count: int = 0
    overdue_tasks: list[Any] = field(default_factory=list)
    overdue_tasks_count: int = 0
    quota: list[Any] = field(default_factory=list)
    year: int = 0
    filter_options: dict[str, list[Any]] = field(default_factory=dict)


def _dashboard_teams(user: Any) -> models.QuerySet[PMTeam]:
    from pmflow.rules import is_programme_admin

    teams = PMTeam.objects.all()
    if not is_programme_admin(user):
        teams = teams.filter(memberships__user_id=user.pk, memberships__role=PMTeamMembership.Role.LEAD)
    return teams


def portfolio_summary(
    user: Any,
    projects: models.QuerySet[Project],
    filters: dict[str, str],
    *,
    today: dt.date | None = None,
    limit: int = 10,
    include_tasks: bool = True,
) -> Portfolio:
    """Aggregates of ``projects`` (already narrowed to what ``user`` sees and to ``filters``) for the
    dashboard, in a fixed number of queries: one grouped count, one each for awards and releases,
    the due / overdue lists with their counts, the quota table and the reference rows."""
    from milestones.models import GateReview, Milestone, NonConsensusApproval, TrancheRelease

    today = today or timezone.localdate()
    out = Portfolio(year=today.year)
    ids = projects.order_by().values("pk")

    # 1. One grouped count over (field, state, health): every breakdown is folded from it.
    groups = list(
        projects.order_by()
        .values("field_id", "status", "health", "pm_team_id")
        .annotate(n=Count("id"), budget=Coalesce(Sum("budget"), Decimal(0)))
    )
    # 2. Awards (active) and 3. releases, per field.
    awards = dict(
        FundingAward.objects.filter(project__in=ids, status="active")
        .order_by()
        .values_list("project__field_id")
        .annotate(s=Sum("amount"))
    )
    releases = dict(
        TrancheRelease.objects.filter(milestone__project__in=ids)
        .order_by()
        .values_list("milestone__project__field_id")
        .annotate(s=Sum("amount"))
    )
    # 4. Reference rows (eleven fields with their direction and tier), 5. directions, 6. tiers.
    fields = list(Field.objects.select_related("direction", "tier").order_by("order", "code"))
    directions = list(Direction.objects.order_by("order", "code"))
    tiers = list(Tier.objects.order_by("order", "code"))

    per_field: dict[int, int] = {}
    per_state: dict[str, int] = {}
    per_health: dict[str, int] = {}
    per_team: dict[int, int] = {}
    budget_by_field: dict[int, Decimal] = {}
    for g in groups:
        per_field[g["field_id"]] = per_field.get(g["field_id"], 0) + g["n"]
        per_state[g["status"]] = per_state.get(g["status"], 0) + g["n"]
        per_health[g["health"]] = per_health.get(g["health"], 0) + g["n"]
        per_team[g["pm_team_id"]] = per_team.get(g["pm_team_id"], 0) + g["n"]
        budget_by_field[g["field_id"]] = budget_by_field.get(g["field_id"], Decimal(0)) + g["budget"]
        out.total += g["n"]
    out.budget = sum(budget_by_field.values(), Decimal(0))
    out.awarded = sum((v or Decimal(0) for v in awards.values()), Decimal(0))
    out.released = sum((v or Decimal(0) for v in releases.values()), Decimal(0))

    out.by_field = [
        {"code": f.code, "label": f.name, "value": per_field.get(f.pk, 0), "key": "field", "cls": ""}
        for f in fields
        if per_field.get(f.pk)
    ]
    for d in directions:
        members = [f for f in fields if f.direction_id == d.pk]
        count = sum(per_field.get(f.pk, 0) for f in members)
        budget = sum((budget_by_field.get(f.pk, Decimal(0)) for f in members), Decimal(0))
        awarded = sum((awards.get(f.pk) or Decimal(0) for f in members), Decimal(0))
        released = sum((releases.get(f.pk) or Decimal(0) for f in members), Decimal(0))
        out.by_direction.append({"code": d.code, "label": d.name, "value": count, "key": "direction", "cls": ""})
        if budget or awarded or released:
            out.funding_by_direction.append(
                {"code": d.code, "label": d.name, "budget": budget, "awarded": awarded, "released": released}
            )
    for index, t in enumerate(tiers):
        count = sum(per_field.get(f.pk, 0) for f in fields if f.tier_id == t.pk)
        out.by_tier.append({"code": t.code, "label": t.name, "value": count, "key": "tier", "cls": f"tier-{index % 3}"})
    out.by_state = [
        {"code": s.value, "label": str(s.label), "value": per_state[s.value], "key": "status", "cls": f"state-{s.value}"}
        for s in ProjectState
        if per_state.get(s.value)
    ]
    out.by_health = [
        {"code": h.value, "label": str(h.label), "value": per_health.get(h.value, 0), "key": "health", "cls": f"health-{h.value}"}
        for h in (Health.RED, Health.AMBER, Health.GREEN, Health.GREY)
    ]

    # 7-8. Milestones due in the next 30 days (list and count).
    due = Milestone.objects.filter(
        project__in=ids,
        status__in=OPEN_MILESTONE_STATES,
        current_due__gte=today,
        current_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
    )
    out.milestones_due = list(due.select_related("project").order_by("current_due", "id")[:limit])
    out.milestones_due_count = due.count()
    # 9-10. Overdue gate reviews.
    overdue_gates = GateReview.objects.filter(project__in=ids, status__in=OPEN_GATE_STATES, due_date__lt=today)
    out.overdue_reviews = list(overdue_gates.select_related("project", "milestone", "chair").order_by("due_date", "id")[:limit])
    out.overdue_reviews_count = overdue_gates.count()
    # 11-12. Overdue tasks of the projects' key task lists.
    if include_tasks:
        portfolio_overdue_tasks(out, ids, limit=limit)
    # 13. Non-consensus quota used this year, per PM team the user leads (all teams for admins).
    teams = _dashboard_teams(user)
    if "team" in filters:
        teams = teams.filter(code=filters["team"])
    used = (
        NonConsensusApproval.objects.filter(pm_team_id=OuterRef("pk"), year=today.year)
        .order_by()
        .values("pm_team_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    out.quota = list(
        teams.annotate(used=Coalesce(Subquery(used, output_field=models.IntegerField()), 0)).order_by("code").distinct()
    )
    # 14. Released funding per month over the last twelve months (for the sparkline).
    first_month = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    monthly = dict(
        TrancheRelease.objects.filter(milestone__project__in=ids, released_at__date__gte=first_month)
        .annotate(month=TruncMonth("released_at"))
        .order_by()
        .values_list("month")
        .annotate(s=Sum("amount"))
    )
    by_month = {(k.year, k.month): v for k, v in monthly.items() if k is not None}
    months = []
    y, m = first_month.year, first_month.month
    for _ in range(12):
        months.append(by_month.get((y, m)) or Decimal(0))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    out.released_by_month = months
    # 15. Filter choices: the teams this user may filter by.
    option_teams = list(_dashboard_teams(user).order_by("code"))
    out.filter_options = {"directions": directions, "tiers": tiers, "teams": option_teams}
    out.by_team = [
        {"code": t.code, "label": t.name, "value": per_team.get(t.pk, 0), "key": "team", "cls": ""} for t in option_teams
    ]
    return out


def portfolio_overdue_tasks(out: Portfolio, ids: Any, *, limit: int = 10) -> None:
    """Fill ``out``'s overdue tasks (the first ``limit`` and the count) of the projects ``ids``. Two queries."""
    overdue_tasks = Task.objects.filter(task_list__project__in=ids, status=TaskStatus.OVERDUE)
    out.overdue_tasks = list(overdue_tasks.select_related("task_list__project", "owner").order_by("due_date", "id")[:limit])
    out.overdue_tasks_count = overdue_tasks.count()


#: a cached summary lives at most this long (its key changes with the data version and the day anyway)
DASHBOARD_CACHE_SECONDS = 3600


def portfolio_summary_cached(
    user: Any, projects: models.QuerySet[Project], filters: dict[str, str], *, today: dt.date | None = None
) -> Portfolio:
    """``portfolio_summary``, its version-covered part kept in the cache under the portfolio data
    version: every table it reads moves that version (``milestones/migrations/0100``, ``0102``,
    ``0103``), so an entry stored under version *v* is what a fresh computation under *v* gives, and is
    never served after a committed change. The overdue tasks (task progress is the frequent write,
    outside the version) are read live: two queries. Without a version (SQLite, inside a
    transaction) everything is computed."""
    from pmflow.portfolio_version import current_version

    today = today or timezone.localdate()
    version = current_version()
    if version is None:
        return portfolio_summary(user, projects, filters, today=today)
    from django.core.cache import cache
    from django.utils.translation import get_language

    key = "pmflow:dashboard:" + "|".join(
        [version, str(user.pk), today.isoformat(), get_language() or "", repr(sorted(filters.items()))]
    )
    out = cache.get(key)
    if out is None:
        out = portfolio_summary(user, projects, filters, today=today, include_tasks=False)
        cache.set(key, out, DASHBOARD_CACHE_SECONDS)
    portfolio_overdue_tasks(out, projects.order_by().values("pk"))
    return out


# --- project page ------------------------------------------------------------------------------------------
@dataclass
class ProjectPage:
    milestones: list[Any]
    decisions: dict[int, Any]
    routes: list[Any]
    awards: list[Any]
    change_requests: list[Any]
    task_lists: list[Any]
    gates: list[Any]
    committed: Decimal
    released: Decimal


def project_page(project: Project) -> ProjectPage:
    """What the project page shows besides the project row, in a fixed number of queries:
    milestones (with their tranche release), gate reviews (with decisions), routes, awards,
    change requests and key task lists."""
    from milestones.models import ChangeRequest, GateReview, Milestone

    milestones = list(Milestone.objects.filter(project=project).select_related("release").order_by("sequence"))
    gates = list(
        GateReview.objects.filter(project=project).select_related("decision", "milestone", "chair").order_by("due_date", "id")
    )
    decisions: dict[int, Any] = {}
    for g in gates:
        if g.milestone_id:
            decision = getattr(g, "decision", None) if _has_decision(g) else None
            # the latest gate of a milestone wins (a recycled milestone may have several)
            decisions[g.milestone_id] = {"gate": g, "decision": decision}
    routes = list(project.routes.order_by("id"))
    awards = list(project.awards.select_related("measure", "beneficiary").order_by("-created_at", "-id"))
    change_requests = list(
        ChangeRequest.objects.filter(project=project).select_related("milestone", "created_by").order_by("-created_at", "-id")
    )
    task_lists = list(KeyTaskList.objects.filter(project=project).order_by("title"))
    committed = sum((a.amount for a in awards if a.status == "active"), Decimal(0))
    released = sum((m.release.amount for m in milestones if _has_release(m)), Decimal(0))
    return ProjectPage(
        milestones=milestones,
        decisions=decisions,
        routes=routes,
        awards=awards,
        change_requests=change_requests,
        task_lists=task_lists,
        gates=gates,
        committed=committed,
        released=released,
    )


def _has_decision(gate: Any) -> bool:
    try:
        gate.decision  # noqa: B018 - joined by select_related; raises when there is none
    except ObjectDoesNotExist:
        return False
    return True


def _has_release(milestone: Any) -> bool:
    try:
        milestone.release  # noqa: B018
    except ObjectDoesNotExist:
        return False
    return True


def project_audit(
    project: Project,
    page: ProjectPage,
    *,
    actor_id: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> models.QuerySet[AuditEntry]:
    """The audit rows of the project and of its milestones, gates, change requests and routes."""
    from django.contrib.contenttypes.models import ContentType

    from milestones.models import ChangeRequest, GateReview, Milestone
    from projects.models import TechnologyRoute

    def of(model: type[models.Model], ids: list[Any]) -> Q:
        ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
        return Q(content_type_id=ct.pk, object_id__in=[str(i) for i in ids])

    where = of(Project, [project.pk])
    for model, rows in (
        (Milestone, page.milestones),
        (GateReview, page.gates),
        (ChangeRequest, page.change_requests),
        (TechnologyRoute, page.routes),
    ):
        if rows:
            where |= of(model, [r.pk for r in rows])
    qs = AuditEntry.objects.filter(where).select_related("actor", "content_type").order_by("-created_at", "-id")
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def project_audit_actors(project: Project, page: ProjectPage) -> models.QuerySet[User]:
    ids = project_audit(project, page).values("actor_id")
    return User.objects.filter(pk__in=ids).order_by("username")
