"""Creating and editing draft projects: codes, audit, permission, and every kind of bad input refused
with the field named and nothing saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pmflow.audit import audit_trail_for
from pmflow.errors import Forbidden, InvalidInput
from pmflow.models import AuditEntry
from projects.models import Field, Project, ProjectState
from projects.services.projects import project_create, project_update
from tests.factories import OrganisationFactory, PMTeamFactory, UserFactory, add_member, make_admin

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def team():
    return PMTeamFactory()


@pytest.fixture
def member(team):
    return add_member(team)


@pytest.fixture
def good(team):
    return {
        "title": "量子计算原型机",
        "field": "quantum",
        "pm_team": team.pk,
        "performer": OrganisationFactory().pk,
        "lead": UserFactory().pk,
        "budget": "12000000.00",
        "support_mode": "direct_subsidy",
        "planned_start": "2026-01-05",
        "planned_end": "2028-12-29",
    }


def test_member_creates_a_draft_with_a_readable_unique_code_and_an_audit_row(member, good):
    project = project_create(actor=member, data=good)
    year = timezone.localdate().year
    assert project.code == f"FI-{year}-0001"
    assert project.status == ProjectState.DRAFT
    assert project.field == Field.objects.get(code="quantum")
    assert project.budget == Decimal("12000000.00")
    assert project.created_by == member
    assert project.milestone_template is not None and project.milestone_template.tier == project.field.tier
    [entry] = audit_trail_for(project)
    assert (entry.action, entry.to_state, entry.actor) == ("create", "draft", member)
    second = project_create(actor=member, data={**good, "title": "第二个"})
    assert second.code == f"FI-{year}-0002"


def test_outsider_cannot_create_a_project_for_a_team(good):
    with pytest.raises(Forbidden):
        project_create(actor=add_member(PMTeamFactory()), data=good)
    assert not Project.objects.exists()


def test_programme_admin_may_create_for_any_team(good):
    assert project_create(actor=make_admin(), data=good).pk


def test_end_after_policy_window_is_accepted_with_a_covering_extension(member, good):
    project = project_create(actor=member, data={**good, "planned_end": "2031-03-31", "window_extended_to": "2031-06-30"})
    assert project.window_extended_to == dt.date(2031, 6, 30)


BAD = [
    ("missing title", {"title": None}, "title"),
    ("missing field", {"field": ""}, "field"),
    ("unknown field code", {"field": "alchemy"}, "field"),
    ("unknown PM team", {"pm_team": 999999}, "pm_team"),
    ("unknown performer", {"performer": 999999}, "performer"),
    ("unknown lead", {"lead": 999999}, "lead"),
    ("budget zero", {"budget": "0"}, "budget"),
    ("budget negative", {"budget": "-5"}, "budget"),
    ("budget not a number", {"budget": "lots"}, "budget"),
    ("budget three decimals", {"budget": "1.001"}, "budget"),
    ("support mode unknown", {"support_mode": "loan"}, "support_mode"),
    ("end before start", {"planned_start": "2027-01-01", "planned_end": "2026-06-30"}, "planned_end"),
    ("end equals start", {"planned_start": "2027-01-01", "planned_end": "2027-01-01"}, "planned_end"),
    ("bad date", {"planned_start": "01/05/2026"}, "planned_start"),
    ("start before policy", {"planned_start": "2025-09-01"}, "planned_start"),
    ("end after policy window, no extension", {"planned_end": "2031-01-31"}, "planned_end"),
    ("extension too short", {"planned_end": "2031-06-30", "window_extended_to": "2031-01-31"}, "window_extended_to"),
    ("extension inside the window", {"window_extended_to": "2029-01-01"}, "window_extended_to"),
    ("unknown input key", {"colour": "blue"}, "colour"),
    ("sandbox not bool", {"sandbox_supervision": "yes"}, "sandbox_supervision"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(member, good, case, change, field):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        project_create(actor=member, data={**good, **change})
    assert field in exc.value.fields, exc.value.fields
    assert exc.value.fields[field][0]
    assert exc.value.http_status == 400
    assert not Project.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_every_missing_field_is_named_at_once(member):
    with pytest.raises(InvalidInput) as exc:
        project_create(actor=member, data={})
    assert set(exc.value.fields) >= {
        "title",
        "field",
        "pm_team",
        "performer",
        "lead",
        "budget",
        "support_mode",
        "planned_start",
        "planned_end",
    }


def test_project_outside_the_fields_the_team_covers_is_refused(member, good, team):
    team.fields.set([Field.objects.get(code="fusion")])
    with pytest.raises(InvalidInput) as exc:
        project_create(actor=member, data=good)
    assert "field" in exc.value.fields


def test_update_changes_a_draft_and_records_before_and_after(member, good):
    project = project_create(actor=member, data=good)
    updated = project_update(actor=member, project_id=project.pk, data={"budget": "9000000", "title": "新名称"})
    assert updated.budget == Decimal("9000000") and updated.title == "新名称"
    entry = audit_trail_for(project).first()
    assert entry.action == "update"
    assert entry.data["before"]["title"] == "量子计算原型机" and entry.data["after"]["title"] == "新名称"


def test_update_bad_input_names_the_field_and_saves_nothing(member, good):
    project = project_create(actor=member, data=good)
    with pytest.raises(InvalidInput) as exc:
        project_update(actor=member, project_id=project.pk, data={"title": "改了", "planned_end": "2025-12-31"})
    assert "planned_end" in exc.value.fields
    assert Project.objects.get(pk=project.pk).title == "量子计算原型机"


def test_update_is_refused_after_submission_and_for_outsiders(member, good):
    from projects.services.projects import project_submit

    project = project_create(actor=member, data=good)
    with pytest.raises(Forbidden):
        project_update(actor=add_member(PMTeamFactory()), project_id=project.pk, data={"title": "x"})
    project_submit(actor=member, project_id=project.pk)
    with pytest.raises(InvalidInput) as exc:
        project_update(actor=member, project_id=project.pk, data={"title": "x"})
    assert "status" in exc.value.fields
