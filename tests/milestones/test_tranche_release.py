"""Releasing a milestone's tranche: only once it passed, exactly once, never beyond the budget or
the active award total; who, when and how much are recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from milestones.models import Milestone, TrancheRelease
from milestones.services.tranches import tranche_release
from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict, Forbidden
from projects.models import FundingAward, SupportMeasure
from tests.milestones.conftest import later, project_in

pytestmark = pytest.mark.django_db


def _milestone(project, *, status="passed", amount="1000000.00", sequence=1):
    m = Milestone.objects.create(
        project=project,
        sequence=sequence,
        title=f"M{sequence}",
        baseline_due=later(30 * sequence),
        current_due=later(30 * sequence),
        tranche_amount=Decimal(amount),
    )
    Milestone.objects.filter(pk=m.pk).update(status=status)
    return Milestone.objects.get(pk=m.pk)


@pytest.mark.parametrize(
    "status", ["planned", "in_progress", "submitted", "in_review", "passed_with_conditions", "on_hold", "failed"]
)
def test_a_milestone_that_has_not_passed_is_not_releasable(cast, status):
    m = _milestone(project_in(cast, "active"), status=status)
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=m.pk)
    assert not TrancheRelease.objects.exists()


def test_a_release_records_who_when_and_how_much_and_happens_once(cast):
    m = _milestone(project_in(cast, "active"), amount="1234567.89")
    release = tranche_release(actor=cast.admin, milestone_id=m.pk)
    assert release.amount == Decimal("1234567.89")
    assert release.released_by == cast.admin
    assert release.released_at is not None
    assert audit_trail_for(m).filter(action="tranche_release").count() == 1
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=m.pk)
    assert TrancheRelease.objects.filter(milestone=m).count() == 1


def test_releases_never_exceed_the_budget(cast):
    project = project_in(cast, "active", budget=Decimal("1500000.00"))
    first = _milestone(project, amount="1000000.00", sequence=1)
    second = _milestone(project, amount="1000000.00", sequence=2)
    tranche_release(actor=cast.admin, milestone_id=first.pk)
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=second.pk)


def test_releases_never_exceed_the_active_awards(cast):
    project = project_in(cast, "active")
    FundingAward.objects.create(
        project=project, beneficiary=cast.performer, measure=SupportMeasure.objects.first(), amount=Decimal("1500000.00")
    )
    first = _milestone(project, amount="1000000.00", sequence=1)
    second = _milestone(project, amount="1000000.00", sequence=2)
    tranche_release(actor=cast.admin, milestone_id=first.pk)
    with pytest.raises(Conflict):
        tranche_release(actor=cast.admin, milestone_id=second.pk)


def test_only_an_admin_or_the_milestone_gate_chair_releases(cast):
    m = _milestone(project_in(cast, "active"))
    for user in (cast.pm_lead, cast.project_lead, cast.reviewers[0], cast.chair):
        with pytest.raises(Forbidden):
            tranche_release(actor=user, milestone_id=m.pk)
    assert not TrancheRelease.objects.exists()
