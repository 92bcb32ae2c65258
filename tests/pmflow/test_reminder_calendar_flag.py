"""The "no calendar data" flag in reminder e-mail: a reminder about a gate or milestone whose due
date falls in a year without an entered holiday arrangement (2027) says so in its body — the e-mail
that goes out carries the line — and once 2027 is entered a reminder about a 2027 date does not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from milestones.models import GateReview, Milestone, ReviewerAssignment
from pmflow.models import Notification
from pmflow.models import NotificationKind as K
from pmflow.services.calendar import calendar_import
from pmflow.services.delivery import notifications_deliver_pending
from pmflow.services.reminders import reminders_sweep
from tests.factories import GateReviewFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
FLAG = "节假日安排尚未录入"


def _overdue_gate_and_milestone(due: dt.date):
    gate = GateReviewFactory(due_date=due)
    GateReview.objects.filter(pk=gate.pk).update(status="open")
    reviewer = UserFactory(email="reviewer@example.org")
    ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer, has_conflict=False)
    milestone = MilestoneFactory(baseline_due=due)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_progress")
    return gate, reviewer, milestone


def test_a_reminder_about_a_2027_due_date_is_flagged_until_2027_is_entered(reference_data):
    gate, reviewer, milestone = _overdue_gate_and_milestone(D(2027, 1, 4))
    reminders_sweep(today=D(2027, 1, 5))
    review = Notification.objects.get(kind=K.REVIEW_OVERDUE, recipient=reviewer)
    assert review.subject in review.body and FLAG in review.body and "2027-01-04" in review.body
    overdue_ms = Notification.objects.filter(kind__in=[K.MILESTONE_OVERDUE, K.MILESTONE_ESCALATION])
    assert overdue_ms and all(FLAG in n.body for n in overdue_ms)

    notifications_deliver_pending()
    sent = [m for m in mail.outbox if m.to == ["reviewer@example.org"]]
    assert sent and FLAG in sent[0].body and review.subject in sent[0].body

    # 2027 entered: the next reminders about 2027 dates carry no flag
    calendar_import(text="2027-01-01,off,元旦\n2027-10-01,off,国庆节\n")
    Notification.objects.all().delete()
    mail.outbox.clear()
    reminders_sweep(today=D(2027, 1, 5))
    rows = Notification.objects.filter(kind__in=[K.REVIEW_OVERDUE, K.MILESTONE_OVERDUE, K.MILESTONE_ESCALATION])
    assert rows and not any(FLAG in n.body for n in rows)
    notifications_deliver_pending()
    assert mail.outbox and not any(FLAG in m.body for m in mail.outbox)


def test_a_reminder_about_a_2026_due_date_is_not_flagged(reference_data):
    _overdue_gate_and_milestone(D(2026, 6, 1))
    reminders_sweep(today=D(2026, 6, 2))
    rows = Notification.objects.filter(kind__in=[K.REVIEW_OVERDUE, K.MILESTONE_OVERDUE, K.MILESTONE_ESCALATION])
    assert rows and all(n.body == "" for n in rows)
