"""An award is for something: a decision date inside the policy window, the item it pays for (a
contract, a person …), caps per item, 一次性 once per beneficiary and measure, and 从优、就高、不重复
comparing the same item (not "one award per beneficiary per measure")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pmflow.errors import InvalidInput
from projects.models import FundingAward, Project, ProjectState
from projects.services.funding import funding_award_add
from tests.factories import OrganisationFactory, ProjectFactory, make_admin

pytestmark = pytest.mark.django_db
ACTIVE, SUPERSEDED = FundingAward.AwardState.ACTIVE, FundingAward.AwardState.SUPERSEDED


def _active_project():
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    return project


@pytest.fixture
def setting(reference_data):
    return _active_project(), make_admin(), OrganisationFactory(name="甲科技")


def add(setting, measure, amount, *, project=None, **kwargs):
    p, admin, org = setting
    return funding_award_add(
        actor=admin, project_id=(project or p).pk, beneficiary_id=org.pk, measure_code=measure, amount=amount, **kwargs
    )


# --- the policy window (failure 1 of the issue, reproduced) ------------------------------------------------
@pytest.mark.parametrize("clock", [dt.date(2025, 9, 1), dt.date(2031, 1, 15)])
def test_an_award_recorded_with_the_clock_outside_the_window_is_refused(setting, monkeypatch, clock):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: clock)
    with pytest.raises(InvalidInput) as exc:
        add(setting, "incubator", "1000000")
    assert "2025-09-26" in exc.value.fields["decision_date"][0] and "2030-09-25" in exc.value.fields["decision_date"][0]
    assert not FundingAward.objects.exists()


@pytest.mark.parametrize(
    ("day", "ok"),
    [("2025-09-25", False), ("2025-09-26", True), ("2030-09-25", True), ("2030-09-26", False)],
)
def test_the_decision_date_is_checked_at_both_ends_of_the_window(setting, day, ok):
    if ok:
        assert add(setting, "incubator", "1000000", decision_date=day).decision_date == dt.date.fromisoformat(day)
    else:
        with pytest.raises(InvalidInput) as exc:
            add(setting, "incubator", "1000000", decision_date=day)
        assert "decision_date" in exc.value.fields


def test_a_malformed_decision_date_names_the_field(setting):
    with pytest.raises(InvalidInput) as exc:
        add(setting, "incubator", "1000000", decision_date="2026-13-40")
    assert "decision_date" in exc.value.fields


# --- items ------------------------------------------------------------------------------------------------------
def test_two_first_of_kind_contracts_of_one_company_are_both_funded(setting):
    a = add(setting, "first_of_kind", "15000000", base_amount="50000000", item_ref="HT-2026-001")
    b = add(setting, "first_of_kind", "20000000", base_amount="90000000", item_ref="HT-2026-002")
    assert (a.item_kind, b.item_kind) == ("contract", "contract")  # the measure's item kind by default
    assert set(FundingAward.objects.values_list("status", flat=True)) == {ACTIVE}


@pytest.mark.parametrize(("amount", "base"), [("15000000.01", "50000000"), ("20000000.01", "90000000")])
def test_each_contract_is_capped_at_thirty_percent_and_twenty_million(setting, amount, base):
    with pytest.raises(InvalidInput) as exc:
        add(setting, "first_of_kind", amount, base_amount=base, item_ref="HT-2026-003")
    assert "30%" in exc.value.fields["amount"][0] and "20,000,000" in exc.value.fields["amount"][0]


def test_the_same_contract_twice_follows_the_overlap_rule(setting):
    low = add(setting, "first_of_kind", "6000000", base_amount="50000000", item_ref="HT-1")
    with pytest.raises(InvalidInput) as exc:
        add(setting, "first_of_kind", "6000000", base_amount="50000000", item_ref="HT-1", project=_active_project())
    assert "从优、就高、不重复" in exc.value.fields["amount"][0]
    high = add(setting, "first_of_kind", "9000000", base_amount="50000000", item_ref="HT-1")
    low.refresh_from_db()
    assert (low.status, low.superseded_by_id, high.status) == (SUPERSEDED, high.pk, ACTIVE)


def test_a_second_researcher_at_one_organisation_is_funded_each_capped_per_person(setting):
    add(setting, "core_rd_talent", "500000", item_ref="研发人员-张三")
    add(setting, "core_rd_talent", "500000", item_ref="研发人员-李四")
    assert FundingAward.objects.filter(status=ACTIVE, measure__code="core_rd_talent").count() == 2
    with pytest.raises(InvalidInput) as exc:
        add(setting, "core_rd_talent", "500000.01", item_ref="研发人员-王五")
    assert "500,000" in exc.value.fields["amount"][0]
    with pytest.raises(InvalidInput):  # the same person again: not paid twice
        add(setting, "core_rd_talent", "400000", item_ref="研发人员-张三")


def test_the_same_item_is_compared_across_measures(setting):
    # A product funded under 国际标准/知识产权 and then, higher, under 首台套 for the same contract id:
    # one item, so the higher supersedes whatever the measure.
    first = add(setting, "standards_ip", "1000000", item_kind="contract", item_ref="HT-9")
    second = add(setting, "first_of_kind", "3000000", base_amount="20000000", item_ref="HT-9")
    first.refresh_from_db()
    assert first.superseded_by_id == second.pk


def test_an_unknown_item_kind_names_the_field(setting):
    with pytest.raises(InvalidInput) as exc:
        add(setting, "incubator", "1000", item_kind="spaceship", item_ref="X")
    assert "item_kind" in exc.value.fields


# --- 一次性 -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("measure", ["basic_research", "growth_reward"])
def test_a_second_one_off_award_is_refused_even_higher_or_on_another_project(setting, measure):
    first = add(setting, measure, "100000")
    for kwargs in ({"project": _active_project()}, {"item_ref": "另一事项"}):
        with pytest.raises(InvalidInput) as exc:
            add(setting, measure, "200000", **kwargs)
        assert "一次性" in exc.value.fields["measure_code"][0]
    assert list(FundingAward.objects.values_list("pk", "status")) == [(first.pk, ACTIVE)]


def test_one_off_is_per_beneficiary(setting):
    add(setting, "basic_research", "100000")
    p, admin, _org = setting
    other = funding_award_add(
        actor=admin, project_id=p.pk, beneficiary_id=OrganisationFactory().pk, measure_code="basic_research", amount="100000"
    )
    assert other.status == ACTIVE and other.amount == Decimal("100000")
