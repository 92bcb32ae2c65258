"""Funding tranches: a passed gate makes its milestone's tranche releasable; a programme admin (or
the chair of that milestone's gate) releases it explicitly. A release records who, when and how much.

Release is explicit rather than automatic on "go" because money leaves the programme: the release is
its own audited act by the person accountable for it, and it can be checked against the award at
that moment. Exactly once per milestone (``TrancheRelease`` is one-to-one with the milestone, and
the milestone row is locked); the project's releases never exceed its budget, nor its funding
ceiling (``projects.selectors.funding.funding_ceiling``) once it has had an award (the project row is
locked while checking). Locks are taken project first, then the milestone (the lock order of ``milestones.services.gates``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from milestones.models import Milestone, MilestoneState, TrancheRelease
from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from projects.models import Project
from projects.selectors.funding import funding_ceiling


def tranche_release(*, actor: Any, milestone_id: Any) -> TrancheRelease:
    """Release a passed milestone's tranche, once. Raises Forbidden, NotFound, Conflict (not passed,
    already released, would exceed the budget or the award) or InvalidInput (nothing to release)."""
    with transaction.atomic():
        # Lock order (milestones.services.gates): the project, then the milestone. The milestone is
        # first read unlocked only to learn its project, which never changes.
        try:
            project_id = Milestone.objects.values_list("project_id", flat=True).get(pk=milestone_id)
        except (Milestone.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        project = Project.objects.select_for_update().get(pk=project_id)
        milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
        if not actor.has_perm("milestones.release_tranche", milestone):
            raise Forbidden(_("只有管理员或该里程碑关口评审的主任可以拨付资金。"))
        if milestone.status != MilestoneState.PASSED:
            raise Conflict(
                _("里程碑“%(m)s”尚未通过关口评审，资金不可拨付。") % {"m": milestone}, extra={"state": milestone.status}
            )
        if TrancheRelease.objects.filter(milestone=milestone).exists():
            raise Conflict(_("里程碑“%(m)s”的资金已拨付，不能重复拨付。") % {"m": milestone})
        amount = milestone.tranche_amount
        if amount <= 0:
            raise InvalidInput(fields={"tranche_amount": [_("该里程碑没有待拨付的资金。")]})
        released = TrancheRelease.objects.filter(milestone__project=project).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if released + amount > project.budget:
            raise Conflict(
                _("拨付后累计 %(total)s 元将超过项目预算 %(budget)s 元。")
                % {"total": released + amount, "budget": project.budget}
            )
        # The ceiling comes from the awards that fund the project whatever became of them later
        # (a superseded award keeps only what was paid before): superseding never lifts it.
        awarded = funding_ceiling(project_id=project.pk)
        if awarded is not None and released + amount > awarded:
            raise Conflict(
                _("拨付后累计 %(total)s 元将超过有效资金支持总额 %(award)s 元。") % {"total": released + amount, "award": awarded}
            )
        try:
            with transaction.atomic():
                release = TrancheRelease.objects.create(milestone=milestone, amount=amount, released_by=actor)
        except IntegrityError as exc:  # pragma: no cover - the row lock above makes this unreachable
            raise Conflict(_("里程碑“%(m)s”的资金已拨付，不能重复拨付。") % {"m": milestone}) from exc
        audit_record(
            obj=milestone,
            actor=actor,
            action="tranche_release",
            from_state=milestone.status,
            to_state=milestone.status,
            data={"amount": str(amount), "released_before": str(released), "budget": str(project.budget), "release": release.pk},
        )
    return release


def tranche_released_total(*, project: Project) -> Decimal:
    return TrancheRelease.objects.filter(milestone__project=project).aggregate(s=Sum("amount"))["s"] or Decimal(0)
