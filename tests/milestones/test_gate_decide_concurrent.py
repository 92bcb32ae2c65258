"""Two chairs (the gate's chair and a programme admin) deciding the same gate at once, each on its
own connection: exactly one decision, and one tranche release however often release is tried."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from milestones.models import GateDecision, Milestone, MilestoneState, TrancheRelease
from milestones.services.decisions import gate_decide
from milestones.services.milestones import milestone_start, milestone_submit
from milestones.services.tranches import tranche_release
from pmflow.errors import ApplicationError, Conflict
from tests.milestones.conftest import assign_and_open, later, project_in, review

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_chairs_deciding_at_once_make_one_decision_and_one_release(cast):
    project = project_in(cast, "active")
    milestone = Milestone.objects.create(
        project=project, sequence=1, title="M1", baseline_due=later(60), current_due=later(60), tranche_amount=2_500_000
    )
    milestone_start(actor=cast.pm_member, milestone_id=milestone.pk)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=milestone.pk, committee_id=cast.committee.pk)
    gate = assign_and_open(cast, gate, reviewers=3)
    for reviewer in cast.reviewers[:3]:
        review(gate, reviewer, rec="go")

    barrier = threading.Barrier(2)
    outcomes: dict[str, list[object]] = {"decide": [], "release": []}
    lock = threading.Lock()

    def run(actor) -> None:
        try:
            barrier.wait()
            for step, call in (
                ("decide", lambda: gate_decide(actor=actor, gate_id=gate.pk, outcome="go")),
                ("release", lambda: tranche_release(actor=actor, milestone_id=milestone.pk)),
            ):
                try:
                    call()
                    result: object = "ok"
                except ApplicationError as exc:
                    result = exc
                with lock:
                    outcomes[step].append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in (cast.chair, cast.admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_old_connections()

    assert outcomes["decide"].count("ok") == 1
    assert sum(isinstance(r, Conflict) for r in outcomes["decide"]) == 1
    assert outcomes["release"].count("ok") == 1
    assert sum(isinstance(r, Conflict) for r in outcomes["release"]) == 1
    assert GateDecision.objects.filter(gate=gate).count() == 1
    assert TrancheRelease.objects.filter(milestone=milestone).count() == 1
    assert Milestone.objects.get(pk=milestone.pk).status == MilestoneState.PASSED
