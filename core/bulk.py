"""Bulk inserts for the jobs that write thousands of rows a second (the deadline sweep).

``bulk_create`` builds a model instance per row and prepares every value through its field, which
costs more than the database's own work at this scale. ``insert_rows`` takes plain rows (dicts of
column values by attribute name) and, on PostgreSQL, writes them as one multi-row ``INSERT`` per
page with the values bound by psycopg2 itself; elsewhere (SQLite, the embedded default) it falls
back to ``bulk_create``. Both go through Django's cursor, so the queries are seen by the query log
and the tests that count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

PAGE = 1000


def insert_rows(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts: bool = False,
    page: int = PAGE,
) -> None:
    """Insert ``rows`` into ``model``'s table. A column a row leaves out takes the field's default
    (computed once per call). With ``ignore_conflicts`` a row that breaks a unique constraint is
    skipped (``ON CONFLICT DO NOTHING``), as ``bulk_create(ignore_conflicts=True)`` does. Nothing
    is returned: no primary keys, no model instances. The caller's transaction holds the writes."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**row) for row in rows], batch_size=page, ignore_conflicts=ignore_conflicts
        )
        return
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]
    defaults = {field.attname: _default(field) for field in fields}
    json_fields = {field.attname: field for field in fields if isinstance(field, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    suffix = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, to bind values without running a query
        for start in range(0, len(rows), page):
            values = []
            for row in rows[start : start + page]:
                params = []
                for field in fields:
                    value = row.get(field.attname, defaults[field.attname])
                    if field.attname in json_fields:
                        value = json_fields[field.attname].get_db_prep_value(value, connection)
                    params.append(value)
                values.append(raw.mogrify(placeholder, params).decode())
            # Every value is bound by psycopg2 (mogrify); names come from the model's metadata, quoted.
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)}{suffix}"  # noqa: S608  # nosec B608
            cursor.execute(sql)


def _default(field: models.Field[Any, Any]) -> Any:
    if field.default is NOT_PROVIDED and field.null:
        return None
    return field.get_default()
