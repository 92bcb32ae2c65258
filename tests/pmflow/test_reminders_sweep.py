"""Reminder sweep: who gets which reminder when, working days (statutory holidays and 调休
counted), escalation, no reminders on non-working days, repeat sweeps are no-ops, fixed queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from milestones.models import GateReview, Milestone, ReviewerAssignment, Scorecard
from pmflow.models import Notification, NotificationPreference
from pmflow.models import NotificationKind as K
from pmflow.services.reminders import reminder_stages, reminders_sweep
from tests.factories import GateReviewFactory, MilestoneFactory, ProjectFactory, UserFactory, add_member

D = dt.date
MON = D(2026, 6, 1)  # a working Monday; 06-02 … 06-05 are working days too


def set_state(model, pk, state):
    model.objects.filter(pk=pk).update(status=state)  # FSM field is protected; tests set the fixture state directly


def gate_with_reviewers(due: dt.date, state: str = "open"):
    gate = GateReviewFactory(due_date=due)
    set_state(GateReview, gate.pk, state)
    waiting, conflicted, submitted, draft = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    ReviewerAssignment.objects.create(gate=gate, reviewer=waiting)
    ReviewerAssignment.objects.create(gate=gate, reviewer=conflicted, has_conflict=True)
    done = ReviewerAssignment.objects.create(gate=gate, reviewer=submitted, has_conflict=False)
    Scorecard.objects.create(assignment=done, recommendation="go", submitted_at=timezone.now())
    pending = ReviewerAssignment.objects.create(gate=gate, reviewer=draft, has_conflict=False)
    Scorecard.objects.create(assignment=pending, recommendation="go")
    return gate, {"waiting": waiting, "conflicted": conflicted, "submitted": submitted, "draft": draft}


def rows(**filters):
    return list(
        Notification.objects.filter(**filters).order_by("recipient_id", "kind").values_list("recipient_id", "kind", "due_date")
    )


def test_stages_count_working_days():
    assert reminder_stages(MON) == {D(2026, 6, 1): 0, D(2026, 6, 2): 1, D(2026, 6, 3): 2, D(2026, 6, 4): 3}
    # Thursday before the Mid-Autumn holiday (09-25 … 09-27 off): the next working day is Monday
    assert reminder_stages(D(2026, 9, 24))[D(2026, 9, 28)] == 1
    assert reminder_stages(D(2026, 9, 24))[D(2026, 9, 30)] == 3
    assert D(2026, 10, 8) not in reminder_stages(D(2026, 9, 24))


def test_review_due_in_3_working_days_reminds_reviewers_who_have_not_submitted(reference_data):
    gate, people = gate_with_reviewers(D(2026, 6, 4))
    reminders_sweep(today=MON)
    assert {r[0] for r in rows(kind=K.REVIEW_DUE)} == {people["waiting"].pk, people["draft"].pk}
    assert not Notification.objects.exclude(kind=K.REVIEW_DUE).exists()


def test_early_and_final_reminders_are_each_written_once(reference_data):
    gate, people = gate_with_reviewers(D(2026, 6, 4))
    reminders_sweep(today=MON)  # 3 working days left: early
    reminders_sweep(today=MON)  # repeat: no-op
    reminders_sweep(today=D(2026, 6, 2))  # 2 left: still the early stage, nothing new
    assert Notification.objects.count() == 2
    reminders_sweep(today=D(2026, 6, 3))  # 1 left: final reminder
    reminders_sweep(today=D(2026, 6, 4))  # due today: still final stage, nothing new
    assert Notification.objects.filter(kind=K.REVIEW_DUE).count() == 4
    assert Notification.objects.filter(recipient=people["waiting"]).count() == 2


def test_review_not_yet_in_window_gets_nothing(reference_data):
    gate_with_reviewers(D(2026, 6, 5))  # 4 working days left
    assert reminders_sweep(today=MON) == 0
    assert not Notification.objects.exists()


@pytest.mark.parametrize("state", ["closed", "decided", "cancelled"])
def test_reviews_past_scoring_get_no_reminder(reference_data, state):
    gate_with_reviewers(D(2026, 5, 1), state=state)
    reminders_sweep(today=MON)
    assert not Notification.objects.exists()


def test_overdue_review_reminds_reviewers_and_escalates_to_the_chair(reference_data):
    gate, people = gate_with_reviewers(D(2026, 5, 29), state="scheduled")
    reminders_sweep(today=MON)
    reminders_sweep(today=D(2026, 6, 2))  # still overdue: no second copy
    assert {r[0] for r in rows(kind=K.REVIEW_OVERDUE)} == {people["waiting"].pk, people["draft"].pk}
    assert rows(kind=K.REVIEW_ESCALATION) == [(gate.chair_id, K.REVIEW_ESCALATION, D(2026, 5, 29))]


def milestone_in(state: str, due: dt.date):
    project = ProjectFactory()
    member = add_member(project.pm_team)
    ms = MilestoneFactory(project=project, baseline_due=due)
    set_state(Milestone, ms.pk, state)
    return ms, project.pm_team.lead, member


def test_milestone_due_reminds_the_pm_team(reference_data):
    ms, lead, member = milestone_in("in_progress", D(2026, 6, 2))
    reminders_sweep(today=MON)
    assert {r[0] for r in rows(kind=K.MILESTONE_DUE)} == {lead.pk, member.pk}


def test_overdue_milestone_escalates_to_the_pm_team_lead(reference_data):
    ms, lead, member = milestone_in("submitted", D(2026, 5, 29))
    reminders_sweep(today=MON)
    assert {r[0] for r in rows(kind=K.MILESTONE_OVERDUE)} == {lead.pk, member.pk}
    assert rows(kind=K.MILESTONE_ESCALATION) == [(lead.pk, K.MILESTONE_ESCALATION, D(2026, 5, 29))]


@pytest.mark.parametrize("state", ["planned", "in_review", "passed", "cancelled"])
def test_milestones_in_other_states_get_no_reminder(reference_data, state):
    milestone_in(state, D(2026, 5, 29))
    reminders_sweep(today=MON)
    assert not Notification.objects.exists()


def test_no_reminder_on_a_non_working_day(reference_data):
    milestone_in("in_progress", D(2026, 10, 8))
    gate_with_reviewers(D(2026, 9, 30))
    for holiday in (D(2026, 10, 1), D(2026, 10, 5), D(2026, 6, 6)):  # National Day, its extra day off, a Saturday
        assert reminders_sweep(today=holiday) == 0
    assert not Notification.objects.exists()


def test_reminders_across_the_national_day_holiday(reference_data):
    ms, lead, member = milestone_in("in_progress", D(2026, 10, 8))
    reminders_sweep(today=D(2026, 9, 24))  # 4 working days left (09-28, 29, 30, 10-08): nothing
    assert not Notification.objects.exists()
    reminders_sweep(today=D(2026, 9, 28))  # 3 left
    assert Notification.objects.count() == 2
    reminders_sweep(today=D(2026, 9, 29))  # 2 left
    reminders_sweep(today=D(2026, 9, 30))  # 1 left: final reminder before the holiday
    assert Notification.objects.count() == 4


def test_preferences_decide_email_and_inactive_users_get_nothing(reference_data):
    gate, people = gate_with_reviewers(D(2026, 6, 2))
    NotificationPreference.objects.create(user=people["waiting"], email_enabled=False)
    people["draft"].is_active = False
    people["draft"].save(update_fields=["is_active"])
    reminders_sweep(today=MON)
    row = Notification.objects.get()
    assert row.recipient_id == people["waiting"].pk
    assert row.send_email is False


def test_sweep_issues_a_fixed_number_of_queries(reference_data, django_assert_num_queries):
    def build(n):
        for _ in range(n):
            gate_with_reviewers(D(2026, 6, 3))
            gate_with_reviewers(D(2026, 5, 20))
            milestone_in("in_progress", D(2026, 6, 2))
            milestone_in("submitted", D(2026, 5, 20))

    build(1)
    reminders_sweep(today=MON)  # warm the content-type cache
    Notification.objects.all().delete()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        reminders_sweep(today=MON)
    Notification.objects.all().delete()
    build(4)
    with CaptureQueriesContext(connection) as large:
        written = reminders_sweep(today=MON)
    assert written == 5 * (2 + 3 + 2 + 3)  # per set: due 2; overdue 2 + chair; milestone due 2; overdue 2 + lead
    assert len(large.captured_queries) == len(small.captured_queries) <= 10
