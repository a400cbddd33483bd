"""The governance_* tables of the organisation tree and the institution's settings become core_*.

Every row is kept: the tables (and their history tables) are renamed, and their content types move
from governance to core, so that permissions (``core.change_institutionsettings``), guardian's object
permissions, the admin log and any generic relation keep pointing at the same rows.
"""

from django.db import migrations

MODELS = ("orgunit", "historicalorgunit", "institutionsettings", "historicalinstitutionsettings")


def _move_content_types(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        # A type created for the target before this ran (it cannot be in use yet) gives way.
        moving = ContentType.objects.using(db).filter(app_label=source, model=model)
        if moving.exists():
            ContentType.objects.using(db).filter(app_label=target, model=model).delete()
            moving.update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="governance", target="core")


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="core", target="governance")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0006_units_and_settings_state"),
        ("accounts", "0006_unit_in_core"),
        ("governance", "0007_units_and_settings_to_core"),
    ]

    operations = [
        migrations.AlterModelTable(name="orgunit", table=None),
        migrations.AlterModelTable(name="historicalorgunit", table=None),
        migrations.AlterModelTable(name="institutionsettings", table=None),
        migrations.AlterModelTable(name="historicalinstitutionsettings", table=None),
        migrations.RunPython(forwards, backwards),
    ]
