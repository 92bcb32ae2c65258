"""Funding edges a mutation run showed nobody checked: a malformed beneficiary id is refused naming
the field (never a crash, never "rounded" to another organisation), the award's audit row keeps the
base amount it was capped against, and amounts between 0 and 1 yuan are money too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pmflow.errors import InvalidInput
from pmflow.models import AuditEntry
from projects.models import FundingAward, Project, ProjectState
from projects.services.funding import funding_award_add, funding_award_check
from tests.factories import OrganisationFactory, ProjectFactory, make_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(reference_data):
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    return project, make_admin()


def add(setting, *, beneficiary_id, measure="demo_scenario", amount="1000", base=None):
    project, admin = setting
    return funding_award_add(
        actor=admin,
        project_id=project.pk,
        beneficiary_id=beneficiary_id,
        measure_code=measure,
        amount=amount,
        base_amount=base,
    )


MALFORMED = {
    "letters": lambda pk: "abc",
    "full-width digits": lambda pk: "".join(chr(ord(c) - ord("0") + ord("０")) for c in str(pk)),
    "decimal string": lambda pk: f"{pk}.5",
    "float": lambda pk: pk + 0.5,  # int() would truncate it to an existing organisation
    "bool": lambda pk: True,
    "list": lambda pk: [pk],
    "dict": lambda pk: {"id": pk},
    "negative": lambda pk: -pk,
    "zero": lambda pk: 0,
    "huge": lambda pk: 2**70,
    "blank": lambda pk: "",
    "none": lambda pk: None,
    "padded": lambda pk: f" {pk} ",
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_beneficiary_id_is_refused_naming_it(setting, kind):
    org = OrganisationFactory()
    bad = MALFORMED[kind](org.pk)
    project, admin = setting
    for service in (funding_award_add, funding_award_check):
        with pytest.raises(InvalidInput) as caught:
            service(actor=admin, project_id=project.pk, beneficiary_id=bad, measure_code="demo_scenario", amount="1000")
        assert "beneficiary_id" in caught.value.fields, (bad, caught.value.fields)
    assert not FundingAward.objects.exists()
    assert add(setting, beneficiary_id=org.pk).beneficiary_id == org.pk  # the well-formed id works


def test_the_award_audit_row_keeps_the_base_amount(setting):
    contract = Decimal("50000000.00")
    award = add(setting, beneficiary_id=OrganisationFactory().pk, measure="first_of_kind", amount="15000000", base=contract)
    row = AuditEntry.objects.get(object_id=str(award.pk), action="create")
    assert row.data["base_amount"] == "50000000.00" and Decimal(row.data["base_amount"]) == award.base_amount
    assert Decimal(row.data["amount"]) == award.amount == Decimal("15000000")
    plain = add(setting, beneficiary_id=OrganisationFactory().pk)
    assert AuditEntry.objects.get(object_id=str(plain.pk), action="create").data["base_amount"] is None


@pytest.mark.parametrize("amount", ["0.01", "0.5", "0.99"])
def test_an_amount_between_0_and_1_yuan_is_recorded_exactly(setting, amount):
    award = add(setting, beneficiary_id=OrganisationFactory().pk, amount=amount)
    award.refresh_from_db()
    assert award.amount == Decimal(amount)
    row = AuditEntry.objects.get(object_id=str(award.pk), action="create")
    assert row.data["amount"] == amount


@pytest.mark.parametrize("amount", ["0", "0.00", "0.001", "-0.01", "0.009"])
def test_zero_negative_and_sub_fen_amounts_are_refused(setting, amount):
    with pytest.raises(InvalidInput) as caught:
        add(setting, beneficiary_id=OrganisationFactory().pk, amount=amount)
    assert set(caught.value.fields) == {"amount"}
    assert not FundingAward.objects.exists()
