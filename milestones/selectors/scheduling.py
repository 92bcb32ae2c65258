"""Reads for scheduling gate reviews and choosing their reviewers: the committees that may review a
project, each candidate reviewer's open load, and the conflict-of-interest rule for assigning a
reviewer (the one implementation: ``gate_assign_reviewer``, the bulk assignment and the assignment
page all use ``reviewer_conflict``, so the page flags exactly what the services refuse).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from milestones.models import Committee, GateReview, GateState, ReviewerAssignment
from pmflow.models import User
from projects.models import PMTeamMembership, Project

#: gate states in which an assignment still waits on its reviewer
OPEN_LOAD_GATE_STATES = GateState.SCORING_STATES


def committees_for_project(project: Project) -> QuerySet[Committee]:
    """Committees whose fields include the project's field (the only ones that may review it)."""
    return Committee.objects.filter(fields=project.field_id).select_related("chair").order_by("name")


def open_load_filter(prefix: str = "") -> Q:
    """The assignments that count as a reviewer's open load: on a scheduled or open gate, not
    recused, scorecard not yet submitted. ``prefix`` is the lookup path to the assignment."""
    return (
        Q(**{f"{prefix}gate__status__in": OPEN_LOAD_GATE_STATES})
        & ~Q(**{f"{prefix}has_conflict": True})
        & Q(**{f"{prefix}scorecard__submitted_at__isnull": True})
    )


def reviewers_with_open_load(user_ids: Iterable[int] | None = None, *, committee: Committee | None = None) -> QuerySet[User]:
    """Users annotated with ``open_load`` (number of open assignments), one query."""
    qs = User.objects.all() if committee is None else committee.members.all()
    if user_ids is not None:
        qs = qs.filter(pk__in=list(user_ids))
    return qs.select_related("organisation").annotate(
        open_load=Count("review_assignments", filter=open_load_filter("review_assignments__"), distinct=True)
    )


@dataclass(frozen=True)
class ConflictFacts:
    """What the conflict rule needs to know about one gate, read once (three small queries)."""

    gate_id: int
    chair_id: int
    performer_id: int | None
    lead_id: int | None
    pm_team_user_ids: frozenset[int]
    assigned_user_ids: frozenset[int]


def conflict_facts(gate: GateReview) -> ConflictFacts:
    """Facts about ``gate`` and its project (``gate.project`` must be loaded or loadable)."""
    project = gate.project
    return ConflictFacts(
        gate_id=gate.pk,
        chair_id=gate.chair_id,
        performer_id=project.performer_id,
        lead_id=project.lead_id,
        pm_team_user_ids=frozenset(PMTeamMembership.objects.filter(team_id=project.pm_team_id).values_list("user_id", flat=True)),
        assigned_user_ids=frozenset(ReviewerAssignment.objects.filter(gate_id=gate.pk).values_list("reviewer_id", flat=True)),
    )


def reviewer_conflict(facts: ConflictFacts, reviewer: User | None) -> str | None:
    """Why ``reviewer`` may not be assigned to the gate, or None. Checked in this order: inactive,
    from the performer organisation, on the project's PM team, the project lead, the gate's chair,
    already assigned. No query."""
    if reviewer is None or not reviewer.is_active:
        return _("评审专家不存在或已停用。")
    if reviewer.organisation_id is not None and reviewer.organisation_id == facts.performer_id:
        return _("评审专家来自项目承担单位，存在利益冲突，不能分配。")
    if reviewer.pk in facts.pm_team_user_ids:
        return _("评审专家是该项目的项目经理团队成员，不能分配。")
    if reviewer.pk == facts.lead_id:
        return _("项目负责人不能评审本项目。")
    if reviewer.pk == facts.chair_id:
        return _("评审委员会主任不能同时担任本次评审的专家。")
    if reviewer.pk in facts.assigned_user_ids:
        return _("该专家已被分配到本次评审。")
    return None


@dataclass
class Candidate:
    user: User
    open_load: int
    problem: str | None  # a conflict (or already assigned): not selectable
    assigned: bool
    suggested: bool = False


def reviewer_candidates(gate: GateReview) -> list[Candidate]:
    """The gate's committee members, each with open load and conflict, for the assignment page.

    The ``quorum`` eligible members with the lowest load (then name) are marked ``suggested`` when
    nobody is assigned yet. Fixed number of queries (four), whatever the committee's size."""
    facts = conflict_facts(gate)
    members = list(reviewers_with_open_load(committee=gate.committee).order_by("username"))
    rows = [
        Candidate(
            user=u,
            open_load=u.open_load,
            problem=reviewer_conflict(facts, u),
            assigned=u.pk in facts.assigned_user_ids,
        )
        for u in members
    ]
    if not facts.assigned_user_ids:
        eligible = sorted((r for r in rows if r.problem is None), key=lambda r: (r.open_load, r.user.username))
        for r in eligible[: gate.quorum]:
            r.suggested = True
    return rows


def gate_for_assignment(gate_id: Any) -> GateReview | None:
    """The gate with what the assignment page shows (project, milestone, committee, chair)."""
    return (
        GateReview.objects.select_related("project__field__tier", "project__performer", "milestone", "committee", "chair")
        .filter(pk=gate_id)
        .first()
    )


__all__ = [
    "Candidate",
    "ConflictFacts",
    "committees_for_project",
    "conflict_facts",
    "gate_for_assignment",
    "open_load_filter",
    "reviewer_candidates",
    "reviewer_conflict",
    "reviewers_with_open_load",
]
