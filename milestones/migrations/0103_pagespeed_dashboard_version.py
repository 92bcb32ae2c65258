# Hand-written: funding awards, tranche releases and non-consensus approvals move the portfolio data
# version too (issue 15), so the dashboard's figures can be kept under it (projects/selectors/
# dashboard.py ``portfolio_summary_cached``). All are rare writes (a gate decision, an award);
# task progress, the frequent write, stays outside the version and the dashboard reads it live.
from django.db import migrations

TABLES = [
    "projects_fundingaward",
    "milestones_trancherelease",
    "milestones_nonconsensusapproval",
    # who is a programme admin decides what the dashboard and the project list show
    "pmflow_user_groups",
]

PER_TABLE = """
DROP TRIGGER IF EXISTS pmflow_portfolio_change ON {table};
CREATE TRIGGER pmflow_portfolio_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(PER_TABLE.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS pmflow_portfolio_change ON {table};")


class Migration(migrations.Migration):
    dependencies = [
        ("milestones", "0102_pagespeed_calendar_version"),
        ("projects", "0004_policy_award_items"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
