"""Every model of pmflow and projects is in the admin, with search; the project admin filters by
direction / field / tier / state / PM team; list pages render for a programme admin."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import make_admin
from tests.projects.project_support import project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.mark.parametrize("app_label", ["pmflow", "projects"])
def test_every_model_is_registered_with_search(app_label):
    for model in apps.get_app_config(app_label).get_models():
        assert admin.site.is_registered(model), model
        assert admin.site._registry[model].search_fields, model


def test_project_admin_filters_by_direction_field_tier_state_and_team():
    from projects.models import Project

    filters = admin.site._registry[Project].list_filter
    for name in ("field__direction", "field", "field__tier", "status", "pm_team"):
        assert name in filters


@pytest.mark.parametrize("app_label", ["pmflow", "projects"])
def test_changelists_render_for_a_programme_admin(client, app_label):
    project_in_state("active")
    client.force_login(make_admin())
    for model in apps.get_app_config(app_label).get_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url


def test_project_changelist_filters_work(client):
    from projects.models import Field

    p = project_in_state("active")
    client.force_login(make_admin())
    field = Field.objects.get(code="quantum")
    url = reverse("admin:projects_project_changelist")
    for query in (
        {"field__direction__id__exact": field.direction_id},
        {"field__tier__id__exact": field.tier_id},
        {"status__exact": "active"},
        {"pm_team__id__exact": p.pm_team_id},
        {"q": p.code},
    ):
        response = client.get(url, query)
        assert response.status_code == 200
        assert p.code in response.content.decode(), query
