"""Reads on consortia (联合攻关): each performing organisation's share, a tranche split by share, and
what each organisation has received of the released tranches."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from milestones.models import TrancheRelease
from projects.models import Project
from projects.models.projects import ProjectParticipant

CENT = Decimal("0.01")


def project_shares(*, project: Project) -> list[tuple[int, Decimal, bool]]:
    """(organisation id, share, is lead) of each performing organisation; the performer alone (1)
    when the project has no participants."""
    rows = [
        (org_id, share, role == ProjectParticipant.Role.LEAD)
        for org_id, share, role in project.participants.order_by("id").values_list("organisation_id", "share", "role")
    ]
    return rows or [(project.performer_id, Decimal(1), True)]


def amount_split(*, shares: list[tuple[int, Decimal, bool]], amount: Decimal) -> dict[int, Decimal]:
    """``amount`` split by share, each part rounded down to the fen, the remainder to the lead: the
    parts add up to ``amount`` exactly."""
    parts = {org: (Decimal(amount) * share).quantize(CENT, rounding=ROUND_DOWN) for org, share, _lead in shares}
    lead = next(org for org, _share, is_lead in shares if is_lead)
    parts[lead] += Decimal(amount) - sum(parts.values(), Decimal(0))
    return parts


def project_released_by_organisation(*, project_id: Any) -> dict[int, Decimal]:
    """What each performing organisation has received of the project's released tranches: every
    tranche split by the organisations' shares (``projects.services.consortium.amount_split``)."""
    project = Project.objects.get(pk=project_id)
    shares = project_shares(project=project)
    totals = {org: Decimal(0) for org, _s, _l in shares}
    for amount in TrancheRelease.objects.filter(milestone__project_id=project_id).values_list("amount", flat=True):
        for org, part in amount_split(shares=shares, amount=amount).items():
            totals[org] += part
    return totals
