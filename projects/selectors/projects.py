"""Reads on projects: what a user may see, the audit trail with filters, the cultivation plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q

from pmflow.errors import NotFound
from pmflow.models import AuditEntry
from pmflow.rules import is_programme_admin
from projects.models import PlanVersion, PMTeamMembership, Project

PLAN_DIFF_FIELDS = ("objectives", "scope", "deliverables", "budget_breakdown")


def projects_visible_to(user: Any) -> models.QuerySet[Project]:
    """Projects ``user`` may see: admins all; PM-team members their team's portfolio; project leads
    their projects; gate chairs and assigned, unconflicted reviewers the projects of their gates.
    Related rows for list pages are joined (fixed query count)."""
    qs = Project.objects.select_related("field__direction", "field__tier", "pm_team", "performer", "lead")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_programme_admin(user):
        return qs
    from milestones.models import GateReview, ReviewerAssignment

    member = Exists(PMTeamMembership.objects.filter(team_id=OuterRef("pm_team_id"), user_id=user.pk))
    chair = Exists(GateReview.objects.filter(project_id=OuterRef("pk"), chair_id=user.pk))
    reviewer = Exists(
        ReviewerAssignment.objects.filter(gate__project_id=OuterRef("pk"), reviewer_id=user.pk).exclude(has_conflict=True)
    )
    return qs.filter(member | chair | reviewer | Q(lead_id=user.pk))


def project_get_visible(user: Any, pk: Any) -> Project:
    """One project if ``user`` may see it; NotFound otherwise (whether or not it exists)."""
    try:
        return projects_visible_to(user).get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def audit_trail(
    obj: models.Model | None = None,
    actor: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    model: type[models.Model] | None = None,
    action: str | None = None,
) -> models.QuerySet[AuditEntry]:
    """Audit rows, newest first, filtered by object (or model), actor, action and a date range
    (inclusive, in the site's time zone)."""
    qs = AuditEntry.objects.select_related("actor", "content_type")
    if obj is not None:
        ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        qs = qs.filter(content_type=ct, object_id=str(obj.pk))
    elif model is not None:
        qs = qs.filter(content_type=ContentType.objects.get_for_model(model, for_concrete_model=True))
    if actor is not None:
        qs = qs.filter(actor_id=getattr(actor, "pk", actor))
    if action:
        qs = qs.filter(action=action)
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


# --- cultivation plan -------------------------------------------------------------------------------
def plan_versions(project: Project) -> models.QuerySet[PlanVersion]:
    return PlanVersion.objects.filter(project=project).select_related("created_by").order_by("version")


def plan_baseline(project: Project) -> PlanVersion | None:
    return PlanVersion.objects.filter(project=project, is_baseline=True).first()


def plan_current(project: Project) -> PlanVersion | None:
    return PlanVersion.objects.filter(project=project).order_by("-version").first()


def plan_baseline_and_current(project: Project) -> tuple[PlanVersion | None, PlanVersion | None]:
    """Both in one query: (baseline, current); the same row when there is only the baseline."""
    rows = list(PlanVersion.objects.filter(project=project).filter(Q(is_baseline=True) | Q(version=_max_version(project))))
    baseline = next((r for r in rows if r.is_baseline), None)
    current = max(rows, key=lambda r: r.version, default=None)
    return baseline, current


def _max_version(project: Project) -> models.Subquery:
    return models.Subquery(
        PlanVersion.objects.filter(project=project).order_by("-version").values("version")[:1],
    )


def plan_diff(old: PlanVersion | None, new: PlanVersion | None) -> dict[str, dict[str, Any]]:
    """Field-level difference between two plan versions: ``{field: {"before": …, "after": …}}`` for
    every field that differs; for the budget breakdown, per item (added, removed, changed)."""
    if old is None or new is None:
        return {}
    diff: dict[str, dict[str, Any]] = {}
    for name in PLAN_DIFF_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        entry: dict[str, Any] = {"before": before, "after": after}
        if name == "budget_breakdown":
            before, after = before or {}, after or {}
            entry["items"] = {
                item: {"before": before.get(item), "after": after.get(item)}
                for item in sorted(set(before) | set(after))
                if before.get(item) != after.get(item)
            }
        diff[name] = entry
    return diff
