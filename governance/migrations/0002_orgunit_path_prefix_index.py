"""On PostgreSQL, an index that serves ``path LIKE 'prefix%'`` whatever the database collation.

"This unit and every unit below it" (registry filters, the accounts a head sees) is a prefix match on
OrgUnit.path; a plain b-tree index only serves LIKE under the C collation.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS governance_orgunit_path_prefix "
            "ON governance_orgunit (path text_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS governance_orgunit_path_prefix")


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
