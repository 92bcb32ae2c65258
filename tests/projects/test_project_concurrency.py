"""20 threads, each with its own database connection, fire conflicting transitions at one project:
exactly one wins, the others get Conflict, and the audit trail has exactly one row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict
from projects.models import Project, ProjectState
from projects.services.projects import project_create, project_transition
from tests.factories import PMTeamFactory, UserFactory, make_admin
from tests.projects.project_support import all_powerful_actor, project_in_state

THREADS = 20


def _race(worker, n: int = THREADS) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = worker(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_conflicting_transitions_exactly_one_wins(reference_data):
    project = project_in_state(ProjectState.SCREENING)
    actor = all_powerful_actor(project)
    # approve and reject both leave screening, and neither is allowed after the other: they conflict.
    names = ["approve", "reject"]

    results = _race(lambda i: project_transition(actor=actor, project_id=project.pk, name=names[i % 2], reason=f"线程{i}"))

    winners = [r for r in results if isinstance(r, Project)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1, results
    final = Project.objects.get(pk=project.pk)
    assert final.status == winners[0].status
    trail = list(audit_trail_for(project))
    assert len(trail) == 1
    assert trail[0].to_state == final.status and trail[0].from_state == ProjectState.SCREENING


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_sequential_codes(reference_data):
    team = PMTeamFactory()
    admin = make_admin()
    lead = UserFactory()
    from pmflow.models import Organisation

    org = Organisation.objects.create(name="并发测试单位")
    data = {
        "title": "并发项目",
        "field": "quantum",
        "pm_team": team.pk,
        "performer": org.pk,
        "lead": lead.pk,
        "budget": "1000000",
        "support_mode": "direct_subsidy",
        "planned_start": "2026-01-05",
        "planned_end": "2028-12-29",
    }
    results = _race(lambda i: project_create(actor=admin, data={**data, "title": f"并发项目{i}"}), n=10)
    assert all(isinstance(r, Project) for r in results), results
    codes = sorted(r.code for r in results)
    assert len(set(codes)) == 10
    year = codes[0].split("-")[1]
    assert codes == [f"FI-{year}-{i:04d}" for i in range(1, 11)]
