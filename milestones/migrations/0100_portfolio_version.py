# Hand-written (kept by `make migrations-reset`): the portfolio data version, on PostgreSQL.
#
# Every transaction that writes to a table the project list shows adds one row, its own transaction
# id, to pmflow_portfolio_change (a statement trigger; ON CONFLICT DO NOTHING for its later
# statements). Nothing waits: no row is shared between transactions, so no lock, no deadlock. The
# version is (epoch, n + the number of change rows), read in one statement: a later snapshot sees every
# transaction an earlier one saw, so two reads with the same version have seen the same committed
# transactions, hence the same rows of those tables, and a result computed under a version may be
# served again while it stands (projects/api/fast_list.py). Compaction (pmflow.portfolio_version)
# moves change rows into n in one transaction, leaving the sum unchanged for every snapshot. A
# re-created version row (the tables truncated, e.g. by a test flush) has a new epoch.
from django.db import migrations

#: every table whose rows the project list shows or filters by: the projects, the names joined into
#: them, and what decides visibility (team membership, gate chairs, reviewer assignments)
TABLES = [
    "projects_project",
    "projects_pmteam",
    "projects_pmteammembership",
    "projects_field",
    "projects_direction",
    "projects_tier",
    "pmflow_organisation",
    "pmflow_user",
    "milestones_gatereview",
    "milestones_reviewerassignment",
]

CREATE = """
CREATE TABLE IF NOT EXISTS pmflow_portfolio_version (
    id smallint PRIMARY KEY CHECK (id = 1),
    epoch uuid NOT NULL DEFAULT gen_random_uuid(),
    n bigint NOT NULL DEFAULT 0
);
INSERT INTO pmflow_portfolio_version (id) VALUES (1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS pmflow_portfolio_change (xid xid8 PRIMARY KEY);
CREATE OR REPLACE FUNCTION pmflow_portfolio_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO pmflow_portfolio_version (id) VALUES (1) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO pmflow_portfolio_change (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

PER_TABLE = """
DROP TRIGGER IF EXISTS pmflow_portfolio_change ON {table};
CREATE TRIGGER pmflow_portfolio_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change();
"""

DROP = """
DROP FUNCTION IF EXISTS pmflow_portfolio_change();
DROP TABLE IF EXISTS pmflow_portfolio_change;
DROP TABLE IF EXISTS pmflow_portfolio_version;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        for table in TABLES:
            schema_editor.execute(PER_TABLE.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS pmflow_portfolio_change ON {table};")
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("pmflow", "0100_audit_append_only"),
        ("projects", "0001_initial"),
        ("milestones", "0002_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
