# Hand-written (kept by `make migrations-reset`): the audit trail is append-only, TRUNCATE included.
# TRUNCATE fires no row trigger (0100 covers UPDATE and DELETE), so a statement-level BEFORE
# TRUNCATE trigger refuses it. The one way through is a connection that sets the custom option
# pmflow.audit_truncate to 'allow' (`-c pmflow.audit_truncate=allow` at connect): the test settings
# do, because Django empties the test database between transactional tests with one TRUNCATE of
# every table; production settings never do.
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION pmflow_audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('pmflow.audit_truncate', true), '') = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'pmflow_auditentry is append-only: TRUNCATE refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS pmflow_audit_refuse_truncate ON pmflow_auditentry;
CREATE TRIGGER pmflow_audit_refuse_truncate BEFORE TRUNCATE ON pmflow_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION pmflow_audit_refuse_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS pmflow_audit_refuse_truncate ON pmflow_auditentry;
DROP FUNCTION IF EXISTS pmflow_audit_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("pmflow", "0100_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
