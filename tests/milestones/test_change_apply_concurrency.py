"""Eight threads, each with its own connection, apply the same approved reschedule at once: exactly one
applies it, the others get Conflict, and the milestones move once — not eight times."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from milestones.models import ChangeRequest, ChangeState
from milestones.services.changes import change_request_apply
from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict
from tests.milestones.change_support import D, approved, dues, world

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_applications_apply_once(reference_data):
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9)])
    cr = approved(w, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=w.milestones[0])
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = change_request_apply(actor=w.admin if i % 2 else w.chair, change_request_id=cr.pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    applied = [r for r in results if isinstance(r, ChangeRequest)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(applied), len(conflicts)) == (1, THREADS - 1), results
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeState.APPLIED
    assert [c for _, c in dues(w.project)] == [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 13)]
    assert [e.action for e in audit_trail_for(cr)].count("apply") == 1


@pytest.mark.django_db(transaction=True)
def test_two_reschedules_applied_at_once_both_land_on_the_current_dates(reference_data):
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9)])
    first = approved(w, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=w.milestones[0])
    second = approved(w, kind="reschedule", payload={"new_due": "2026-10-20"}, milestone=w.milestones[2])
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int, cr_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = change_request_apply(actor=w.admin, change_request_id=cr_id)
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, cr.pk)) for i, cr in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(r, ChangeRequest) for r in results), results
    # They serialise on the project row; the later one re-plans on the dates the earlier one left.
    first, second = (ChangeRequest.objects.get(pk=cr.pk) for cr in (first, second))
    if first.applied_at < second.applied_at:
        # M1 +3 working days drags M3 to Tue 10-13, then M3 is moved to Tue 10-20
        expected = [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 20)]
    else:
        # M3 to Tue 10-20 first, then M1 +3 drags it on to Fri 10-23
        expected = [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 23)]
    assert [c for _, c in dues(w.project)] == expected
