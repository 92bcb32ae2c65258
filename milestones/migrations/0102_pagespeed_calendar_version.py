# Hand-written: milestones move the portfolio data version too (issue 15).
#
# The iCalendar feed (and the pages' caches keyed by the same version) show milestone titles, states
# and due dates; the version of 0100 covered every other table they read. The same statement trigger
# (one row per writing transaction, nothing shared, nothing waits). The task recalculation does not
# write milestones, so the API's caches lose nothing to the roll-ups.
from django.db import migrations

PER_TABLE = """
DROP TRIGGER IF EXISTS pmflow_portfolio_change ON milestones_milestone;
CREATE TRIGGER pmflow_portfolio_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON milestones_milestone
    FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PER_TABLE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS pmflow_portfolio_change ON milestones_milestone;")


class Migration(migrations.Migration):
    dependencies = [
        ("milestones", "0101_evidence_title_kind_private_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
