"""The policy window (2025-09-26 .. 2030-09-25): an extension past it needs a programme admin's
approval, recorded with who and when (a PM's own draft no longer self-grants it); no project may
start after the window closes."""

from __future__ import annotations

import datetime as dt

import pytest

from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict, Forbidden, InvalidInput
from projects.models import Project, ProjectState
from projects.services.projects import (
    project_activate,
    project_create,
    project_submit,
    project_update,
    project_window_extension_approve,
)
from tests.factories import OrganisationFactory, PMTeamFactory, UserFactory, add_member, make_admin

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def team():
    return PMTeamFactory()


@pytest.fixture
def lead(team):
    return team.lead


@pytest.fixture
def good(team):
    return {
        "title": "聚变装置关键部件",
        "field": "fusion",
        "pm_team": team.pk,
        "performer": OrganisationFactory().pk,
        "lead": UserFactory().pk,
        "budget": "12000000.00",
        "support_mode": "direct_subsidy",
        "planned_start": "2026-01-05",
        "planned_end": "2031-03-31",
        "window_extended_to": "2031-06-30",
    }


def test_a_pm_typed_extension_is_only_a_request_and_submission_waits_for_approval(team, lead, good):
    project = project_create(actor=lead, data=good)
    assert project.window_extended_to == dt.date(2031, 6, 30)
    assert project.window_extension_approved_by is None and project.window_extension_approved_at is None
    with pytest.raises(Conflict) as exc:
        project_submit(actor=lead, project_id=project.pk)
    assert "管理员批准" in exc.value.message
    assert Project.objects.get(pk=project.pk).status == ProjectState.DRAFT


def test_a_programme_admin_approves_recorded_with_who_and_when_then_submission_goes_ahead(team, lead, good):
    project = project_create(actor=lead, data=good)
    with pytest.raises(Forbidden):
        project_window_extension_approve(actor=lead, project_id=project.pk)
    admin = make_admin()
    project = project_window_extension_approve(actor=admin, project_id=project.pk)
    assert project.window_extension_approved_by == admin and project.window_extension_approved_at is not None
    assert audit_trail_for(project).filter(action="window_extension_approve", actor=admin).exists()
    assert project_submit(actor=lead, project_id=project.pk).status == ProjectState.SUBMITTED


def test_changing_an_approved_extension_clears_the_approval(team, lead, good):
    project = project_create(actor=lead, data=good)
    project_window_extension_approve(actor=make_admin(), project_id=project.pk)
    project = project_update(actor=lead, project_id=project.pk, data={"window_extended_to": "2031-12-31"})
    assert project.window_extension_approved_at is None
    with pytest.raises(Conflict):
        project_submit(actor=lead, project_id=project.pk)


def test_an_extension_typed_by_a_programme_admin_is_approved_by_them(good):
    admin = make_admin()
    project = project_create(actor=admin, data=good)
    assert project.window_extension_approved_by == admin


def test_approving_without_a_requested_extension_names_the_field(team, lead, good):
    project = project_create(actor=lead, data={**good, "planned_end": "2029-12-31", "window_extended_to": None})
    with pytest.raises(InvalidInput) as exc:
        project_window_extension_approve(actor=make_admin(), project_id=project.pk)
    assert "window_extended_to" in exc.value.fields
    assert project_submit(actor=lead, project_id=project.pk).status == ProjectState.SUBMITTED  # inside the window


def test_no_project_may_start_after_the_window_closes_even_with_an_extension(team, lead, good):
    with pytest.raises(InvalidInput) as exc:
        project_create(actor=make_admin(), data={**good, "planned_start": "2030-10-08", "planned_end": "2031-03-31"})
    assert "planned_start" in exc.value.fields
    assert not Project.objects.exists()


def test_activation_after_the_window_closed_is_refused(team, lead, good, monkeypatch):
    project = project_create(actor=lead, data={**good, "planned_end": "2029-12-31", "window_extended_to": None})
    Project.objects.filter(pk=project.pk).update(status=ProjectState.APPROVED)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2030, 9, 26))
    with pytest.raises(Conflict) as exc:
        project_activate(actor=lead, project_id=project.pk)
    assert "2030-09-25" in exc.value.message
    assert Project.objects.get(pk=project.pk).status == ProjectState.APPROVED


def test_a_member_of_the_team_cannot_self_grant_through_an_update(team, good):
    member = add_member(team)
    project = project_create(actor=member, data={**good, "planned_end": "2029-12-31", "window_extended_to": None})
    project = project_update(
        actor=member, project_id=project.pk, data={"planned_end": "2031-03-31", "window_extended_to": "2031-06-30"}
    )
    assert project.window_extension_approved_at is None
