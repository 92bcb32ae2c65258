"""Helpers for the project lifecycle tests (issue 3): projects in a given state, the people around them."""

from __future__ import annotations

from typing import Any

from projects.models import Project, ProjectState
from tests.factories import GateReviewFactory, ProjectFactory, UserFactory, add_member, make_admin

S = ProjectState

# DESIGN.md §3, written out independently of the model so the tests check the model against it.
ALLOWED: dict[str, dict[str, str]] = {
    "submit": {S.DRAFT: S.SUBMITTED},
    "start_screening": {S.SUBMITTED: S.SCREENING},
    "approve": {S.SCREENING: S.APPROVED, S.NON_CONSENSUS: S.APPROVED},
    "send_to_non_consensus": {S.SCREENING: S.NON_CONSENSUS},
    "reject": {S.SCREENING: S.REJECTED, S.NON_CONSENSUS: S.REJECTED},
    "activate": {S.APPROVED: S.ACTIVE},
    "suspend": {S.ACTIVE: S.SUSPENDED},
    "resume": {S.SUSPENDED: S.ACTIVE},
    "start_closing": {S.ACTIVE: S.CLOSING},
    "close": {S.CLOSING: S.CLOSED},
    "reopen": {S.CLOSING: S.ACTIVE},
    "terminate": {
        s: S.TERMINATED for s in (S.SUBMITTED, S.SCREENING, S.NON_CONSENSUS, S.APPROVED, S.ACTIVE, S.SUSPENDED, S.CLOSING)
    },
}


def project_in_state(state: str, **kwargs: Any) -> Project:
    """A project put straight into ``state`` (test set-up only: a queryset update, no transition)."""
    project = ProjectFactory(**kwargs)
    Project.objects.filter(pk=project.pk).update(status=state)
    return Project.objects.get(pk=project.pk)


def all_powerful_actor(project: Project):
    """A programme admin who is also a member of the project's PM team: may take every transition."""
    user = make_admin()
    add_member(project.pm_team, user)
    return user


def screening_chair(project: Project):
    gate = GateReviewFactory(project=project, kind="screening")
    return gate.chair


def assigned_reviewer(project: Project, *, conflicted: bool = False):
    from milestones.models import ReviewerAssignment

    gate = project.gate_reviews.first() or GateReviewFactory(project=project, kind="screening")
    reviewer = UserFactory()
    ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer, has_conflict=conflicted)
    return reviewer


def row_snapshot(project: Project) -> dict[str, Any]:
    return Project.objects.filter(pk=project.pk).values().get()
