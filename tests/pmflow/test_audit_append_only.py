"""The audit trail is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE whatever path
tries it, and the admin offers no add, change or delete."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from pmflow.models import AuditEntry
from projects.models import ProjectState
from projects.services.projects import project_transition
from tests.factories import make_admin
from tests.projects.project_support import project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def entry():
    project = project_in_state(ProjectState.ACTIVE)
    project_transition(actor=make_admin(), project_id=project.pk, name="suspend", reason="原始理由")
    return AuditEntry.objects.get(object_id=str(project.pk))


def test_orm_save_of_an_existing_entry_is_refused(entry):
    entry.reason = "篡改"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "原始理由"


def test_queryset_update_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    assert AuditEntry.objects.get(pk=entry.pk).reason == "原始理由"


def test_delete_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_raw_sql_update_and_delete_are_refused(entry):
    for sql in ("UPDATE pmflow_auditentry SET reason = 'x' WHERE id = %s", "DELETE FROM pmflow_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).reason == "原始理由"


def test_admin_offers_no_add_change_or_delete(client, entry):
    from django.contrib import admin

    superuser = make_admin(is_superuser=True)
    model_admin = admin.site._registry[AuditEntry]

    class Req:
        user = superuser

    assert not model_admin.has_add_permission(Req())
    assert not model_admin.has_change_permission(Req(), entry)
    assert not model_admin.has_delete_permission(Req(), entry)
    assert model_admin.has_view_permission(Req(), entry)

    client.force_login(superuser)
    change_url = reverse("admin:pmflow_auditentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change_url, {"reason": "篡改"}).status_code == 403
    assert client.post(reverse("admin:pmflow_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:pmflow_auditentry_add")).status_code == 403
    changelist = client.get(reverse("admin:pmflow_auditentry_changelist"))
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "原始理由"
