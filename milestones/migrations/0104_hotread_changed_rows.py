# Hand-written (kept by `make migrations-reset`): the portfolio data version moves only when a row
# really changed (issue 14).
#
# Until now one statement trigger per covered table recorded every INSERT/UPDATE/DELETE statement,
# even one that touched no row or wrote the values already there — and every task edit recalculates
# the project roll-ups on commit, so it emptied every user's cached pages. Now each covered table has
# statement triggers with transition tables (REFERENCING OLD TABLE / NEW TABLE): an INSERT or DELETE
# records the transaction when it touched a row, an UPDATE when some row differs from its old version
# (joined by id, compared whole: `n IS DISTINCT FROM o`); TRUNCATE still records always (transition
# tables do not exist for it).
#
# The covered tables are the ones that had the trigger (migrations 0100, 0102, 0103), read from the
# catalog, not retyped here. `SELECT pmflow_portfolio_watch('table')` covers one more table the same
# way (what a later migration should call); `pmflow_portfolio_watched()` lists them.
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION pmflow_portfolio_change_inserted() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
        INSERT INTO pmflow_portfolio_change (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pmflow_portfolio_change_deleted() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
        INSERT INTO pmflow_portfolio_change (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pmflow_portfolio_change_updated() RETURNS trigger AS $$
BEGIN
    -- a row whose id is not among the old rows (its id changed) counts as changed too
    IF EXISTS (SELECT 1 FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id WHERE o.id IS NULL OR n IS DISTINCT FROM o) THEN
        INSERT INTO pmflow_portfolio_change (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pmflow_portfolio_watch(target regclass) RETURNS void AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_change ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_inserted ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_updated ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_deleted ON %s', target);
    EXECUTE format('CREATE TRIGGER pmflow_portfolio_change AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change()', target);
    EXECUTE format('CREATE TRIGGER pmflow_portfolio_inserted AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change_inserted()', target);
    EXECUTE format('CREATE TRIGGER pmflow_portfolio_updated AFTER UPDATE ON %s '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change_updated()', target);
    EXECUTE format('CREATE TRIGGER pmflow_portfolio_deleted AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change_deleted()', target);
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pmflow_portfolio_watched() RETURNS SETOF regclass AS $$
    SELECT DISTINCT tgrelid::regclass FROM pg_trigger
    WHERE tgname = 'pmflow_portfolio_change' AND NOT tgisinternal ORDER BY 1;
$$ LANGUAGE sql STABLE;

SELECT pmflow_portfolio_watch(t) FROM pmflow_portfolio_watched() AS t;
"""

BACKWARDS = """
CREATE OR REPLACE FUNCTION pmflow_portfolio_unwatch(target regclass) RETURNS void AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_inserted ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_updated ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_deleted ON %s', target);
    EXECUTE format('DROP TRIGGER IF EXISTS pmflow_portfolio_change ON %s', target);
    EXECUTE format('CREATE TRIGGER pmflow_portfolio_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION pmflow_portfolio_change()', target);
END;
$$ LANGUAGE plpgsql;
SELECT pmflow_portfolio_unwatch(t) FROM pmflow_portfolio_watched() AS t;
DROP FUNCTION pmflow_portfolio_unwatch(regclass);
DROP FUNCTION pmflow_portfolio_watched();
DROP FUNCTION pmflow_portfolio_watch(regclass);
DROP FUNCTION pmflow_portfolio_change_updated();
DROP FUNCTION pmflow_portfolio_change_deleted();
DROP FUNCTION pmflow_portfolio_change_inserted();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # sent as is: no placeholders


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("milestones", "0103_pagespeed_dashboard_version")]
    operations = [migrations.RunPython(forwards, backwards)]
