"""A small world for the milestone-page and evidence tests: one PM team's active project with a
decided screening gate, milestones in several states, the milestone gate of M2 with an unconflicted,
a recused and an undeclared reviewer, a reviewer of another gate of the same project, and another PM
team. Built from factories on the real database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name: str = "report.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@dataclass
class World:
    team: Any
    pm_lead: Any
    pm_member: Any
    project_lead: Any
    project: Any
    committee: Any
    chair: Any
    planned: Any
    in_progress: Any
    submitted: Any
    gate: Any
    reviewer_ok: Any
    reviewer_recused: Any
    reviewer_undeclared: Any
    reviewer_other_gate: Any
    other_team_member: Any


def set_status(obj: Any, status: str) -> Any:
    type(obj).objects.filter(pk=obj.pk).update(status=status)
    return type(obj).objects.get(pk=obj.pk)


def build_world() -> World:
    from milestones.models import ReviewerAssignment
    from tests.factories import (
        CommitteeFactory,
        GateReviewFactory,
        MilestoneFactory,
        PMTeamFactory,
        ProjectFactory,
        UserFactory,
        add_member,
    )

    team = PMTeamFactory()
    member = add_member(team)
    lead = UserFactory()
    project = set_status(ProjectFactory(pm_team=team, lead=lead), "active")
    committee = CommitteeFactory()
    GateReviewFactory(project=project, kind="screening", committee=committee, status="decided")
    due = dt.date(2026, 12, 31)
    planned = MilestoneFactory(project=project, sequence=1, title="原理样机", baseline_due=due)
    in_progress = set_status(MilestoneFactory(project=project, sequence=2, title="中试验证", baseline_due=due), "in_progress")
    submitted = set_status(MilestoneFactory(project=project, sequence=3, title="工程样机", baseline_due=due), "submitted")
    gate = GateReviewFactory(project=project, kind="milestone", milestone=in_progress, committee=committee)
    other_gate = GateReviewFactory(project=project, kind="milestone", milestone=submitted, committee=committee)
    now = timezone.now()
    ok, recused, undeclared, other = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    ReviewerAssignment.objects.create(gate=gate, reviewer=ok, has_conflict=False, declared_at=now)
    ReviewerAssignment.objects.create(gate=gate, reviewer=recused, has_conflict=True, declared_at=now, conflict_note="同单位")
    ReviewerAssignment.objects.create(gate=gate, reviewer=undeclared)
    ReviewerAssignment.objects.create(gate=other_gate, reviewer=other, has_conflict=False, declared_at=now)
    other_team = PMTeamFactory()
    return World(
        team=team,
        pm_lead=team.lead,
        pm_member=member,
        project_lead=lead,
        project=project,
        committee=committee,
        chair=committee.chair,
        planned=planned,
        in_progress=in_progress,
        submitted=submitted,
        gate=gate,
        reviewer_ok=ok,
        reviewer_recused=recused,
        reviewer_undeclared=undeclared,
        reviewer_other_gate=other,
        other_team_member=add_member(other_team),
    )
