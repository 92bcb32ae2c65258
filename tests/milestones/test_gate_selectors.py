"""Reads: the reviewer's inbox and the chair's view of a gate, with fixed query counts."""

from __future__ import annotations

import pytest

from milestones.selectors.gates import gate_detail_for_chair, gates_for_reviewer
from pmflow.errors import Forbidden, NotFound
from pmflow.workdays import workdays_between
from tests.factories import UserFactory
from tests.milestones.conftest import project_in, review, screening_gate

pytestmark = pytest.mark.django_db


def test_the_reviewer_inbox_lists_assigned_gates_with_working_days_left(cast, django_assert_num_queries):
    from django.utils import timezone

    gates = [screening_gate(cast, project_in(cast), reviewers=2) for _ in range(3)]
    review(gates[0], cast.reviewers[0], rec="go")
    with django_assert_num_queries(1):
        rows = gates_for_reviewer(cast.reviewers[0])
    assert {r["gate"].pk for r in rows} == {g.pk for g in gates}
    today = timezone.localdate()
    assert all(r["workdays_left"] == workdays_between(today, r["due_date"]) for r in rows)
    assert [r["submitted"] for r in rows if r["gate"].pk == gates[0].pk] == [True]
    assert gates_for_reviewer(cast.reviewers[4]) == []


def test_the_chair_sees_every_scorecard_beside_the_computed_outcome(cast, django_assert_num_queries):
    gate = screening_gate(cast, project_in(cast), reviewers=4)
    review(gate, cast.reviewers[0], rec="go", score=90, champion=True)
    review(gate, cast.reviewers[1], rec="go", score=80)
    review(gate, cast.reviewers[2], rec="kill", score=30)
    review(gate, cast.reviewers[3], conflict=True)
    with django_assert_num_queries(4):
        detail = gate_detail_for_chair(actor=cast.chair, gate_id=gate.pk)
    assert len(detail["rows"]) == 4
    assert sum(r["counted"] for r in detail["rows"]) == 3
    assert [r["recused"] for r in detail["rows"]] == [False, False, False, True]
    assert detail["summary"]["submitted"] == 3
    assert detail["summary"]["champions"] == 1


def test_nobody_else_gets_the_chairs_view(cast):
    gate = screening_gate(cast, project_in(cast), reviewers=2)
    with pytest.raises(Forbidden):
        gate_detail_for_chair(actor=cast.reviewers[0], gate_id=gate.pk)
    with pytest.raises(NotFound):
        gate_detail_for_chair(actor=UserFactory(), gate_id=gate.pk)
    assert gate_detail_for_chair(actor=cast.admin, gate_id=gate.pk)["gate"].pk == gate.pk
