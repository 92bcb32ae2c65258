"""Support under other municipal policies is recorded (policy, measure, amount, date, item) and
从优、就高、不重复 takes it into account: a higher one refuses or supersedes ours, a lower one lets ours
stand; the admin award page shows the comparison."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pmflow.audit import audit_trail_for
from pmflow.errors import Forbidden, InvalidInput
from projects.models import FundingAward, Project, ProjectState
from projects.models.funding import OtherPolicySupport
from projects.services.funding import funding_award_add, other_support_add
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, make_admin

pytestmark = pytest.mark.django_db
ACTIVE, SUPERSEDED = FundingAward.AwardState.ACTIVE, FundingAward.AwardState.SUPERSEDED
POLICY = "上海市首台（套）重大技术装备专项支持政策"


@pytest.fixture
def setting(reference_data):
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    return project, make_admin(), OrganisationFactory(name="乙装备")


def other(setting, amount, ref="HT-7", kind="contract", **kwargs):
    _p, admin, org = setting
    return other_support_add(
        actor=admin,
        beneficiary_id=org.pk,
        policy_name=POLICY,
        measure_name="首台套保险补偿",
        amount=amount,
        decision_date="2026-03-01",
        item_kind=kind,
        item_ref=ref,
        **kwargs,
    )


def ours(setting, amount, ref="HT-7"):
    project, admin, org = setting
    return funding_award_add(
        actor=admin,
        project_id=project.pk,
        beneficiary_id=org.pk,
        measure_code="first_of_kind",
        amount=amount,
        base_amount="50000000",
        item_ref=ref,
    )


def test_higher_support_under_another_policy_refuses_ours_naming_it(setting):
    other(setting, "8000000")
    with pytest.raises(InvalidInput) as exc:
        ours(setting, "8000000")
    message = exc.value.fields["amount"][0]
    assert "从优、就高、不重复" in message and POLICY in message and "8,000,000" in message
    assert not FundingAward.objects.exists()


def test_lower_support_under_another_policy_lets_ours_stand_and_is_recorded_as_compared(setting):
    support = other(setting, "2000000")
    award = ours(setting, "6000000")
    assert award.status == ACTIVE
    assert audit_trail_for(award).first().data["other_support_compared"] == [[support.pk, POLICY, "2000000.00"]]


def test_support_for_another_item_is_not_compared(setting):
    other(setting, "9000000", ref="HT-OTHER")
    assert ours(setting, "6000000").status == ACTIVE


def test_higher_support_recorded_later_supersedes_ours(setting):
    award = ours(setting, "6000000")
    support = other(setting, "7000000")
    award.refresh_from_db()
    assert (award.status, award.superseded_by_other_id, award.retained_amount) == (SUPERSEDED, support.pk, Decimal("0"))
    entry = audit_trail_for(award).first()
    assert entry.action == "supersede" and POLICY in entry.reason


def test_lower_support_recorded_later_leaves_ours_active(setting):
    award = ours(setting, "6000000")
    other(setting, "1000000")
    award.refresh_from_db()
    assert award.status == ACTIVE


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("amount", {"amount": "-1"}),
        ("decision_date", {"decision_date": "someday"}),
        ("item_kind", {"kind": "spaceship"}),
        ("item_kind", {"kind": ""}),
    ],
)
def test_bad_other_support_names_the_field_and_saves_nothing(setting, field, kwargs):
    amount = kwargs.pop("amount", "1000")
    _p, admin, org = setting
    with pytest.raises(InvalidInput) as exc:
        other_support_add(
            actor=admin,
            beneficiary_id=org.pk,
            policy_name=POLICY,
            measure_name="x",
            amount=amount,
            decision_date=kwargs.get("decision_date", "2026-01-01"),
            item_kind=kwargs.get("kind", "contract"),
            item_ref="A",
        )
    assert field in exc.value.fields
    assert not OtherPolicySupport.objects.exists()


def test_only_programme_admins_record_other_support(setting):
    _p, _admin, org = setting
    with pytest.raises(Forbidden):
        other_support_add(
            actor=UserFactory(),
            beneficiary_id=org.pk,
            policy_name=POLICY,
            measure_name="x",
            amount="1",
            decision_date="2026-01-01",
            item_kind="contract",
        )


def test_the_admin_award_page_shows_the_comparison(setting, client):
    other(setting, "2000000")
    award = ours(setting, "6000000")
    client.force_login(setting[1])
    page = client.get(f"/admin/projects/fundingaward/{award.pk}/change/").content.decode()
    assert "从优、就高、不重复" in page
    assert POLICY in page and "2,000,000.00" in page and "6,000,000.00" in page


def test_other_support_is_added_in_admin_through_the_service(setting, client):
    award = ours(setting, "6000000")
    client.force_login(setting[1])
    response = client.post(
        "/admin/projects/otherpolicysupport/add/",
        {
            "beneficiary": setting[2].pk,
            "policy_name": POLICY,
            "measure_name": "首台套保险补偿",
            "item_kind": "contract",
            "item_ref": "HT-7",
            "amount": "7000000",
            "decision_date": "2026-05-01",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    award.refresh_from_db()
    assert award.status == SUPERSEDED and award.superseded_by_other is not None
