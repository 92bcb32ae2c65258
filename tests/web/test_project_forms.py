"""Drafting a project through the web form (field-named errors, nothing saved on bad input),
editing a draft, the plan and route forms, and transition buttons (reason required → 400,
wrong state → 409, forbidden → friendly 403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pmflow.models import AuditEntry, Organisation
from projects.models import PlanVersion, Project
from tests.factories import PMTeamFactory, ProjectFactory, UserFactory, add_member, make_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(reference_data):
    team = PMTeamFactory()
    team.member = add_member(team)
    return team


def _form_data(team, **overrides):
    org = Organisation.objects.create(name="上海量子研究院")
    lead = UserFactory()
    data = {
        "title": "量子纠错芯片",
        "field": "quantum",
        "pm_team": team.code,
        "performer": org.pk,
        "lead": lead.username,
        "budget": "1200",  # 万元
        "support_mode": "direct_subsidy",
        "planned_start": "2026-01-05",
        "planned_end": "2028-12-29",
        "window_extended_to": "",
    }
    data.update(overrides)
    return data


def test_member_creates_a_draft_and_lands_on_its_page(client, team):
    client.force_login(team.member)
    assert client.get(reverse("projects:create")).status_code == 200
    resp = client.post(reverse("projects:create"), _form_data(team))
    project = Project.objects.get(title="量子纠错芯片")
    assert resp.status_code == 302 and resp.url == reverse("projects:detail", args=[project.pk])
    assert project.status == "draft" and project.pm_team == team


def test_service_errors_are_shown_on_the_named_fields_and_nothing_is_saved(client, team):
    client.force_login(team.member)
    resp = client.post(reverse("projects:create"), _form_data(team, planned_start="2024-01-01", planned_end="2023-01-01"))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="errors-planned_end"' in html
    assert not Project.objects.filter(title="量子纠错芯片").exists()


def test_member_edits_the_draft(client, team):
    project = ProjectFactory(pm_team=team)
    client.force_login(team.member)
    data = _form_data(team, title="改名后的项目")
    assert client.get(reverse("projects:edit", args=[project.pk])).status_code == 200
    resp = client.post(reverse("projects:edit", args=[project.pk]), data)
    assert resp.status_code == 302
    project.refresh_from_db()
    assert project.title == "改名后的项目"


def test_stranger_cannot_create_or_edit(client, team):
    project = ProjectFactory(pm_team=team)
    client.force_login(UserFactory())
    assert client.get(reverse("projects:create")).status_code == 403
    assert client.get(reverse("projects:edit", args=[project.pk])).status_code == 404


def test_submit_button_moves_the_project_and_writes_the_audit_row(client, team):
    project = ProjectFactory(pm_team=team)
    client.force_login(team.member)
    resp = client.post(reverse("projects:transition", args=[project.pk, "submit"]))
    assert resp.status_code == 302
    project.refresh_from_db()
    assert project.status == "submitted"
    assert AuditEntry.objects.filter(object_id=str(project.pk), action="submit").exists()


def test_terminate_without_reason_answers_400_with_a_message(client, team):
    project = ProjectFactory(pm_team=team)
    Project.objects.filter(pk=project.pk).update(status="active")
    client.force_login(make_admin())
    resp = client.post(reverse("projects:transition", args=[project.pk, "terminate"]), {"reason": ""})
    assert resp.status_code == 400
    assert "必须填写理由" in resp.content.decode()
    project.refresh_from_db()
    assert project.status == "active"
    resp = client.post(reverse("projects:transition", args=[project.pk, "terminate"]), {"reason": "技术路线失败"})
    assert resp.status_code == 302
    project.refresh_from_db()
    assert project.status == "terminated"


def test_transition_from_the_wrong_state_answers_409(client, team):
    project = ProjectFactory(pm_team=team)
    client.force_login(team.member)
    resp = client.post(reverse("projects:transition", args=[project.pk, "activate"]))
    assert resp.status_code == 409
    assert 'id="project-header"' in resp.content.decode()


def test_forbidden_transition_is_a_friendly_403(client, team):
    project = ProjectFactory(pm_team=team)
    Project.objects.filter(pk=project.pk).update(status="active")
    client.force_login(team.member)
    resp = client.post(reverse("projects:transition", args=[project.pk, "terminate"]), {"reason": "x"})
    assert resp.status_code == 403
    assert 'id="error-403"' in resp.content.decode()


def test_plan_form_adds_the_baseline_then_a_revision_needs_a_note(client, team):
    project = ProjectFactory(pm_team=team)
    client.force_login(team.member)
    url = reverse("projects:plan_add", args=[project.pk])
    assert client.post(url, {"objectives": "突破量子纠错"}).status_code == 302
    resp = client.post(url, {"objectives": "突破量子纠错与低温电子学"})
    assert resp.status_code == 400
    assert 'id="errors-change_note"' in resp.content.decode()
    assert client.post(url, {"objectives": "突破量子纠错与低温电子学", "change_note": "扩展"}).status_code == 302
    assert PlanVersion.objects.filter(project=project).count() == 2
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "<ins>与低温电子学</ins>" in html


def test_route_form_adds_a_route(client, team):
    project = ProjectFactory(pm_team=team)
    client.force_login(team.member)
    resp = client.post(reverse("projects:route_add", args=[project.pk]), {"name": "超导路线", "family": "superconducting"})
    assert resp.status_code == 302
    assert "超导路线" in client.get(reverse("projects:detail", args=[project.pk])).content.decode()


def test_posts_against_another_teams_project_answer_a_friendly_404(client, team):
    other = ProjectFactory()
    client.force_login(team.member)
    for url, data in (
        (reverse("projects:transition", args=[other.pk, "submit"]), {}),
        (reverse("projects:plan_add", args=[other.pk]), {"objectives": "x"}),
        (reverse("projects:route_add", args=[other.pk]), {"name": "x"}),
        (reverse("projects:edit", args=[other.pk]), {}),
    ):
        resp = client.post(url, data)
        assert resp.status_code == 404, url
        assert 'id="error-404"' in resp.content.decode()
    other.refresh_from_db()
    assert other.status == "draft"


def test_gate_driven_transitions_have_no_button_and_are_refused_with_409(client, team):
    project = ProjectFactory(pm_team=team)
    Project.objects.filter(pk=project.pk).update(status="screening")
    client.force_login(make_admin())
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-transition="approve"' not in html
    assert 'data-transition="terminate"' in html
    resp = client.post(reverse("projects:transition", args=[project.pk, "approve"]))
    assert resp.status_code == 409
    project.refresh_from_db()
    assert project.status == "screening"


# --- issue 12: fields of the PM's team, budget in 万元, date inputs, errors next to the field ---------
def _team_covering(*codes):
    from projects.models import Field

    team = PMTeamFactory()
    team.fields.set(Field.objects.filter(code__in=codes))
    team.member = add_member(team)
    return team


def test_field_select_offers_only_the_fields_of_the_pms_team(client, reference_data):
    import re

    team = _team_covering("quantum", "fusion")
    client.force_login(team.member)
    html = client.get(reverse("projects:create")).content.decode()
    select = re.search(r'<select name="field".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'<option value="([^"]+)"', select))
    assert offered == {"quantum", "fusion"}


def test_a_field_outside_the_team_is_refused_next_to_the_field_and_nothing_saved(client, reference_data):
    team = _team_covering("quantum")
    client.force_login(team.member)
    resp = client.post(reverse("projects:create"), _form_data(team, field="bci"))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="errors-field"' in html
    assert not Project.objects.filter(title="量子纠错芯片").exists()


def test_budget_is_entered_in_wan_yuan_and_stored_in_yuan(client, team):
    from decimal import Decimal

    client.force_login(team.member)
    resp = client.post(reverse("projects:create"), _form_data(team, budget="1200.5"))
    project = Project.objects.get(title="量子纠错芯片")
    assert resp.status_code == 302
    assert project.budget == Decimal("12005000.00")
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "1,200.50 万元" in page
    edit = client.get(reverse("projects:edit", args=[project.pk])).content.decode()
    assert 'name="budget" value="1200.5"' in edit
    assert "预算（万元）" in edit


@pytest.mark.parametrize(
    ("budget", "message"), [("0", "预算必须大于 0。"), ("abc", "请输入数字（单位：万元）。"), ("-5", "预算必须大于 0。")]
)
def test_bad_budget_is_refused_next_to_the_field_in_the_users_language(client, team, budget, message):
    client.force_login(team.member)
    resp = client.post(reverse("projects:create"), _form_data(team, budget=budget))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="errors-budget"' in html and message in html
    assert not Project.objects.filter(title="量子纠错芯片").exists()


def test_every_date_input_of_the_project_forms_is_a_date_picker(client, team):
    import re

    project = ProjectFactory(pm_team=team)
    client.force_login(team.member)
    for url in (
        reverse("projects:create"),
        reverse("projects:edit", args=[project.pk]),
        reverse("projects:detail", args=[project.pk]),
    ):
        html = client.get(url).content.decode()
        for name in re.findall(r'<input[^>]*name="(planned_start|planned_end|window_extended_to|date_from|date_to)"', html):
            tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
            assert 'type="date"' in tag, tag
        assert "mm/dd/yyyy" not in html
