"""A tranche's ceiling comes from the awards that fund the project, whatever became of them later:
superseding a project's award (by a higher award elsewhere, or by other-policy support) never lifts
its ceiling; a superseded award keeps what had already been paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from milestones.models import Milestone, TrancheRelease
from milestones.services.tranches import tranche_release
from pmflow.errors import Conflict
from projects.models import FundingAward
from projects.selectors.funding import funding_ceiling
from projects.services.funding import funding_award_add, other_support_add
from tests.milestones.conftest import later, project_in

pytestmark = pytest.mark.django_db


def _passed(project, amount, sequence):
    m = Milestone.objects.create(
        project=project,
        sequence=sequence,
        title=f"M{sequence}",
        baseline_due=later(30 * sequence),
        current_due=later(30 * sequence),
        tranche_amount=Decimal(amount),
    )
    Milestone.objects.filter(pk=m.pk).update(status="passed")
    return m


def _award(cast, project, amount):
    return funding_award_add(
        actor=cast.admin, project_id=project.pk, beneficiary_id=cast.performer.pk, measure_code="incubator", amount=amount
    )


def test_superseding_c_s_only_award_keeps_c_s_ceiling(cast):
    c = project_in(cast, "active", budget=Decimal("10000000"))
    award = _award(cast, c, "1000000")
    big = _passed(c, "3000000", 1)
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=big.pk)
    # a higher award for the same beneficiary on another project supersedes C's
    _award(cast, project_in(cast, "active"), "3000000")
    award.refresh_from_db()
    assert award.status == FundingAward.AwardState.SUPERSEDED
    with pytest.raises(Conflict):  # was released before the fix: no active award → check skipped
        tranche_release(actor=cast.admin, milestone_id=big.pk)
    small = _passed(c, "500000", 2)
    with pytest.raises(Conflict):  # nothing had been paid under it: it keeps nothing
        tranche_release(actor=cast.admin, milestone_id=small.pk)
    assert not TrancheRelease.objects.filter(milestone__project=c).exists()
    assert funding_ceiling(project_id=c.pk) == Decimal("0")


def test_a_superseded_award_keeps_what_was_already_paid(cast):
    c = project_in(cast, "active", budget=Decimal("10000000"))
    award = _award(cast, c, "1000000")
    tranche_release(actor=cast.admin, milestone_id=_passed(c, "400000", 1).pk)
    other_support_add(
        actor=cast.admin,
        beneficiary_id=cast.performer.pk,
        policy_name="其他市级政策",
        measure_name="载体建设",
        amount="5000000",
        decision_date="2026-06-01",
        item_kind="platform",
    )
    award.refresh_from_db()
    assert (award.status, award.retained_amount) == (FundingAward.AwardState.SUPERSEDED, Decimal("400000.00"))
    assert funding_ceiling(project_id=c.pk) == Decimal("400000.00")
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=_passed(c, "100000", 2).pk)


def test_a_higher_award_on_the_same_project_carries_the_ceiling(cast):
    c = project_in(cast, "active", budget=Decimal("10000000"))
    _award(cast, c, "1000000")
    _award(cast, c, "3000000")  # supersedes the first on the same project
    assert funding_ceiling(project_id=c.pk) == Decimal("3000000.00")
    assert tranche_release(actor=cast.admin, milestone_id=_passed(c, "3000000", 1).pk).amount == Decimal("3000000")


def test_a_project_that_never_had_an_award_is_bounded_by_its_budget(cast):
    c = project_in(cast, "active", budget=Decimal("2000000"))
    assert funding_ceiling(project_id=c.pk) is None
    tranche_release(actor=cast.admin, milestone_id=_passed(c, "2000000", 1).pk)


def test_a_higher_award_elsewhere_only_tops_up_what_was_paid_for_the_item(cast):
    # 核心研发人员 ≤ 50万 per person: 30万 paid on P, then 50万 for the same person on Q supersedes it.
    p = project_in(cast, "active", budget=Decimal("10000000"))
    q = project_in(cast, "active", budget=Decimal("10000000"))

    def talent(project, amount):
        return funding_award_add(
            actor=cast.admin,
            project_id=project.pk,
            beneficiary_id=cast.performer.pk,
            measure_code="core_rd_talent",
            amount=amount,
            item_ref="研发人员-张三",
        )

    talent(p, "300000")
    tranche_release(actor=cast.admin, milestone_id=_passed(p, "300000", 1).pk)
    new = talent(q, "500000")
    assert new.prior_paid == Decimal("300000.00")
    assert (funding_ceiling(project_id=p.pk), funding_ceiling(project_id=q.pk)) == (Decimal("300000.00"), Decimal("200000.00"))
    with pytest.raises(Conflict):  # 50万 more would pay the person 80万
        tranche_release(actor=cast.admin, milestone_id=_passed(q, "300000", 1).pk)
    tranche_release(actor=cast.admin, milestone_id=_passed(q, "200000", 2).pk)
