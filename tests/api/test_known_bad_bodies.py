"""The two inputs that crashed the API, sent deterministically to every write operation of the live
schema as every role that writes (Schemathesis finds such bodies only by luck): a JSON value nested
100,000 deep, and a body whose every array property is ``[null]``. Never a 5xx; always the API's
JSON error body (or a success)."""

from __future__ import annotations

import json
import re

import pytest

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

NESTED = "[" * 100_000 + "]" * 100_000


def _write_operations(schema: dict) -> list[tuple[str, str, dict]]:
    ops = []
    for path, item in schema["paths"].items():
        for method in ("post", "patch", "put"):
            op = item.get(method)
            if op is None:
                continue
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ops.append((method, path, content.get("schema", {})))
    return ops


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _nulls_in_arrays(schema: dict, body_schema: dict) -> dict:
    body = {}
    for name, prop in _resolve(schema, body_schema).get("properties", {}).items():
        prop = _resolve(schema, prop)
        if prop.get("type") == "array" or any(_resolve(schema, alt).get("type") == "array" for alt in prop.get("oneOf", [])):
            body[name] = [None]
    return body


def _url(world, path: str) -> str:
    ids = {"id": world.project.pk, "transition": "submit"}
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), world.project.pk)), path)


@pytest.mark.parametrize("role", ["admin", "lead", "reviewer", "anonymous"])
def test_known_bad_bodies_never_crash_any_write_operation(world, role):
    schema = client_for(world.users["admin"]).get("/api/schema/?format=json").json()
    operations = _write_operations(schema)
    assert len(operations) > 20
    client = world.client(role)
    failures = []
    for method, path, body_schema in operations:
        url = _url(world, path)
        bodies = [NESTED]
        arrays = _nulls_in_arrays(schema, body_schema)
        if arrays:
            bodies.append(json.dumps(arrays))
        for body in bodies:
            response = client.generic(method.upper(), url, body, content_type="application/json")
            if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
                failures.append((method, url, body[:40], response.status_code))
            elif response.status_code >= 400:
                assert set(response.json()) == {"error"}, (method, url, response.json())
    assert not failures, failures
