"""Funding caps of all ten support measures, checked at the cap, one fen under and one fen over;
ratio caps (首台套 ≤ 30 % of the contract and ≤ 20,000,000; 境外展会 ≤ 50 % of the cost) need the
base amount; a refusal names the cap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pmflow.errors import Forbidden, InvalidInput
from projects.models import FundingAward, Project, ProjectState
from projects.services.funding import funding_award_add
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, make_admin

pytestmark = pytest.mark.django_db
FEN = Decimal("0.01")

AMOUNT_CAPS = {
    "incubator": ("孵化器建设运行", Decimal("20000000"), "20,000,000"),
    "service_platform": ("概念验证/中试/共性技术平台", Decimal("30000000"), "30,000,000"),
    "basic_research": ("基础研究一次性补助", Decimal("10000000"), "10,000,000"),
    "growth_reward": ("小升规/规转强一次性奖励", Decimal("500000"), "500,000"),
    "cluster_builder": ("未来产业集聚区建设主体", Decimal("20000000"), "20,000,000"),
    "demo_scenario": ("示范应用场景", Decimal("8000000"), "8,000,000"),
    "core_rd_talent": ("核心研发人员", Decimal("500000"), "500,000"),
    "standards_ip": ("国际标准/知识产权", Decimal("2000000"), "2,000,000"),
}


@pytest.fixture
def setting(reference_data):
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    return project, make_admin()


def add(setting, measure, amount, base=None, beneficiary=None):
    project, admin = setting
    return funding_award_add(
        actor=admin,
        project_id=project.pk,
        beneficiary_id=(beneficiary or OrganisationFactory()).pk,
        measure_code=measure,
        amount=amount,
        base_amount=base,
    )


@pytest.mark.parametrize("measure", list(AMOUNT_CAPS))
@pytest.mark.parametrize("offset", [Decimal("0"), -FEN])
def test_an_amount_at_or_just_under_the_cap_is_accepted(setting, measure, offset):
    cap = AMOUNT_CAPS[measure][1]
    award = add(setting, measure, cap + offset)
    assert award.amount == cap + offset and award.status == FundingAward.AwardState.ACTIVE


@pytest.mark.parametrize("measure", list(AMOUNT_CAPS))
def test_an_amount_just_over_the_cap_is_refused_naming_the_cap(setting, measure):
    name, cap, words = AMOUNT_CAPS[measure]
    with pytest.raises(InvalidInput) as exc:
        add(setting, measure, cap + FEN)
    message = exc.value.fields["amount"][0]
    assert f"{name}：最高{words}元" in message
    assert not FundingAward.objects.exists()


# 首台套/首批次/首版次: 30 % of the contract, and at most 20,000,000.
@pytest.mark.parametrize(
    ("contract", "amount", "ok"),
    [
        (Decimal("50000000"), Decimal("15000000"), True),  # at 30 %
        (Decimal("50000000"), Decimal("14999999.99"), True),
        (Decimal("50000000"), Decimal("15000000.01"), False),  # just over 30 %
        (Decimal("100000000"), Decimal("20000000"), True),  # 30 % would be 30,000,000: the 20,000,000 cap rules
        (Decimal("100000000"), Decimal("19999999.99"), True),
        (Decimal("100000000"), Decimal("20000000.01"), False),
        (Decimal("33.33"), Decimal("9.99"), True),  # 30 % of 33.33 is 9.999, rounded down to 9.99
        (Decimal("33.33"), Decimal("10.00"), False),
    ],
)
def test_first_of_kind_ratio_and_amount_caps(setting, contract, amount, ok):
    if ok:
        assert add(setting, "first_of_kind", amount, base=contract).base_amount == contract
        return
    with pytest.raises(InvalidInput) as exc:
        add(setting, "first_of_kind", amount, base=contract)
    message = exc.value.fields["amount"][0]
    assert "首台套/首批次/首版次：不超过合同金额的30%" in message
    assert "且最高20,000,000元" in message


def test_first_of_kind_message_states_the_ratio_cap_in_yuan(setting):
    with pytest.raises(InvalidInput) as exc:
        add(setting, "first_of_kind", Decimal("15000000.01"), base=Decimal("50000000"))
    assert "首台套/首批次/首版次：不超过合同金额的30%（15,000,000元）且最高20,000,000元" in exc.value.fields["amount"][0]


# 境外展会/活动: at most 50 % of the related cost, no amount cap.
@pytest.mark.parametrize(
    ("cost", "amount", "ok"),
    [
        (Decimal("1000000"), Decimal("500000"), True),
        (Decimal("1000000"), Decimal("499999.99"), True),
        (Decimal("1000000"), Decimal("500000.01"), False),
        (Decimal("300000000"), Decimal("150000000"), True),  # no amount cap
    ],
)
def test_overseas_exhibition_ratio_cap(setting, cost, amount, ok):
    if ok:
        add(setting, "overseas_exhibition", amount, base=cost)
        return
    with pytest.raises(InvalidInput) as exc:
        add(setting, "overseas_exhibition", amount, base=cost)
    assert "境外展会/活动：不超过相关费用的50%（500,000元）" in exc.value.fields["amount"][0]


@pytest.mark.parametrize("measure", ["first_of_kind", "overseas_exhibition"])
@pytest.mark.parametrize("base", [None, "", "0", "abc"])
def test_a_ratio_measure_needs_its_base_amount(setting, measure, base):
    with pytest.raises(InvalidInput) as exc:
        add(setting, measure, Decimal("1000"), base=base)
    assert "base_amount" in exc.value.fields
    assert not FundingAward.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"measure_code": "moon_base"}, "measure_code"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": None}, "amount"),
        ({"beneficiary_id": 987654321}, "beneficiary_id"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(setting, kwargs, field):
    project, admin = setting
    args = {
        "actor": admin,
        "project_id": project.pk,
        "beneficiary_id": OrganisationFactory().pk,
        "measure_code": "incubator",
        "amount": "1000",
        **kwargs,
    }
    with pytest.raises(InvalidInput) as exc:
        funding_award_add(**args)
    assert field in exc.value.fields
    assert not FundingAward.objects.exists()


def test_only_a_programme_admin_records_awards(setting):
    project, _admin = setting
    with pytest.raises(Forbidden):
        funding_award_add(
            actor=project.pm_team.lead,
            project_id=project.pk,
            beneficiary_id=OrganisationFactory().pk,
            measure_code="incubator",
            amount="1000",
        )
    with pytest.raises(Forbidden):
        funding_award_add(
            actor=UserFactory(),
            project_id=project.pk,
            beneficiary_id=OrganisationFactory().pk,
            measure_code="incubator",
            amount="1",
        )


def test_a_terminated_project_gets_no_awards(setting):
    project, admin = setting
    Project.objects.filter(pk=project.pk).update(status=ProjectState.TERMINATED)
    with pytest.raises(InvalidInput) as exc:
        add(setting, "incubator", Decimal("1000"))
    assert "project_id" in exc.value.fields
