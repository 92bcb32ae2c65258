"""Task reminders (projects/services/task_reminders.py): task owners and list owners get a due-soon
reminder (within 3 working days) and an overdue one, each exactly once per (recipient, kind, task,
due date) — across repeated and concurrent sweeps — on working days only; project leads get one
weekly digest of their overdue tasks; preferences apply."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core import mail

from pmflow.models import Notification, NotificationKind, NotificationPreference, NotificationStatus
from pmflow.services.delivery import notifications_deliver_pending
from projects.models import Project, ProjectState, Task
from projects.services.task_reminders import task_reminders_sweep
from tests.factories import KeyTaskListFactory, ProjectFactory, TaskFactory, UserFactory
from tests.pmflow.test_reminders_concurrent import run_concurrently

K = NotificationKind
MONDAY = dt.date(2026, 6, 1)  # a working day
THURSDAY = dt.date(2026, 6, 4)  # 3 working days after MONDAY
NEXT_MONDAY = dt.date(2026, 6, 8)  # 5 working days after MONDAY: not due soon yet
SATURDAY = dt.date(2026, 6, 6)


def task(project: Project, *, due: dt.date, owner=None, **extra) -> Task:
    task_list = KeyTaskListFactory(pm_team=project.pm_team, project=project)
    return TaskFactory(task_list=task_list, start_date=dt.date(2026, 1, 1), due_date=due, owner=owner, **extra)


def reminders() -> Counter:
    return Counter(
        (n.recipient_id, n.kind, int(n.object_id), n.due_date)
        for n in Notification.objects.filter(kind__in=(K.TASK_DUE, K.TASK_OVERDUE))
    )


@pytest.fixture
def project(reference_data):
    return ProjectFactory()


def test_owner_and_list_owner_get_due_soon_and_overdue_reminders_once(project):
    owner = UserFactory()
    lead = project.pm_team.lead
    soon = task(project, due=THURSDAY, owner=owner)
    late = task(project, due=dt.date(2026, 5, 20), owner=owner)
    task(project, due=NEXT_MONDAY, owner=owner)  # 5 working days away: not yet
    task(project, due=dt.date(2026, 5, 20), owner=owner, progress=100, done_date=dt.date(2026, 5, 19))  # done

    assert task_reminders_sweep(today=MONDAY) == 4 + 1  # + the weekly digest to the project lead
    assert reminders() == Counter(
        {
            (owner.pk, K.TASK_DUE, soon.pk, THURSDAY): 1,
            (lead.pk, K.TASK_DUE, soon.pk, THURSDAY): 1,
            (owner.pk, K.TASK_OVERDUE, late.pk, dt.date(2026, 5, 20)): 1,
            (lead.pk, K.TASK_OVERDUE, late.pk, dt.date(2026, 5, 20)): 1,
        }
    )
    row = Notification.objects.get(recipient=owner, kind=K.TASK_OVERDUE)
    assert soon.title not in row.subject and late.title in row.subject and "2026-05-20" in row.subject
    assert row.url.endswith(f"/{late.task_list_id}/")

    # The next days: nothing new for the same due dates; a rescheduled task gets fresh reminders.
    assert task_reminders_sweep(today=MONDAY + dt.timedelta(days=1)) == 0
    Task.objects.filter(pk=late.pk).update(due_date=THURSDAY)
    # Wednesday: the rescheduled task, and the one due next Monday (now 3 working days away)
    assert task_reminders_sweep(today=MONDAY + dt.timedelta(days=2)) == 2 + 2
    assert reminders()[(owner.pk, K.TASK_DUE, late.pk, THURSDAY)] == 1


def test_a_task_without_an_owner_still_reminds_the_list_owner_and_owner_who_leads_gets_one(project):
    lead = project.pm_team.lead
    orphan = task(project, due=THURSDAY)
    own = task(project, due=THURSDAY, owner=lead)
    task_reminders_sweep(today=MONDAY)
    assert reminders() == Counter({(lead.pk, K.TASK_DUE, orphan.pk, THURSDAY): 1, (lead.pk, K.TASK_DUE, own.pk, THURSDAY): 1})


def test_no_reminders_on_a_non_working_day_or_for_closed_projects(project):
    task(project, due=dt.date(2026, 5, 20), owner=UserFactory())
    closed = ProjectFactory()
    task(closed, due=dt.date(2026, 5, 20), owner=UserFactory())
    Project.objects.filter(pk=closed.pk).update(status=ProjectState.CLOSED)

    assert task_reminders_sweep(today=SATURDAY) == 0
    assert not Notification.objects.exists()
    task_reminders_sweep(today=MONDAY)
    assert {n.object_id for n in Notification.objects.filter(kind=K.TASK_OVERDUE)} == {
        str(t.pk) for t in Task.objects.filter(task_list__project=project)
    }


def test_preferences_apply_and_rows_are_delivered(project):
    in_app_only, no_address, inactive = UserFactory(), UserFactory(email=""), UserFactory(is_active=False)
    NotificationPreference.objects.create(user=in_app_only, email_enabled=False)
    for owner in (in_app_only, no_address, inactive):
        task(project, due=THURSDAY, owner=owner)
    task_reminders_sweep(today=MONDAY)
    send_email = dict(Notification.objects.filter(kind=K.TASK_DUE).values_list("recipient_id", "send_email"))
    assert send_email == {in_app_only.pk: False, no_address.pk: False, project.pm_team.lead_id: True}  # inactive: none

    mail.outbox.clear()
    notifications_deliver_pending()
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 3  # the lead, one per task
    assert {m.to[0] for m in mail.outbox} == {project.pm_team.lead.email}


def test_project_lead_gets_one_weekly_digest_of_overdue_tasks(project):
    late = [task(project, due=dt.date(2026, 5, d), owner=UserFactory()) for d in (11, 12, 13)]
    task(project, due=THURSDAY)
    task_reminders_sweep(today=MONDAY)
    digests = Notification.objects.filter(kind=K.TASK_OVERDUE_WEEKLY)
    [digest] = digests
    assert (digest.recipient_id, digest.object_id, digest.due_date) == (project.lead_id, str(project.pk), MONDAY)
    assert all(t.title in digest.body for t in late) and "3" in digest.subject

    task_reminders_sweep(today=MONDAY + dt.timedelta(days=2))  # same week: no second digest
    assert digests.count() == 1
    task_reminders_sweep(today=NEXT_MONDAY)
    assert list(digests.order_by("due_date").values_list("due_date", flat=True)) == [MONDAY, NEXT_MONDAY]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_write_each_reminder_exactly_once(reference_data):
    expected = Counter()
    for i in range(6):
        project = ProjectFactory()
        owner = UserFactory()
        due = THURSDAY if i % 2 else dt.date(2026, 5, 20)
        t = task(project, due=due, owner=owner)
        kind = K.TASK_DUE if i % 2 else K.TASK_OVERDUE
        expected[(owner.pk, kind, t.pk, due)] = 1
        expected[(project.pm_team.lead_id, kind, t.pk, due)] = 1

    written = run_concurrently(lambda: task_reminders_sweep(today=MONDAY), n=2)
    assert sum(written) == len(expected) + 3  # + one weekly digest per project with an overdue task
    assert reminders() == expected
    assert Notification.objects.filter(kind=K.TASK_OVERDUE_WEEKLY).count() == 3
