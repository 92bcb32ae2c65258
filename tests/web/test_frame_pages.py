"""The frame every page shares: log in / out, the role-based landing page, the language switch,
the unread badge and the friendly error pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pmflow.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_renders_in_chinese_by_default(client):
    resp = client.get(reverse("login"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "登录 pmflow" in html
    assert 'lang="zh-hans"' in html
    assert "htmx-2.0.11.min.js" in html


def test_login_with_password_lands_on_home(client):
    user = UserFactory(username="alice")
    resp = client.post(reverse("login"), {"username": "alice", "password": "pw-secret-123"})
    assert resp.status_code == 302
    assert resp.url == reverse("home")
    assert client.get(reverse("home")).wsgi_request.user == user


def test_anonymous_home_redirects_to_login(client):
    resp = client.get(reverse("home"))
    assert resp.status_code == 302
    assert resp.url.startswith(reverse("login"))


def test_user_without_role_sees_a_home_page_with_the_unread_badge(client):
    user = UserFactory()
    from django.contrib.contenttypes.models import ContentType

    Notification.objects.create(
        recipient=user, kind="state_changed", content_type=ContentType.objects.get_for_model(user), object_id="1", subject="x"
    )
    client.force_login(user)
    resp = client.get(reverse("home"))
    assert resp.status_code == 200
    assert 'id="unread-badge">1<' in resp.content.decode()


def test_missing_page_renders_the_friendly_404(client):
    client.force_login(UserFactory())
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404
    assert 'id="error-404"' in resp.content.decode()


def test_server_error_page_is_friendly_without_a_request_context(rf):
    from django.views.defaults import server_error

    resp = server_error(rf.get("/"))
    assert resp.status_code == 500
    assert 'id="error-500"' in resp.content.decode()


def test_pages_load_only_self_hosted_scripts(client):
    client.force_login(UserFactory())
    resp = client.get(reverse("notifications"))
    html = resp.content.decode()
    assert "<script>" not in html and "http://" not in html.split("</head>")[0] and "https://" not in html.split("</head>")[0]
    assert "script-src 'self'" in resp["Content-Security-Policy"]
