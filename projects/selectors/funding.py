"""Reads on funding awards: per project, per beneficiary, and committed vs released per project."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from milestones.models import TrancheRelease
from projects.models import FundingAward, Project


def funding_awards_for_project(*, project_id: Any, active_only: bool = False) -> QuerySet[FundingAward]:
    qs = FundingAward.objects.filter(project_id=project_id).select_related("measure", "beneficiary", "superseded_by")
    return qs.filter(status=FundingAward.AwardState.ACTIVE) if active_only else qs


def funding_awards_for_beneficiary(*, beneficiary_id: Any) -> QuerySet[FundingAward]:
    return FundingAward.objects.filter(beneficiary_id=beneficiary_id).select_related("measure", "project", "superseded_by")


def funding_active_award(*, beneficiary_id: Any, overlap_group: str) -> FundingAward | None:
    """The one active award of a beneficiary in an overlap group (从优、就高、不重复), if any."""
    return (
        FundingAward.objects.filter(
            beneficiary_id=beneficiary_id, measure__overlap_group=overlap_group, status=FundingAward.AwardState.ACTIVE
        )
        .select_related("measure", "project")
        .first()
    )


def projects_with_funding_totals(qs: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """Annotate projects with ``awarded`` (active awards), ``tranche_total`` (planned tranches) and
    ``released`` (tranche releases) — one query, subquery aggregates."""
    money = DecimalField(max_digits=16, decimal_places=2)
    zero = Value(Decimal("0"), output_field=money)

    def total(model_qs: QuerySet, field: str) -> Coalesce:
        sub = model_qs.order_by().values("grp").annotate(s=Sum(field)).values("s")
        return Coalesce(Subquery(sub, output_field=money), zero)

    from milestones.models import Milestone

    awarded = FundingAward.objects.filter(project=OuterRef("pk"), status=FundingAward.AwardState.ACTIVE).annotate(grp=Value(1))
    tranches = Milestone.objects.filter(project=OuterRef("pk")).annotate(grp=Value(1))
    released = TrancheRelease.objects.filter(milestone__project=OuterRef("pk")).annotate(grp=Value(1))
    return (qs if qs is not None else Project.objects.all()).annotate(
        awarded=total(awarded, "amount"),
        tranche_total=total(tranches, "tranche_amount"),
        released=total(released, "amount"),
    )


def project_released_total(*, project_id: Any) -> Decimal:
    """What the project's tranches have released so far."""
    return TrancheRelease.objects.filter(milestone__project_id=project_id).aggregate(s=Sum("amount"))["s"] or Decimal(0)


def funding_ceiling(*, project_id: Any) -> Decimal | None:
    """The most the project's tranches may release in total, from the awards that fund it, whatever
    became of them later: an active award counts in full, a superseded one with what had been paid
    when it was superseded (``retained_amount``). None only when the project never had an award
    (then the budget alone bounds its tranches) — superseding its last award never lifts the ceiling."""
    rows = list(FundingAward.objects.filter(project_id=project_id).values_list("status", "amount", "retained_amount"))
    if not rows:
        return None
    return sum(
        (amount if status == FundingAward.AwardState.ACTIVE else (retained or Decimal(0)) for status, amount, retained in rows),
        Decimal(0),
    )
