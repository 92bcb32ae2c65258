"""A locked account (django-axes) gets the same answer from the token endpoint as from the login
page: 429 with a clear message — as JSON in the API's error body (code ``locked``, with
``Retry-After``) — even with the right password; wrong credentials before the lockout stay 400."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.api.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_axes():
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    yield
    AccessAttempt.objects.all().delete()


def test_token_endpoint_and_login_page_both_answer_429_when_locked(client):
    user = UserFactory(username="locked-out")
    user.set_password("right-password-1")
    user.save()
    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = api.post("/api/v1/auth/token/", {"username": "locked-out", "password": "wrong"}, format="json")
        assert_error(wrong, 400, "invalid")
    last = api.post("/api/v1/auth/token/", {"username": "locked-out", "password": "wrong"}, format="json")
    error = assert_error(last, 429, "locked")
    assert last["Retry-After"]
    # Locked: the right password does not help, on either door.
    right = api.post("/api/v1/auth/token/", {"username": "locked-out", "password": "right-password-1"}, format="json")
    error = assert_error(right, 429, "locked")
    assert "token" not in right.json()
    assert error["message"]
    page = client.post("/login/", {"username": "locked-out", "password": "right-password-1"})
    assert page.status_code == 429


def test_wrong_credentials_of_an_unlocked_account_stay_400():
    UserFactory(username="fine")
    response = APIClient().post("/api/v1/auth/token/", {"username": "fine", "password": "nope"}, format="json")
    assert_error(response, 400, "invalid")
