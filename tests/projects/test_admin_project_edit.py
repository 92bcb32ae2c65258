"""Creating and editing a draft project in the admin goes through the project services: the same
validation (field named), a generated code and an audit row."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from pmflow.audit import audit_trail_for
from projects.models import Field, Project
from tests.factories import OrganisationFactory, PMTeamFactory, UserFactory, make_admin
from tests.projects.project_support import project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def form_data():
    return {
        "title": "聚变装置部件",
        "field": Field.objects.get(code="fusion").pk,
        "pm_team": PMTeamFactory().pk,
        "performer": OrganisationFactory().pk,
        "lead": UserFactory().pk,
        "budget": "5000000",
        "support_mode": "capital_injection",
        "planned_start": "2026-03-02",
        "planned_end": "2029-06-30",
        "window_extended_to": "",
    }


def test_admin_add_creates_through_the_service_with_code_and_audit(client, form_data):
    admin = make_admin()
    client.force_login(admin)
    response = client.post(reverse("admin:projects_project_add"), form_data)
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get()
    assert project.code == f"FI-{timezone.localdate().year}-0001"
    assert project.created_by == admin
    assert audit_trail_for(project).get().action == "create"


def test_admin_add_shows_the_service_error_on_the_field_and_saves_nothing(client, form_data):
    client.force_login(make_admin())
    response = client.post(reverse("admin:projects_project_add"), {**form_data, "planned_end": "2031-12-31"})
    assert response.status_code == 200
    assert "planned_end" in response.context["adminform"].form.errors
    assert "政策有效期" in response.content.decode()
    assert not Project.objects.exists()


def test_fields_of_a_submitted_project_are_read_only_in_admin(client):
    from django.contrib import admin

    project = project_in_state("active")
    model_admin = admin.site._registry[Project]

    class Req:
        user = make_admin()

    readonly = model_admin.get_readonly_fields(Req(), project)
    for name in ("title", "budget", "planned_end", "pm_team", "status"):
        assert name in readonly


def test_admin_edit_of_a_draft_goes_through_project_update(client, form_data):
    from projects.services.projects import project_create

    admin = make_admin()
    project = project_create(actor=admin, data={**form_data, "field": "fusion", "window_extended_to": None})
    client.force_login(admin)
    url = reverse("admin:projects_project_change", args=[project.pk])
    page = client.get(url)
    # resubmit the rendered form (with its inline management forms) with a changed title
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        mgmt = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{mgmt.prefix}-{name}"] = mgmt[name].value()
    data.update({**form_data, "title": "改名后的项目"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Project.objects.get(pk=project.pk).title == "改名后的项目"
    assert audit_trail_for(project).first().action == "update"


def test_saving_the_change_form_of_an_active_project_changes_nothing(client, form_data):
    project = project_in_state("active")
    client.force_login(make_admin())
    url = reverse("admin:projects_project_change", args=[project.pk])
    page = client.get(url)
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        mgmt = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{mgmt.prefix}-{name}"] = mgmt[name].value()
    before = Project.objects.filter(pk=project.pk).values().get()
    response = client.post(url, {**data, **form_data, "title": "想改名"})
    assert response.status_code == 302
    after = Project.objects.filter(pk=project.pk).values().get()
    assert after == before
    assert not audit_trail_for(project).exists()
