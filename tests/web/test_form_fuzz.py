"""Random bodies posted to every web page that takes a POST — never a 500.

The URLs are discovered from the URL configuration (everything outside ``/api/`` and ``/admin/``),
so pages added later are covered without touching this file. For each one the test first GETs the
page as a user of the right role and reads the names of its form fields; Hypothesis then posts
bodies built from those names (and a few stray ones) with hostile values: empty, blank, huge,
NUL bytes, full-width digits, far dates, numbers where text is expected, several values for one
name. A 2xx, 3xx, 4xx (form errors, 403, 404, 405, 409) is fine; a 5xx or an exception is not.
Examples per page and role: ``PMFLOW_FORM_FUZZ_EXAMPLES`` (default 10), a fixed seed, no deadline."""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from milestones.models import AssessmentRound, ChangeRequest, GateCriterion, ReviewerAssignment
from pmflow.models import Notification
from tests.api.conftest import world  # noqa: F401 - the shared world fixture
from tests.factories import KeyTaskListFactory, TaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]

EXAMPLES = int(os.environ.get("PMFLOW_FORM_FUZZ_EXAMPLES", "10"))
SKIP = ("api/", "admin/", "static/", "media/", "login/", "logout/", "i18n/")
FIELD_NAME = re.compile(r'name="([^"]+)"')

VALUES = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "１２", "9" * 30, "2026-02-30", "0001-01-01", "9999-12-31", "true", "null", "\x00"]),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
    st.lists(st.text(max_size=5), min_size=2, max_size=3),
)


def _routes() -> list[tuple[str, list[str]]]:
    """(route with ``<converter:name>`` placeholders, placeholder names) of every web page."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(SKIP) or route.startswith("^"):
                    continue
                found.append((route, re.findall(r"<(?:\w+:)?(\w+)>", route)))

    walk(get_resolver().url_patterns, "")
    return found


def _fill(route: str, names: list[str], ids: dict[str, int]) -> str:
    family = route.split("/", 1)[0]

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "name":
            return {"projects": "submit", "gates": "open", "changes": "submit"}.get(family, "submit")
        if name == "token":
            return "not-a-token"
        if name == "pk":
            return str(ids.get(family, ids["projects"]))
        return str(ids.get(name, ids["projects"]))

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def _role(route: str) -> str:
    if route.startswith("reviews/"):
        return "reviewer"
    if route.startswith("gates/") and not route.startswith("gates/schedule/"):
        return "chair"
    return "lead"


def _ids(w) -> dict[str, int]:
    GateCriterion.objects.create(gate=w.gate, kind="should", title="技术先进性", weight=1, order=1)
    task_list = KeyTaskListFactory(pm_team=w.project.pm_team, project=w.project)
    task = TaskFactory(task_list=task_list, owner=w.users["member"])
    change = ChangeRequest.objects.create(
        project=w.project,
        kind="rescope",
        milestone=w.milestone,
        reason="调整",
        payload={"deliverables": "新交付物"},
        created_by=w.users["lead"],
    )
    rnd = AssessmentRound.objects.create(
        label="2026Q1", period_start="2026-01-01", period_end="2026-03-31", due_date="2026-04-15"
    )
    note = Notification.objects.filter(recipient=w.users["lead"]).first()
    return {
        "projects": w.project.pk,
        "project_id": w.project.pk,
        "gate_id": w.gate.pk,
        "gates": w.gate.pk,
        "milestones": w.milestone.pk,
        "changes": change.pk,
        "list_id": task_list.pk,
        "task_id": task.pk,
        "round_id": rnd.pk,
        "notifications": note.pk if note else 1,
        "evidence": 1,
        "assignment": ReviewerAssignment.objects.get(gate=w.gate).pk,
    }


def _fuzz(client: Client, url: str, examples: int, failures: list[str]) -> int:
    page = client.get(url)
    html = b"" if page.streaming else page.content  # exports stream their files
    names = sorted({n for n in FIELD_NAME.findall(html.decode(errors="replace")) if n != "csrfmiddlewaretoken"})
    keys = st.sampled_from(names) if names else st.just("x")
    bodies = st.fixed_dictionaries({}, optional={n: VALUES for n in names}) | st.dictionaries(keys, VALUES, max_size=4)
    calls = 0

    @given(body=bodies)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(body: dict) -> None:
        nonlocal calls
        calls += 1
        try:
            response = client.post(url, body)
        except Exception as exc:  # noqa: BLE001 - every crash is collected and reported together
            failures.append(f"POST {url} {body!r}: {type(exc).__name__}: {exc}"[:600])
            return
        if response.status_code >= 500:
            failures.append(f"POST {url} {body!r}: {response.status_code}"[:600])

    run()
    return calls


def test_random_bodies_to_every_web_form_never_give_a_500(world):  # noqa: F811
    ids = _ids(world)
    routes = _routes()
    assert len(routes) > 30, routes
    failures: list[str] = []
    posted = 0
    clients: dict[str, Client] = {}
    for role in ("admin", "lead", "chair", "reviewer"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    for route, names in routes:
        url = _fill(route, names, ids)
        posted += _fuzz(clients[_role(route)], url, EXAMPLES, failures)
        posted += _fuzz(clients["admin"], url, max(2, EXAMPLES // 4), failures)
    assert posted >= len(routes) * 2
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
