"""Language switch (简体中文 default, English available), landing page by role, and the clear
lockout page after too many failed logins."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from milestones.models import ReviewerAssignment
from tests.factories import GateReviewFactory, PMTeamFactory, ProjectFactory, UserFactory, add_member, make_admin

pytestmark = pytest.mark.django_db


def test_language_switch_to_english_renders_english_text(client, reference_data):
    team = PMTeamFactory()
    project = ProjectFactory(pm_team=team)
    client.force_login(team.lead)
    assert "项目组合看板" in client.get(reverse("projects:dashboard")).content.decode()
    resp = client.post(reverse("set_language"), {"language": "en", "next": reverse("projects:list")})
    assert resp.status_code == 302
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'lang="en"' in html
    assert "Milestone timeline" in html
    assert "Quantum" in html  # reference data names follow the language
    assert "Portfolio dashboard" in client.get(reverse("projects:dashboard")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "里程碑时间线" in client.get(reverse("projects:detail", args=[project.pk])).content.decode()


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("admin", "projects:dashboard"),
        ("pm_lead", "projects:dashboard"),
        ("pm_member", "projects:list"),
        ("reviewer", "milestones:reviewer_inbox"),
        ("chair", "milestones:chair_gates"),
        ("project_lead", "projects:list"),
    ],
)
def test_each_role_lands_on_its_page(client, reference_data, role, target):
    team = PMTeamFactory()
    project = ProjectFactory(pm_team=team)
    gate = GateReviewFactory(project=project)
    user = {
        "admin": lambda: make_admin(),
        "pm_lead": lambda: team.lead,
        "pm_member": lambda: add_member(team),
        "reviewer": lambda: ReviewerAssignment.objects.create(gate=gate, reviewer=UserFactory()).reviewer,
        "chair": lambda: gate.chair,
        "project_lead": lambda: project.lead,
    }[role]()
    client.force_login(user)
    resp = client.get(reverse("home"))
    assert resp.status_code == 302
    assert resp.url == reverse(target)
    assert client.get(resp.url).status_code == 200


@override_settings(AXES_LOCKOUT_CALLABLE="pmflow.views.lockout_response", AXES_FAILURE_LIMIT=3)
def test_too_many_failed_logins_show_the_locked_page(client):
    UserFactory(username="bob")
    for _ in range(3):
        resp = client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    resp = client.post(reverse("login"), {"username": "bob", "password": "pw-secret-123"})
    assert resp.status_code == 429
    html = resp.content.decode()
    assert 'id="locked"' in html and "账户已暂时锁定" in html


@override_settings(AXES_FAILURE_LIMIT=2)
def test_a_locked_out_user_gets_the_clear_lockout_page_even_with_default_axes_settings(client):
    UserFactory(username="carol")
    for _ in range(3):
        client.post(reverse("login"), {"username": "carol", "password": "wrong"})
    resp = client.post(reverse("login"), {"username": "carol", "password": "pw-secret-123"})
    assert resp.status_code == 429
    assert 'id="locked"' in resp.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_failed_login_that_locks_already_shows_the_locked_page(client):
    """With the project's settings (AXES_LOCKOUT_CALLABLE), the attempt that reaches the limit answers
    429 with the friendly page, not the login form again."""
    UserFactory(username="dora")
    for _ in range(2):
        assert client.post(reverse("login"), {"username": "dora", "password": "wrong"}).status_code == 200
    resp = client.post(reverse("login"), {"username": "dora", "password": "wrong"})
    assert resp.status_code == 429
    assert "账户已暂时锁定" in resp.content.decode()
