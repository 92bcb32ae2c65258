"""Reads on key task lists: roll-ups by milestone, project and PM team (computed with one
aggregate query each, fixed query counts)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, F, Q, Sum, When

from projects.models import Health, KeyTaskList, Project, Task, TaskStatus

HEALTH_ORDER = {Health.GREY: 0, Health.GREEN: 1, Health.AMBER: 2, Health.RED: 3}


def _task_aggregates(qs: models.QuerySet[Task], key: str) -> dict[Any, dict[str, Any]]:
    effective = Case(
        When(status=TaskStatus.DONE, then=F("weight") * 100),
        default=F("weight") * F("progress"),
        output_field=models.DecimalField(),
    )
    rows = (
        qs.order_by()
        .values(key)
        .annotate(
            n_total=Count("pk"),
            w_total=Sum("weight"),
            wp=Sum(effective),
            p_sum=Sum(Case(When(status=TaskStatus.DONE, then=100), default=F("progress"), output_field=models.IntegerField())),
            **{f"n_{s}": Count("pk", filter=Q(status=s)) for s in TaskStatus.values},
        )
    )
    out: dict[Any, dict[str, Any]] = {}
    for r in rows:
        w_total = r["w_total"] or Decimal(0)
        progress = (Decimal(r["wp"]) / w_total) if w_total > 0 else Decimal(r["p_sum"]) / r["n_total"]
        out[r[key]] = {
            "weighted_progress": progress.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            "total": r["n_total"],
            "counts": {s: r[f"n_{s}"] for s in TaskStatus.values},
        }
    return out


def milestone_task_rollups(*, milestone_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Weighted progress and counts per status of the tasks linked to each milestone (one query).
    Milestones without tasks are absent."""
    ids = list(milestone_ids)
    return _task_aggregates(Task.objects.filter(milestone_id__in=ids), "milestone_id")


def pm_team_rollups(*, pm_team_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """PM-team roll-up: weighted progress and counts over all tasks of the team's lists, and health
    = the worst health of its lists and of its projects (grey when it has neither). Two queries."""
    tasks = Task.objects.all()
    lists = KeyTaskList.objects.all()
    projects = Project.objects.all()
    if pm_team_ids is not None:
        ids = list(pm_team_ids)
        tasks = tasks.filter(task_list__pm_team_id__in=ids)
        lists = lists.filter(pm_team_id__in=ids)
        projects = projects.filter(pm_team_id__in=ids)
    out = _task_aggregates(tasks, "task_list__pm_team_id")
    worst: dict[int, str] = {}
    health_rows = (
        lists.order_by()
        .values_list("pm_team_id", "health")
        .distinct()
        .union(projects.order_by().values_list("pm_team_id", "health").distinct())
    )
    for team_id, health in health_rows:
        if HEALTH_ORDER[Health(health)] > HEALTH_ORDER[Health(worst.get(team_id, Health.GREY))]:
            worst[team_id] = health
    for team_id in set(worst) | set(out):
        out.setdefault(team_id, {"weighted_progress": Decimal("0.00"), "total": 0, "counts": {s: 0 for s in TaskStatus.values}})
        out[team_id]["health"] = worst.get(team_id, Health.GREY)
    return out


def project_task_rollups(*, project_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Weighted progress and counts over the tasks of each project's lists (one query)."""
    return _task_aggregates(Task.objects.filter(task_list__project_id__in=list(project_ids)), "task_list__project_id")
