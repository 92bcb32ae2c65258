"""Helpers for the change-request and assessment tests (issue 5): an active project with its PM team,
the chair of one of its gates, an admin, milestones with given due dates, and a request driven
through the real services up to a given state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from milestones.models import ChangeRequest, GateState, Milestone, MilestoneState
from milestones.services.changes import (
    change_request_approve,
    change_request_create,
    change_request_reject,
    change_request_submit,
)
from pmflow.models import User
from projects.models import Project, ProjectState
from tests.factories import GateReviewFactory, MilestoneFactory, ProjectFactory, add_member, make_admin

D = dt.date
START_2026 = D(2026, 1, 5)
END_2026 = D(2026, 12, 31)


@dataclass
class World:
    project: Project
    pm: User
    member: User
    chair: User
    admin: User
    milestones: list[Milestone]


def world(
    *,
    dues: list[dt.date] = (),
    planned_start: dt.date = START_2026,
    planned_end: dt.date = END_2026,
    status: str = ProjectState.ACTIVE,
    tranche: Decimal = Decimal("1000000.00"),
    **project_kwargs: Any,
) -> World:
    """An active project (set up by a queryset update, not a transition) with milestones M1..Mn due on
    ``dues``, a decided screening gate chaired by ``chair`` and a programme admin."""
    project = ProjectFactory(planned_start=planned_start, planned_end=planned_end, **project_kwargs)
    Project.objects.filter(pk=project.pk).update(status=status)
    project.refresh_from_db()
    ms = [
        MilestoneFactory(
            project=project, sequence=i, title=f"里程碑{i}", baseline_due=due, current_due=due, tranche_amount=tranche
        )
        for i, due in enumerate(dues, start=1)
    ]
    # The project passed its screening: a decided screening gate makes ``chair`` a chair of the
    # project without being a gate that a reschedule would move.
    gate = GateReviewFactory(project=project, kind="screening", status=GateState.DECIDED)
    return World(
        project=project,
        pm=project.pm_team.lead,
        member=add_member(project.pm_team),
        chair=gate.chair,
        admin=make_admin(),
        milestones=ms,
    )


def set_state(milestone: Milestone, state: str) -> Milestone:
    Milestone.objects.filter(pk=milestone.pk).update(status=state)
    milestone.refresh_from_db()
    return milestone


def filed(
    w: World, *, kind: str, payload: dict[str, Any], milestone: Milestone | None = None, reason: str = "测试变更"
) -> ChangeRequest:
    return change_request_create(
        actor=w.pm,
        project_id=w.project.pk,
        kind=kind,
        payload=payload,
        reason=reason,
        milestone_id=milestone.pk if milestone else None,
    )


def approved(w: World, **kwargs: Any) -> ChangeRequest:
    cr = filed(w, **kwargs)
    change_request_submit(actor=w.pm, change_request_id=cr.pk)
    return change_request_approve(actor=w.chair, change_request_id=cr.pk, note="同意")


def rejected(w: World, **kwargs: Any) -> ChangeRequest:
    cr = filed(w, **kwargs)
    change_request_submit(actor=w.pm, change_request_id=cr.pk)
    return change_request_reject(actor=w.chair, change_request_id=cr.pk, note="理由不充分")


def dues(project: Project) -> list[tuple[dt.date, dt.date]]:
    """(baseline_due, current_due) of every milestone, by sequence."""
    return list(Milestone.objects.filter(project=project).order_by("sequence").values_list("baseline_due", "current_due"))


__all__ = ["D", "MilestoneState", "World", "approved", "dues", "filed", "rejected", "set_state", "world"]
