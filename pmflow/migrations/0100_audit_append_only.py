# Hand-written (kept by `make migrations-reset`): the audit trail is append-only. On PostgreSQL a
# trigger refuses UPDATE and DELETE on the table, whatever code or admin path tries it.
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION pmflow_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'pmflow_auditentry is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS pmflow_audit_append_only ON pmflow_auditentry;
CREATE TRIGGER pmflow_audit_append_only BEFORE UPDATE OR DELETE ON pmflow_auditentry
    FOR EACH ROW EXECUTE FUNCTION pmflow_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS pmflow_audit_append_only ON pmflow_auditentry;
DROP FUNCTION IF EXISTS pmflow_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("pmflow", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
