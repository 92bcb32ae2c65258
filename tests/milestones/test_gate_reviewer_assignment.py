"""Assigning reviewers: never from the performer organisation or the PM team; the reviewer is
notified through the outbox."""

from __future__ import annotations

import pytest

from milestones.models import ReviewerAssignment
from milestones.services.gates import gate_assign_reviewer, gate_schedule
from pmflow.errors import Forbidden, InvalidInput
from pmflow.models import Notification, NotificationKind
from tests.factories import UserFactory
from tests.milestones.conftest import CRITERIA, project_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate(cast):
    project = project_in(cast)
    return gate_schedule(
        actor=cast.chair, project_id=project.pk, kind="screening", committee_id=cast.committee.pk, criteria=CRITERIA
    )


def test_a_reviewer_from_the_performer_organisation_is_refused(cast, gate):
    colleague = UserFactory(organisation=cast.performer)
    with pytest.raises(InvalidInput) as exc:
        gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=colleague.pk)
    assert "reviewer" in exc.value.fields
    assert not ReviewerAssignment.objects.filter(gate=gate).exists()


@pytest.mark.parametrize("who", ["pm_lead", "pm_member"])
def test_a_member_of_the_projects_pm_team_is_refused(cast, gate, who):
    with pytest.raises(InvalidInput) as exc:
        gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=getattr(cast, who).pk)
    assert "reviewer" in exc.value.fields
    assert not ReviewerAssignment.objects.filter(gate=gate).exists()


def test_the_project_lead_cannot_review_their_own_project(cast, gate):
    with pytest.raises(InvalidInput):
        gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=cast.project_lead.pk)


def test_an_independent_reviewer_is_assigned_and_notified_once(cast, gate):
    reviewer = cast.reviewers[0]
    assignment = gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=reviewer.pk)
    assert assignment.has_conflict is None
    notes = Notification.objects.filter(recipient=reviewer, kind=NotificationKind.REVIEW_ASSIGNED)
    assert notes.count() == 1
    assert notes.get().due_date == gate.due_date
    with pytest.raises(InvalidInput):  # twice is refused, not duplicated
        gate_assign_reviewer(actor=cast.chair, gate_id=gate.pk, reviewer_id=reviewer.pk)
    assert notes.count() == 1


def test_only_the_chair_or_an_admin_assigns_reviewers(cast, gate):
    with pytest.raises(Forbidden):
        gate_assign_reviewer(actor=cast.pm_lead, gate_id=gate.pk, reviewer_id=cast.reviewers[0].pk)
    with pytest.raises(Forbidden):
        gate_assign_reviewer(actor=cast.reviewers[1], gate_id=gate.pk, reviewer_id=cast.reviewers[0].pk)
    gate_assign_reviewer(actor=cast.admin, gate_id=gate.pk, reviewer_id=cast.reviewers[0].pk)
