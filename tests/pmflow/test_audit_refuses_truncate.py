"""The audit trail refuses TRUNCATE too (a statement-level BEFORE TRUNCATE trigger: TRUNCATE fires
no row trigger). Only a connection that sets ``pmflow.audit_truncate=allow`` gets through — the test
settings, because Django empties the test database between transactional tests with a TRUNCATE."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from pmflow.audit import audit_record
from pmflow.models import AuditEntry
from tests.factories import ProjectFactory, UserFactory


def _entry() -> AuditEntry:
    audit_record(obj=ProjectFactory(), actor=UserFactory(), action="update")
    return AuditEntry.objects.latest("pk")


@pytest.mark.django_db
def test_truncate_is_refused_without_the_test_only_option(reference_data):
    entry = _entry()
    for sql in ("TRUNCATE pmflow_auditentry", "TRUNCATE pmflow_auditentry CASCADE"):
        with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own insert left deferred FK checks
                cursor.execute("SET LOCAL pmflow.audit_truncate TO ''")
                cursor.execute(sql)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_connection_with_production_options_cannot_truncate(reference_data):
    entry = _entry()
    params = connection.get_connection_params()
    params.pop("options", None)  # what production connects with: no pmflow.audit_truncate
    params.pop("prepare_threshold", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="TRUNCATE refused"):
            conn.execute("TRUNCATE pmflow_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
