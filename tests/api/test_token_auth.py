"""Token authentication: username + password → token; wrong credentials 400; the token endpoint
and writes are throttled (429 with Retry-After); session auth works for the web UI (CSRF on writes)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    cache.clear()
    yield
    cache.clear()


def test_token_for_good_credentials_authenticates_later_requests(reference_data):
    UserFactory(username="token-user")
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "token-user", "password": "pw-secret-123"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/directions/").status_code == 200


def test_wrong_password_is_400_and_gives_no_token(db):
    UserFactory(username="token-user")
    response = APIClient().post("/api/v1/auth/token/", {"username": "token-user", "password": "nope"}, format="json")
    assert_error(response, 400, "invalid")


def test_missing_fields_are_named(db):
    error = assert_error(APIClient().post("/api/v1/auth/token/", {}, format="json"), 400, "invalid")
    assert {"username", "password"} <= set(error["fields"])


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get("/api/v1/projects/"), 401, "not_authenticated")


def test_token_endpoint_is_throttled(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/min", "writes": "1000/min"}}
    UserFactory(username="token-user")
    client = APIClient()
    codes = [
        client.post("/api/v1/auth/token/", {"username": "token-user", "password": "pw-secret-123"}, format="json").status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    response = client.post("/api/v1/auth/token/", {"username": "token-user", "password": "pw-secret-123"}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_writes_are_throttled_reads_are_not(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "100/min", "writes": "2/min"}}
    client = world.client("lead")
    url = f"/api/v1/projects/{world.project.pk}/"
    assert [client.patch(url, {"title": f"t{i}"}, format="json").status_code for i in range(3)] == [200, 200, 429]
    assert all(client.get(url).status_code == 200 for _ in range(5))


def test_session_auth_works_and_enforces_csrf_on_writes(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["lead"])
    assert client.get(f"/api/v1/projects/{world.project.pk}/").status_code == 200
    response = client.patch(f"/api/v1/projects/{world.project.pk}/", {"title": "x"}, format="json")
    assert_error(response, 403, "forbidden")
