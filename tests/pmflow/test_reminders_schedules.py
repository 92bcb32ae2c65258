"""Beat schedules live in django-celery-beat (editable in admin); ``setup_schedules`` creates them
idempotently and keeps an administrator's edits; the commands run the sweeps by hand."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from pmflow.models import Notification
from projects.management.commands.setup_schedules import SCHEDULES
from tests.factories import MilestoneFactory, ProjectFactory


def test_setup_schedules_is_idempotent_and_keeps_admin_edits(db):
    call_command("setup_schedules", stdout=StringIO())
    call_command("setup_schedules", stdout=StringIO())
    tasks = dict(PeriodicTask.objects.values_list("task", "name"))
    assert set(tasks) >= {s["task"] for s in SCHEDULES}
    assert PeriodicTask.objects.filter(name__in=[s["name"] for s in SCHEDULES]).count() == len(SCHEDULES)

    reminders = PeriodicTask.objects.get(task="pmflow.reminders_sweep")
    assert (reminders.crontab.hour, reminders.crontab.minute, str(reminders.crontab.timezone)) == ("8", "30", "Asia/Shanghai")
    assert PeriodicTask.objects.get(task="pmflow.notifications_deliver").interval.every == 1
    dirty_sweep = PeriodicTask.objects.get(task="projects.task_lists_dirty_recalculate").interval
    assert (dirty_sweep.every, dirty_sweep.period) == (1, "minutes")
    assessment = PeriodicTask.objects.get(task="pmflow.assessment_round_open_current_quarter").crontab
    assert assessment.month_of_year == "1,4,7,10" and assessment.day_of_month == "1"

    reminders.enabled = False  # an administrator switches it off in admin
    reminders.save()
    call_command("setup_schedules", stdout=StringIO())
    assert PeriodicTask.objects.get(task="pmflow.reminders_sweep").enabled is False
    call_command("setup_schedules", "--reset", stdout=StringIO())
    assert PeriodicTask.objects.get(task="pmflow.reminders_sweep").enabled is True


def test_send_reminders_command_writes_and_delivers(reference_data, mailoutbox):
    project = ProjectFactory()
    ms = MilestoneFactory(project=project, baseline_due=dt.date(2026, 6, 2))
    type(ms).objects.filter(pk=ms.pk).update(status="in_progress")
    out = StringIO()
    call_command("send_reminders", "--date", "2026-06-01", "--deliver", stdout=out)
    assert Notification.objects.filter(recipient=project.pm_team.lead).count() == 1
    assert len(mailoutbox) == 1
    assert "1 e-mails sent" in out.getvalue()
