"""Request bodies are parsed with bounded depth and size: deeply nested JSON, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` or anything unparseable is a 400/413 in the API's JSON error body,
on every JSON endpoint — including the token endpoint, which needs no login."""

from __future__ import annotations

import pytest
from django.conf import settings

from pmflow.api.parsers import MAX_JSON_DEPTH
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", "/api/v1/auth/token/"),
        ("lead", "/api/v1/projects/"),
        ("reviewer", "/api/v1/gate-reviews/"),
    ],
)
def test_deeply_nested_json_is_400_not_500(world, role, path):
    response = world.client(role).generic("POST", path, NESTED, content_type="application/json")
    assert_error(response, 400, "invalid")


def test_nesting_at_the_limit_parses_and_one_more_level_is_refused(world):
    client = world.client("lead")
    at_limit = '{"title": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    response = client.generic("POST", "/api/v1/projects/", at_limit, content_type="application/json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]  # parsed; the field's type is what is wrong
    too_deep = '{"title": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}"
    response = client.generic("POST", "/api/v1/projects/", too_deep, content_type="application/json")
    error = assert_error(response, 400, "invalid")
    assert "title" not in error["fields"]


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/projects/"])
def test_body_over_the_upload_limit_gets_the_json_error_body(world, path):
    body = '{"title": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = world.client("lead").generic("POST", path, body, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, response.status_code, "invalid" if response.status_code == 400 else "too_large")


def test_invalid_utf8_is_400(world):
    response = world.client("lead").generic(
        "POST", "/api/v1/projects/", b'{"title": "\xff\xfe"}', content_type="application/json"
    )
    assert_error(response, 400, "invalid")
