"""Scheduling gate reviews: who may, what it moves, what criteria look like."""

from __future__ import annotations

import pytest

from milestones.models import GateCriterion, GateReview, Milestone, MilestoneState
from milestones.services.gates import gate_cancel, gate_open, gate_schedule
from milestones.services.milestones import milestone_start, milestone_submit
from pmflow.errors import Conflict, Forbidden, InvalidInput
from projects.models import Project, ProjectState
from tests.milestones.conftest import CRITERIA, later, project_in

pytestmark = pytest.mark.django_db


def test_a_screening_gate_moves_a_submitted_project_into_screening(cast):
    project = project_in(cast, "submitted")
    gate = gate_schedule(
        actor=cast.chair, project_id=project.pk, kind="screening", committee_id=cast.committee.pk, quorum=4, criteria=CRITERIA
    )
    assert Project.objects.get(pk=project.pk).status == ProjectState.SCREENING
    assert gate.chair_id == cast.chair.pk and gate.quorum == 4
    assert [(c.kind, c.title, c.weight) for c in GateCriterion.objects.filter(gate=gate).order_by("order")] == [
        ("must", "符合政策支持方向", 0),
        ("should", "创新价值", 60),
        ("should", "可行性", 40),
    ]
    with pytest.raises(Conflict):  # one active screening gate at a time
        gate_schedule(actor=cast.chair, project_id=project.pk, kind="screening", committee_id=cast.committee.pk)


@pytest.mark.parametrize("state", ["draft", "approved", "active", "rejected"])
def test_screening_needs_a_submitted_project(cast, state):
    project = project_in(cast, state)
    with pytest.raises(Conflict):
        gate_schedule(actor=cast.admin, project_id=project.pk, kind="screening", committee_id=cast.committee.pk)


def test_only_the_committee_chair_or_an_admin_schedules(cast):
    project = project_in(cast, "submitted")
    for user in (cast.pm_lead, cast.reviewers[0]):
        with pytest.raises(Forbidden):
            gate_schedule(actor=user, project_id=project.pk, kind="screening", committee_id=cast.committee.pk)
    assert not GateReview.objects.exists()
    gate_schedule(actor=cast.admin, project_id=project.pk, kind="screening", committee_id=cast.committee.pk)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"criteria": []}, "criteria"),
        ({"criteria": [{"kind": "maybe", "title": "甲", "weight": 1}]}, "criteria"),
        ({"criteria": [{"kind": "should", "title": "甲", "weight": 0}]}, "criteria"),
        ({"criteria": [{"kind": "should", "title": "", "weight": 1}]}, "criteria"),
        ({"quorum": 0}, "quorum"),
        ({"due_date": later(-1)}, "due_date"),
    ],
)
def test_bad_gate_input_is_refused_and_nothing_is_saved(cast, kwargs, field):
    project = project_in(cast, "submitted")
    with pytest.raises(InvalidInput) as exc:
        gate_schedule(actor=cast.chair, project_id=project.pk, kind="screening", committee_id=cast.committee.pk, **kwargs)
    assert field in exc.value.fields
    assert not GateReview.objects.exists()
    assert Project.objects.get(pk=project.pk).status == ProjectState.SUBMITTED


def test_a_cancelled_milestone_gate_can_be_rescheduled(cast):
    project = project_in(cast, "active")
    m = Milestone.objects.create(project=project, sequence=1, title="M1", baseline_due=later(60), current_due=later(60))
    milestone_start(actor=cast.pm_member, milestone_id=m.pk)
    _, gate = milestone_submit(actor=cast.pm_member, milestone_id=m.pk, committee_id=cast.committee.pk)
    with pytest.raises(Conflict):
        gate_schedule(
            actor=cast.chair, project_id=project.pk, kind="milestone", milestone_id=m.pk, committee_id=cast.committee.pk
        )
    gate_open(actor=cast.chair, gate_id=gate.pk)
    gate_cancel(actor=cast.chair, gate_id=gate.pk, reason="专家变动")
    again = gate_schedule(
        actor=cast.chair, project_id=project.pk, kind="milestone", milestone_id=m.pk, committee_id=cast.committee.pk
    )
    assert again.milestone_id == m.pk
    assert Milestone.objects.get(pk=m.pk).status == MilestoneState.IN_REVIEW
    with pytest.raises(InvalidInput):
        gate_schedule(actor=cast.chair, project_id=project.pk, kind="final", milestone_id=m.pk, committee_id=cast.committee.pk)


def test_cancelling_needs_a_reason(cast):
    project = project_in(cast, "submitted")
    gate = gate_schedule(actor=cast.chair, project_id=project.pk, kind="screening", committee_id=cast.committee.pk)
    with pytest.raises(InvalidInput):
        gate_cancel(actor=cast.chair, gate_id=gate.pk, reason="")
