"""Cross-field projects (primary + secondary fields, dashboard counts by the primary field only),
fields admins add under any direction (未来空间), programme tags, organisation stage and
qualifications with dates, and the seed's uncapped measures recordable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from projects.models import Direction, Field, Project, ProjectState, Tier
from projects.models.projects import OrganisationProfile, OrganisationQualification, ProgrammeTag
from projects.selectors.dashboard import portfolio_summary
from projects.services.funding import funding_award_add
from tests.factories import OrganisationFactory, ProjectFactory, make_admin

pytestmark = pytest.mark.django_db


def test_a_cross_field_project_is_counted_once_under_its_primary_field(reference_data):
    project = ProjectFactory(field=Field.objects.get(code="quantum"))
    project.secondary_fields.add(*Field.objects.filter(code__in=["fusion", "6g"]))
    ProjectFactory(field=Field.objects.get(code="fusion"))
    summary = portfolio_summary(make_admin(), Project.objects.all(), {})
    assert summary.total == 2
    assert set(project.secondary_fields.values_list("code", flat=True)) == {"fusion", "6g"}


def test_an_admin_adds_a_field_under_future_space_and_files_a_project_there(reference_data, client):
    client.force_login(make_admin())
    response = client.post(
        "/admin/projects/field/add/",
        {
            "code": "deep_space",
            "name_zh": "深空探测",
            "name_en": "Deep-space exploration",
            "order": 20,
            "direction": Direction.objects.get(code="space").pk,
            "tier": Tier.objects.get(code="early_layout").pk,
        },
    )
    assert response.status_code == 302
    field = Field.objects.get(code="deep_space")
    assert ProjectFactory(field=field).field.direction.name_zh == "未来空间"


def test_programme_tags_on_projects(reference_data):
    tag = ProgrammeTag.objects.create(code="frontier", name_zh="前沿颠覆性技术专项")
    project = ProjectFactory()
    project.programme_tags.add(tag)
    assert list(tag.projects.all()) == [project]


def test_organisation_stage_and_qualifications_with_dates(db):
    org = OrganisationFactory()
    OrganisationProfile.objects.create(organisation=org, stage="growth", stage_since=dt.date(2026, 3, 1))
    OrganisationQualification.objects.create(
        organisation=org, kind="specialised", granted_on=dt.date(2025, 12, 1), expires_on=dt.date(2028, 11, 30)
    )
    assert org.profile.get_stage_display() == "成长期"
    assert [q.get_kind_display() for q in org.qualifications.all()] == ["专精特新中小企业"]
    with pytest.raises(IntegrityError):
        OrganisationQualification.objects.create(
            organisation=org, kind="high_tech", granted_on=dt.date(2026, 1, 1), expires_on=dt.date(2025, 1, 1)
        )


@pytest.mark.parametrize("measure", ["ecosystem_leader", "rd_expense", "finance_subsidy"])
def test_the_seeds_uncapped_measures_are_recordable(reference_data, measure):
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status=ProjectState.ACTIVE)
    award = funding_award_add(
        actor=make_admin(),
        project_id=project.pk,
        beneficiary_id=OrganisationFactory().pk,
        measure_code=measure,
        amount="123456789.00",
    )
    assert award.measure.amount_cap is None and award.measure.ratio_cap is None
