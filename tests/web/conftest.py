"""Fixtures for the web UI tests: a screening gate with criteria and reviewers, a task list with tasks
in several categories. Built from factories on the real database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest


@dataclass
class GateSetup:
    gate: Any
    project: Any
    chair: Any
    reviewers: list[Any]
    must: list[Any] = field(default_factory=list)
    should: list[Any] = field(default_factory=list)


def build_gate(
    *, reviewers: int = 4, kind: str = "screening", status: str = "open", due: dt.date | None = None, **project_kw: Any
):
    """A gate with 1 must-meet and 2 weighted criteria and ``reviewers`` assigned (undeclared)."""
    from milestones.models import GateCriterion, GateReview, ReviewerAssignment
    from tests.factories import GateReviewFactory, ProjectFactory, UserFactory

    project = ProjectFactory(**project_kw)
    gate = GateReviewFactory(project=project, kind=kind, due_date=due or dt.date.today() + dt.timedelta(days=14))
    GateReview.objects.filter(pk=gate.pk).update(status=status)
    gate.refresh_from_db()
    must = [GateCriterion.objects.create(gate=gate, kind="must", title="符合政策支持方向", order=1)]
    should = [
        GateCriterion.objects.create(gate=gate, kind="should", title="技术先进性", weight=Decimal("60"), order=1),
        GateCriterion.objects.create(gate=gate, kind="should", title="团队能力", weight=Decimal("40"), order=2),
    ]
    people = [UserFactory() for _ in range(reviewers)]
    for r in people:
        gate.committee.members.add(r)
        ReviewerAssignment.objects.create(gate=gate, reviewer=r)
    return GateSetup(gate=gate, project=project, chair=gate.chair, reviewers=people, must=must, should=should)


def put_scorecard(
    setup: GateSetup, reviewer: Any, *, scores: tuple[int, int] = (80, 70), passed: bool = True, rec: str = "go", champion=False
):
    """Test set-up only: a submitted scorecard written straight to the tables."""
    from django.utils import timezone

    from milestones.models import CriterionScore, ReviewerAssignment, Scorecard

    a = ReviewerAssignment.objects.get(gate=setup.gate, reviewer=reviewer)
    a.has_conflict = False
    a.declared_at = timezone.now()
    a.save()
    weighted = (Decimal(scores[0]) * 60 + Decimal(scores[1]) * 40) / 100
    card = Scorecard.objects.create(
        assignment=a,
        recommendation=rec,
        champion=champion,
        comments="意见",
        weighted_score=weighted,
        must_meet_failed=not passed,
        submitted_at=timezone.now(),
    )
    CriterionScore.objects.create(scorecard=card, criterion=setup.must[0], passed=passed)
    for crit, s in zip(setup.should, scores, strict=True):
        CriterionScore.objects.create(scorecard=card, criterion=crit, score=s)
    return card


@pytest.fixture
def gate_setup(reference_data) -> GateSetup:
    return build_gate()


def build_task_list(*, tasks_per_category: int = 2, project=None):
    from projects.models import TaskCategory
    from tests.factories import KeyTaskListFactory, TaskFactory, UserFactory

    kw = {"project": project, "pm_team": project.pm_team} if project is not None else {}
    task_list = KeyTaskListFactory(**kw)
    owner = UserFactory()
    today = dt.date.today()
    for cat in TaskCategory.objects.all()[:3]:
        for i in range(tasks_per_category):
            TaskFactory(
                task_list=task_list,
                category=cat,
                owner=owner,
                start_date=today - dt.timedelta(days=60),
                due_date=today + dt.timedelta(days=30 + i),
                weight=Decimal("1"),
            )
    return task_list


@pytest.fixture
def task_list(reference_data):
    return build_task_list()
