"""Fixtures and helpers for the milestone / gate tests: the people around one project and short-hands
that drive the real services (no shortcuts through the models except where a test says so)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from milestones.models import Committee, GateCriterion, GateReview, ReviewerAssignment
from pmflow.models import Organisation, User
from projects.models import PMTeam, Project
from tests.factories import (
    CommitteeFactory,
    OrganisationFactory,
    PMTeamFactory,
    ProjectFactory,
    UserFactory,
    add_member,
    make_admin,
)

CRITERIA = [
    {"kind": "must", "title": "符合政策支持方向", "weight": 0},
    {"kind": "should", "title": "创新价值", "weight": 60},
    {"kind": "should", "title": "可行性", "weight": 40},
]


@dataclass
class Cast:
    admin: User
    team: PMTeam
    pm_lead: User
    pm_member: User
    performer: Organisation
    project_lead: User
    chair: User
    committee: Committee
    reviewers: list[User] = field(default_factory=list)


@pytest.fixture
def cast(reference_data) -> Cast:
    performer = OrganisationFactory(name="承担单位甲")
    team = PMTeamFactory(non_consensus_quota=1)
    chair = UserFactory(username="chair")
    committee = CommitteeFactory(chair=chair)
    reviewers = [UserFactory(username=f"reviewer{i}") for i in range(1, 6)]
    committee.members.add(*reviewers)
    return Cast(
        admin=make_admin(username="admin"),
        team=team,
        pm_lead=team.lead,
        pm_member=add_member(team),
        performer=performer,
        project_lead=UserFactory(username="project-lead", organisation=performer),
        chair=chair,
        committee=committee,
        reviewers=reviewers,
    )


def project_in(cast: Cast, state: str = "submitted", **kwargs: Any) -> Project:
    """A project of the cast's PM team put straight into ``state`` (set-up only)."""
    project = ProjectFactory(pm_team=cast.team, performer=cast.performer, lead=cast.project_lead, **kwargs)
    Project.objects.filter(pk=project.pk).update(status=state)
    return Project.objects.get(pk=project.pk)


def screening_gate(cast: Cast, project: Project, *, reviewers: int = 5, quorum: int = 3, criteria=None) -> GateReview:
    """Schedule a screening gate (project must be submitted), assign ``reviewers`` and open it."""
    from milestones.services.gates import gate_assign_reviewer, gate_open, gate_schedule

    gate = gate_schedule(
        actor=cast.chair,
        project_id=project.pk,
        kind="screening",
        committee_id=cast.committee.pk,
        quorum=quorum,
        criteria=criteria if criteria is not None else CRITERIA,
    )
    for reviewer in cast.reviewers[:reviewers]:
        gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=reviewer.pk)
    gate_open(actor=cast.chair, gate_id=gate.pk)
    return GateReview.objects.get(pk=gate.pk)


def assign_and_open(cast: Cast, gate: GateReview, *, reviewers: int = 3) -> GateReview:
    from milestones.services.gates import gate_assign_reviewer, gate_open

    for reviewer in cast.reviewers[:reviewers]:
        gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=reviewer.pk)
    gate_open(actor=cast.chair, gate_id=gate.pk)
    return GateReview.objects.get(pk=gate.pk)


def review(
    gate: GateReview,
    reviewer: User,
    *,
    rec: str = "go",
    score: int = 80,
    passed: bool = True,
    champion: bool = False,
    conflict: bool = False,
) -> None:
    """The reviewer declares (no) conflict, then scores every criterion (``passed`` for must-meet,
    ``score`` for should-meet) and submits."""
    from milestones.services.gates import assignment_declare_conflict, scorecard_submit

    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=reviewer)
    assignment_declare_conflict(actor=reviewer, assignment_id=assignment.pk, has_conflict=conflict, note="")
    if conflict:
        return
    scores = {c.pk: (passed if c.kind == GateCriterion.Kind.MUST else score) for c in GateCriterion.objects.filter(gate=gate)}
    scorecard_submit(actor=reviewer, gate_id=gate.pk, scores=scores, recommendation=rec, champion=champion, comments="")


def later(days: int) -> dt.date:
    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=days)
