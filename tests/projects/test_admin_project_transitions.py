"""The admin's transition buttons: shown only for transitions the user may take, and the POST goes
through the same service (lock, permission, audit) — a staff user without the right permission
cannot move a project by POSTing the button."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from pmflow.audit import audit_trail_for
from projects.models import Project, ProjectState
from tests.factories import UserFactory, add_member, make_admin
from tests.projects.project_support import project_in_state, row_snapshot

pytestmark = pytest.mark.usefixtures("reference_data")
S = ProjectState


def _transition_url(project):
    return reverse("admin:projects_project_transition", args=[project.pk])


def _change_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_staff_user_with_view_permission_only_cannot_move_a_project_by_posting_the_button(client):
    project = project_in_state(S.ACTIVE)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_project"), Permission.objects.get(codename="change_project"))
    client.force_login(staff)
    before = row_snapshot(project)

    response = client.post(_transition_url(project), {"transition": "terminate", "reason": "越权尝试"}, follow=True)

    assert response.status_code == 200
    assert any("无权" in m for m in _messages(response))
    assert row_snapshot(project) == before
    assert not audit_trail_for(project).exists()


def test_staff_pm_member_cannot_post_a_transition_only_admins_may_take(client):
    project = project_in_state(S.ACTIVE)
    member = add_member(project.pm_team, UserFactory(is_staff=True))
    member.user_permissions.add(Permission.objects.get(codename="view_project"))
    client.force_login(member)

    response = client.post(_transition_url(project), {"transition": "suspend", "reason": "想暂停"}, follow=True)

    assert any("无权" in m for m in _messages(response))
    assert Project.objects.get(pk=project.pk).status == S.ACTIVE
    assert not audit_trail_for(project).exists()


def test_staff_user_without_any_admin_permission_gets_403(client):
    project = project_in_state(S.ACTIVE)
    client.force_login(UserFactory(is_staff=True))
    response = client.post(_transition_url(project), {"transition": "terminate", "reason": "x"})
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == S.ACTIVE


def test_programme_admin_moves_a_project_through_the_button_with_an_audit_row(client):
    project = project_in_state(S.ACTIVE)
    admin = make_admin()
    client.force_login(admin)

    response = client.post(_transition_url(project), {"transition": "suspend", "reason": "资金审计"}, follow=True)

    assert response.redirect_chain[-1][0] == _change_url(project)
    assert Project.objects.get(pk=project.pk).status == S.SUSPENDED
    [entry] = audit_trail_for(project)
    assert (entry.action, entry.actor, entry.reason) == ("suspend", admin, "资金审计")


def test_refused_transition_shows_the_clear_error_and_changes_nothing(client):
    project = project_in_state(S.ACTIVE)
    client.force_login(make_admin())
    # reason missing for terminate
    response = client.post(_transition_url(project), {"transition": "terminate", "reason": ""}, follow=True)
    assert any("理由" in m for m in _messages(response))
    # not allowed from the current state
    response = client.post(_transition_url(project), {"transition": "resume"}, follow=True)
    assert any("不能执行" in m for m in _messages(response))
    # only a gate decision may approve: the button path refuses it whatever the state
    response = client.post(_transition_url(project), {"transition": "approve"}, follow=True)
    assert any("关口评审" in m for m in _messages(response))
    assert Project.objects.get(pk=project.pk).status == S.ACTIVE
    assert not audit_trail_for(project).exists()


def test_change_page_shows_buttons_only_for_transitions_the_user_may_take(client):
    project = project_in_state(S.ACTIVE)
    client.force_login(make_admin())
    html = client.get(_change_url(project)).content.decode()
    for name in ("suspend", "terminate"):
        assert f'data-transition="{name}"' in html
    # not allowed from active, or caused only by a gate decision / final milestone submission
    for name in ("submit", "approve", "resume", "close", "start_closing"):
        assert f'data-transition="{name}"' not in html


def test_change_page_of_a_draft_shows_no_submit_button_to_a_programme_admin_outside_the_team(client):
    project = project_in_state(S.DRAFT)
    client.force_login(make_admin())
    html = client.get(_change_url(project)).content.decode()
    assert 'data-transition="submit"' not in html
    assert "您当前没有可执行的状态转换" in html


def test_get_on_the_transition_url_is_not_allowed(client):
    project = project_in_state(S.ACTIVE)
    client.force_login(make_admin())
    assert client.get(_transition_url(project)).status_code == 405


def test_change_page_shows_the_audit_trail_inline(client):
    from projects.services.projects import project_transition

    project = project_in_state(S.ACTIVE)
    admin = make_admin()
    project_transition(actor=admin, project_id=project.pk, name="suspend", reason="审计内联可见")
    client.force_login(admin)
    html = client.get(_change_url(project)).content.decode()
    assert "审计内联可见" in html
