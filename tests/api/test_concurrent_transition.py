"""Concurrent transition requests over HTTP: threads, each with its own API client and database
connection, race conflicting transitions on one row — exactly one 200, every other request 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from milestones.models import GateReview
from pmflow.models import AuditEntry
from projects.models import Project
from tests.api.conftest import client_for

THREADS = 8


def _race(requests: list) -> list:
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = requests[i]()
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_suspends_exactly_one_200_the_rest_409(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    admin = world.users["admin"]
    names = ["suspend", "suspend"]
    clients = [client_for(admin) for _ in range(THREADS)]
    url = "/api/v1/projects/{pk}/transitions/{name}/"
    calls = [
        (lambda c=c, i=i: c.post(url.format(pk=world.project.pk, name=names[i % 2]), {"reason": f"线程{i}"}, format="json"))
        for i, c in enumerate(clients)
    ]

    responses = _race(calls)

    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [200] + [409] * (THREADS - 1), statuses
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "conflict"
    final = Project.objects.get(pk=world.project.pk)
    winner = next(r for r in responses if r.status_code == 200)
    assert final.status == winner.json()["status"]
    assert AuditEntry.objects.filter(object_id=str(world.project.pk), from_state="active").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_gate_opens_exactly_one_200(world):
    chair = world.users["chair"]
    clients = [client_for(chair) for _ in range(THREADS)]
    url = f"/api/v1/gate-reviews/{world.gate.pk}/transitions/open/"
    responses = _race([(lambda c=c: c.post(url, {}, format="json")) for c in clients])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (THREADS - 1), statuses
    assert GateReview.objects.get(pk=world.gate.pk).status == "open"
