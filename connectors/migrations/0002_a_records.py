"""Webhook deliveries and the events in them are public records (KAU-PUBLIC-RECORD): on PostgreSQL a
trigger refuses to delete them, as for items and log entries (moderation 0002 made the function).
A delivery's status is still updated by the worker, so only DELETE is refused."""

from django.db import migrations

NO_DELETE_SQL = """
CREATE OR REPLACE FUNCTION kanalvakt_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Kanalvakt keeps % as a public record: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER connectors_delivery_no_delete BEFORE DELETE ON connectors_delivery
    FOR EACH ROW EXECUTE FUNCTION kanalvakt_refuse_change();
CREATE TRIGGER connectors_event_no_delete BEFORE DELETE ON connectors_event
    FOR EACH ROW EXECUTE FUNCTION kanalvakt_refuse_change();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS connectors_event_no_delete ON connectors_event;
DROP TRIGGER IF EXISTS connectors_delivery_no_delete ON connectors_delivery;
"""


def no_delete(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_DELETE_SQL, params=None)


def allow_delete(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0001_initial"),
        ("moderation", "0002_moderation_log"),
    ]

    operations = [migrations.RunPython(no_delete, allow_delete, elidable=False)]
