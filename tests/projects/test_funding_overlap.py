"""从优、就高、不重复: one beneficiary has at most one active award per overlap group. A higher award
supersedes the active one (recorded); a lower or equal one is refused with the reason; concurrent
awards for one beneficiary never leave two active."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from pmflow.audit import audit_trail_for
from pmflow.errors import InvalidInput
from projects.models import FundingAward, Project, ProjectState, SupportMeasure
from projects.selectors.funding import funding_active_award, projects_with_funding_totals
from projects.services.funding import funding_award_add
from tests.factories import OrganisationFactory, ProjectFactory, make_admin

ACTIVE, SUPERSEDED = FundingAward.AwardState.ACTIVE, FundingAward.AwardState.SUPERSEDED


def _active_project():
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    return project


@pytest.fixture
def setting(reference_data):
    return _active_project(), make_admin(), OrganisationFactory(name="受益单位甲")


def add(setting, amount, measure="incubator", project=None, beneficiary=None):
    p, admin, org = setting
    return funding_award_add(
        actor=admin,
        project_id=(project or p).pk,
        beneficiary_id=(beneficiary or org).pk,
        measure_code=measure,
        amount=amount,
    )


@pytest.mark.django_db
def test_a_higher_award_supersedes_the_lower_and_is_recorded(setting):
    low = add(setting, "1000000")
    high = add(setting, "2000000", project=_active_project())  # another project, same beneficiary
    low.refresh_from_db()
    assert (low.status, low.superseded_by_id) == (SUPERSEDED, high.pk)
    assert high.status == ACTIVE
    entry = audit_trail_for(low).first()
    assert (entry.action, entry.from_state, entry.to_state) == ("supersede", ACTIVE, SUPERSEDED)
    assert entry.data["superseded_by"] == high.pk
    assert audit_trail_for(high).first().data["supersedes"] == [low.pk]
    assert funding_active_award(beneficiary_id=setting[2].pk, overlap_group="incubation") == high


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["1999999.99", "2000000"])
def test_a_lower_or_equal_award_is_refused_with_the_reason(setting, amount):
    high = add(setting, "2000000")
    with pytest.raises(InvalidInput) as exc:
        add(setting, amount)
    message = exc.value.fields["amount"][0]
    assert "从优、就高、不重复" in message
    assert "2,000,000" in message and "受益单位甲" in message
    assert list(FundingAward.objects.values_list("pk", "status")) == [(high.pk, ACTIVE)]


@pytest.mark.django_db
def test_groups_and_beneficiaries_are_independent(setting):
    add(setting, "1000000")
    add(setting, "100000", measure="core_rd_talent")  # another overlap group
    add(setting, "500000", beneficiary=OrganisationFactory())  # another beneficiary
    assert FundingAward.objects.filter(status=ACTIVE).count() == 3


@pytest.mark.django_db
def test_measures_sharing_an_overlap_group_compete(setting):
    # Reference data puts each measure in its own group; an admin may group two (e.g. a district
    # measure overlapping a city one). Then the higher of the two wins, whichever measure it is.
    SupportMeasure.objects.filter(code="demo_scenario").update(overlap_group="incubation")
    first = add(setting, "3000000", measure="incubator")
    second = add(setting, "5000000", measure="demo_scenario")
    first.refresh_from_db()
    assert first.superseded_by_id == second.pk
    with pytest.raises(InvalidInput):
        add(setting, "4000000", measure="incubator")


@pytest.mark.django_db
def test_committed_and_released_totals(setting):
    project = setting[0]
    add(setting, "1000000")
    add(setting, "2000000")  # supersedes: only the active award counts
    row = projects_with_funding_totals(Project.objects.filter(pk=project.pk)).get()
    assert (row.awarded, row.released) == (Decimal("2000000.00"), Decimal("0"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_for_one_beneficiary_leave_exactly_one_active(reference_data):
    project, admin, org = _active_project(), make_admin(), OrganisationFactory()
    amounts = [Decimal(1000000 + 1000 * i) for i in range(8)]
    barrier = threading.Barrier(len(amounts))
    results: list = [None] * len(amounts)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = funding_award_add(
                actor=admin, project_id=project.pk, beneficiary_id=org.pk, measure_code="incubator", amount=amounts[i]
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(amounts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(r, FundingAward | InvalidInput) for r in results), results
    active = list(FundingAward.objects.filter(beneficiary=org, status=ACTIVE))
    assert len(active) == 1
    # whatever the order, the survivor is the highest amount anyone managed to record
    assert active[0].amount == max(a.amount for a in FundingAward.objects.filter(beneficiary=org))
    # every superseded award points at a higher one
    for award in FundingAward.objects.filter(beneficiary=org, status=SUPERSEDED).select_related("superseded_by"):
        assert award.superseded_by.amount > award.amount
