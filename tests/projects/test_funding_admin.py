"""The admin add form for funding awards goes through the funding service: caps and 从优、就高、不重复
show up as field errors, and saving supersedes the lower award instead of sitting beside it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin import AdminSite, ModelAdmin
from django.test import RequestFactory

from projects.admin_funding import FundingAwardServiceAdminMixin
from projects.models import FundingAward, Project, ProjectState, SupportMeasure
from tests.factories import OrganisationFactory, ProjectFactory, make_admin

pytestmark = pytest.mark.django_db


class _Admin(FundingAwardServiceAdminMixin, ModelAdmin):
    pass


@pytest.fixture
def setting(reference_data):
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    request = RequestFactory().post("/")
    request.user = make_admin()
    return _Admin(FundingAward, AdminSite()), request, project, OrganisationFactory()


def _form(setting, **data):
    model_admin, request, project, org = setting
    form_class = model_admin.get_form(request)
    base = {
        "project": project.pk,
        "beneficiary": org.pk,
        "measure": SupportMeasure.objects.get(code="first_of_kind").pk,
        "amount": "1000",
        "base_amount": "",
        "note": "",
    }
    return form_class(data={**base, **data})


def test_the_cap_is_a_field_error_on_amount(setting):
    form = _form(setting, amount="15000000.01", base_amount="50000000")
    assert not form.is_valid()
    assert "不超过合同金额的30%（15,000,000元）且最高20,000,000元" in form.errors["amount"][0]


def test_a_missing_base_amount_is_a_field_error(setting):
    form = _form(setting, amount="1000")
    assert not form.is_valid()
    assert "base_amount" in form.errors


def test_saving_goes_through_the_service_and_supersedes(setting):
    model_admin, request, _project, _org = setting
    first = _form(setting, amount="1000000", base_amount="50000000")
    assert first.is_valid(), first.errors
    low = first.save(commit=False)
    model_admin.save_model(request, low, first, change=False)
    second = _form(setting, amount="2000000", base_amount="50000000")
    assert second.is_valid(), second.errors
    high = second.save(commit=False)
    model_admin.save_model(request, high, second, change=False)
    assert FundingAward.objects.get(pk=low.pk).superseded_by_id == high.pk
    assert FundingAward.objects.get(pk=high.pk).created_by_id == request.user.pk
    lower = _form(setting, amount="1500000", base_amount="50000000")
    assert not lower.is_valid()
    assert "从优、就高、不重复" in lower.errors["amount"][0]
    assert FundingAward.objects.filter(status="active").get().amount == Decimal("2000000.00")
