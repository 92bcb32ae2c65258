"""Reads about milestones: a project's timeline (baseline vs current, gate, release) and its funding
position (committed, releasable, released). Fixed query counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from milestones.models import GateReview, Milestone, MilestoneState, TrancheRelease
from pmflow.workdays import workdays_between
from projects.models import Project


def milestones_releasable(*, project: Project | None = None) -> QuerySet[Milestone]:
    """Passed milestones whose tranche has not been released yet."""
    qs = Milestone.objects.filter(status=MilestoneState.PASSED, release__isnull=True, tranche_amount__gt=0)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.select_related("project").order_by("project_id", "sequence")


def milestone_timeline(*, project: Project) -> list[dict[str, Any]]:
    """One row per milestone, in order: dates (baseline, current, slip in working days), state,
    tranche and its release, the latest gate review with its decision. Two queries."""
    gates = GateReview.objects.select_related("decision").order_by("-id")
    milestones = (
        Milestone.objects.filter(project=project)
        .select_related("release")
        .prefetch_related(Prefetch("gate_reviews", queryset=gates))
        .order_by("sequence")
    )
    rows = []
    for m in milestones:
        try:
            release = m.release
        except TrancheRelease.DoesNotExist:
            release = None
        gate = next(iter(m.gate_reviews.all()), None)
        decision = getattr(gate, "decision", None) if gate is not None else None
        rows.append(
            {
                "milestone": m,
                "baseline_due": m.baseline_due,
                "current_due": m.current_due,
                "slip_workdays": workdays_between(m.baseline_due, m.current_due),
                "status": m.status,
                "tranche_amount": m.tranche_amount,
                "release": release,
                "releasable": m.status == MilestoneState.PASSED and release is None and m.tranche_amount > 0,
                "gate": gate,
                "decision": decision,
            }
        )
    return rows


def project_funding_summary(*, project: Project) -> dict[str, Decimal]:
    """Committed (sum of tranches), releasable (passed, not yet released) and released, in one query."""
    totals = Milestone.objects.filter(project=project).aggregate(
        committed=Sum("tranche_amount"),
        releasable=Sum("tranche_amount", filter=Q(status=MilestoneState.PASSED, release__isnull=True)),
        released=Sum("release__amount"),
    )
    return {k: v or Decimal(0) for k, v in totals.items()} | {"budget": project.budget}
