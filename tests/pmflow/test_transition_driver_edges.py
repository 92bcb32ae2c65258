"""The transition driver when the transition method itself refuses after ``can_proceed`` passed
(a condition that changed in between, or a concurrent save): a 409 conflict, the row unchanged, no
audit row and no effects — through the service and through the API."""

from __future__ import annotations

import pytest
from django_fsm import ConcurrentTransition
from rest_framework.test import APIClient

from pmflow import transitions
from pmflow.errors import Conflict
from pmflow.models import AuditEntry
from projects.models import Project, ProjectState
from tests.factories import make_admin
from tests.projects.project_support import project_in_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def can_proceed_lies(monkeypatch):
    """``can_proceed`` says yes; the transition method then finds its source state wrong."""
    monkeypatch.setattr(transitions, "can_proceed", lambda method, *args, **kwargs: True)


def _run(project: Project, effects: list) -> None:
    transitions.transition_run(
        model=Project,
        pk=project.pk,
        name="suspend",
        actor=make_admin(),
        reason="暂停",
        effects=lambda obj, from_state: effects.append(from_state),
    )


def test_a_method_refusing_after_can_proceed_is_a_conflict_with_no_audit_row(can_proceed_lies):
    project = project_in_state(ProjectState.DRAFT)  # suspend is allowed from active only
    effects: list = []
    with pytest.raises(Conflict) as caught:
        _run(project, effects)
    assert caught.value.http_status == 409
    assert Project.objects.get(pk=project.pk).status == ProjectState.DRAFT
    assert not AuditEntry.objects.filter(object_id=str(project.pk)).exists()
    assert effects == []


def test_a_concurrent_save_is_a_conflict_with_no_audit_row(monkeypatch):
    project = project_in_state(ProjectState.ACTIVE)

    def lost(self, *args, **kwargs):
        raise ConcurrentTransition("changed under us")

    monkeypatch.setattr(Project, "save", lost)
    effects: list = []
    with pytest.raises(Conflict):
        _run(project, effects)
    monkeypatch.undo()
    assert Project.objects.get(pk=project.pk).status == ProjectState.ACTIVE
    assert not AuditEntry.objects.filter(object_id=str(project.pk)).exists()
    assert effects == []


def test_the_api_answers_409_and_writes_no_audit_row(can_proceed_lies):
    project = project_in_state(ProjectState.DRAFT)
    client = APIClient()
    client.force_authenticate(make_admin())
    response = client.post(f"/api/v1/projects/{project.pk}/transitions/suspend/", {"reason": "暂停"}, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["error"]["code"] == "conflict"
    assert Project.objects.get(pk=project.pk).status == ProjectState.DRAFT
    assert not AuditEntry.objects.filter(object_id=str(project.pk)).exists()


def test_without_the_lie_the_same_call_is_refused_by_can_proceed():
    project = project_in_state(ProjectState.DRAFT)
    with pytest.raises(Conflict) as caught:
        _run(project, [])
    assert caught.value.extra == {"state": ProjectState.DRAFT}  # the can_proceed refusal names the state
    assert not AuditEntry.objects.filter(object_id=str(project.pk)).exists()
