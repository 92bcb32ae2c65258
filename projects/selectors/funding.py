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
    became of them later: an active award counts with what it adds for its item (its amount less
    ``prior_paid``, what awards it superseded had paid), a superseded one with what had been paid
    under it (``retained_amount``). None only when the project never had an award
    (then the budget alone bounds its tranches) — superseding its last award never lifts the ceiling."""
    rows = list(
        FundingAward.objects.filter(project_id=project_id).values_list("status", "amount", "retained_amount", "prior_paid")
    )
    if not rows:
        return None
    return sum(
        (
            max(Decimal(0), amount - prior) if status == FundingAward.AwardState.ACTIVE else (retained or Decimal(0))
            for status, amount, retained, prior in rows
        ),
        Decimal(0),
    )


def funding_item_comparison(*, award: FundingAward) -> list[dict[str, Any]]:
    """What 从优、就高、不重复 compares for ``award``'s item: our awards and other-policy support for the
    same beneficiary and item (for an unnamed item: our unnamed awards in the measure's overlap
    group), highest first; ``applies`` marks the one that is paid (the highest active one)."""
    from projects.models.funding import ItemKind, OtherPolicySupport

    kind = award.item_kind or award.measure.item_kind or ItemKind.ORGANISATION
    ours = FundingAward.objects.filter(beneficiary_id=award.beneficiary_id, item_ref=award.item_ref).select_related(
        "measure", "project"
    )
    if not award.item_ref:
        ours = ours.filter(measure__overlap_group=award.measure.overlap_group)
    rows: list[dict[str, Any]] = [
        {
            "source": f"{a.measure.clause} · {a.project.code}",
            "measure": a.measure.name_zh,
            "date": a.decision_date,
            "amount": a.amount,
            "status": a.get_status_display(),
            "active": a.status == FundingAward.AwardState.ACTIVE,
            "pk": a.pk,
        }
        for a in ours
        if not award.item_ref or (a.item_kind or a.measure.item_kind or ItemKind.ORGANISATION) == kind
    ]
    for o in OtherPolicySupport.objects.filter(beneficiary_id=award.beneficiary_id, item_kind=kind, item_ref=award.item_ref):
        rows.append(
            {
                "source": o.policy_name,
                "measure": o.measure_name,
                "date": o.decision_date,
                "amount": o.amount,
                "status": "",
                "active": True,
                "pk": None,
            }
        )
    rows.sort(key=lambda r: (-r["amount"], r["date"]))
    best = next((r for r in rows if r["active"]), None)
    for r in rows:
        r["applies"] = r is best
    return rows
