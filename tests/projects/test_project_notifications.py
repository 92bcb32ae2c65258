"""A project state change writes STATE_CHANGED outbox rows for the PM-team lead and the project lead
in the same transaction; each change gets its own row."""

from __future__ import annotations

import pytest

from pmflow.models import Notification, NotificationKind
from projects.services.projects import project_transition
from tests.factories import make_admin
from tests.projects.project_support import project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


def test_state_change_notifies_pm_lead_and_project_lead_once_per_change():
    project = project_in_state("active")
    admin = make_admin()
    project_transition(actor=admin, project_id=project.pk, name="suspend", reason="审计")
    project_transition(actor=admin, project_id=project.pk, name="resume")

    rows = Notification.objects.filter(kind=NotificationKind.STATE_CHANGED)
    assert rows.count() == 4
    assert set(rows.values_list("recipient_id", flat=True)) == {project.pm_team.lead_id, project.lead_id}
    subjects = set(rows.values_list("subject", flat=True))
    assert any(project.code in s and "已暂停" in s for s in subjects)


def test_refused_transition_writes_no_notification():
    from pmflow.errors import Conflict

    project = project_in_state("draft")
    with pytest.raises(Conflict):
        project_transition(actor=make_admin(), project_id=project.pk, name="close")
    assert not Notification.objects.exists()


def test_effects_hook_runs_in_the_same_transaction_and_its_failure_rolls_back():
    from projects.models import Project

    project = project_in_state("active")
    seen = []

    def effects(obj, from_state):
        seen.append((obj.status, from_state))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        project_transition(actor=make_admin(), project_id=project.pk, name="suspend", reason="x", effects=effects)
    assert seen == [("suspended", "active")]
    assert Project.objects.get(pk=project.pk).status == "active"
    assert not Notification.objects.exists()
