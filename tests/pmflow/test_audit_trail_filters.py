"""The audit trail can be read per object and filtered by actor, action and date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pmflow.models import AuditEntry
from projects.models import Project, ProjectState
from projects.selectors.projects import audit_trail
from projects.services.projects import project_transition
from tests.factories import make_admin
from tests.projects.project_support import all_powerful_actor, project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


def test_trail_of_one_object_newest_first_with_actor_from_to_reason_and_time():
    project = project_in_state(ProjectState.APPROVED)
    actor = all_powerful_actor(project)
    project_transition(actor=actor, project_id=project.pk, name="activate")
    project_transition(actor=actor, project_id=project.pk, name="suspend", reason="审计")
    other = project_in_state(ProjectState.ACTIVE)
    project_transition(actor=make_admin(), project_id=other.pk, name="suspend", reason="其他")

    rows = list(audit_trail(project))
    assert [(r.action, r.from_state, r.to_state) for r in rows] == [
        ("suspend", "active", "suspended"),
        ("activate", "approved", "active"),
    ]
    assert all(r.actor == actor and r.created_at is not None for r in rows)
    assert rows[0].reason == "审计"


def test_filters_by_actor_action_model_and_date():
    project = project_in_state(ProjectState.ACTIVE)
    first, second = make_admin(), make_admin()
    project_transition(actor=first, project_id=project.pk, name="suspend", reason="一")
    project_transition(actor=second, project_id=project.pk, name="resume")

    assert [r.action for r in audit_trail(project, actor=first)] == ["suspend"]
    assert [r.action for r in audit_trail(project, actor=second.pk)] == ["resume"]
    assert [r.action for r in audit_trail(model=Project, action="resume")] == ["resume"]
    today = timezone.localdate()
    assert audit_trail(project, date_from=today, date_to=today).count() == 2
    assert audit_trail(project, date_from=today + dt.timedelta(days=1)).count() == 0
    assert audit_trail(project, date_to=today - dt.timedelta(days=1)).count() == 0
    assert audit_trail(actor=first).count() == AuditEntry.objects.filter(actor=first).count() == 1


def test_admin_changelist_filters_the_trail_by_object_actor_and_date(client):
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    project = project_in_state(ProjectState.ACTIVE)
    other = project_in_state(ProjectState.ACTIVE)
    admin = make_admin()
    project_transition(actor=admin, project_id=project.pk, name="suspend", reason="本项目理由")
    project_transition(actor=make_admin(), project_id=other.pk, name="suspend", reason="其他项目理由")
    client.force_login(admin)
    url = reverse("admin:pmflow_auditentry_changelist")
    ct = ContentType.objects.get_for_model(Project)

    html = client.get(url, {"content_type__id__exact": ct.pk, "object_id": project.pk}).content.decode()
    assert "本项目理由" in html and "其他项目理由" not in html
    html = client.get(url, {"actor__id__exact": admin.pk}).content.decode()
    assert "本项目理由" in html and "其他项目理由" not in html
    today = timezone.localdate()
    html = client.get(
        url, {"created_at__gte": today.isoformat(), "created_at__lt": (today + dt.timedelta(days=1)).isoformat()}
    ).content.decode()
    assert "本项目理由" in html and "其他项目理由" in html
    tomorrow = today + dt.timedelta(days=1)
    response = client.get(
        url, {"created_at__gte": tomorrow.isoformat(), "created_at__lt": (tomorrow + dt.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 200
    assert "本项目理由" not in response.content.decode()
