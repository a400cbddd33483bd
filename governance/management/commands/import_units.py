"""manage.py import_units FILE.csv: build or extend the organisation tree from a CSV file.

Columns: code, name, name_en, kind, parent_code, head (a user name). Parents come before their
children. Units that exist (by code) get their names and head updated; none is ever deleted.
Everything is checked first and nothing is written unless the whole file is clean.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.models import OrgUnit, User
from governance import services

COLUMNS = ("code", "name", "name_en", "kind", "parent_code", "head")


class Command(BaseCommand):
    help = (
        "Create or update units of the organisation tree from CSV (code,name,name_en,kind,parent_code,head)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = [
                    {key: (value or "").strip() for key, value in row.items() if key is not None}
                    for row in csv.DictReader(handle)
                ]
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        if not rows or set(COLUMNS) - set(rows[0]):
            raise CommandError(f"The file needs the columns {', '.join(COLUMNS)}.")
        errors = self._check(rows)
        if errors:
            raise CommandError("Nothing was imported:\n" + "\n".join(errors))
        created = updated = 0
        with transaction.atomic():
            for row in rows:
                head = User.objects.get(username=row["head"]) if row["head"].strip() else None
                unit = OrgUnit.objects.filter(code=row["code"]).first()
                if unit is None:
                    parent = (
                        OrgUnit.objects.get(code=row["parent_code"]) if row["parent_code"].strip() else None
                    )
                    services.create_unit(
                        name=row["name"],
                        name_en=row["name_en"],
                        code=row["code"],
                        kind=row["kind"],
                        parent=parent,
                        head=head,
                        by=None,
                    )
                    created += 1
                else:
                    services.update_unit(
                        unit, name=row["name"], name_en=row["name_en"], kind=row["kind"], by=None
                    )
                    if unit.head != head:
                        services.set_unit_head(unit, head=head, by=None)
                    updated += 1
        self.stdout.write(self.style.SUCCESS(f"{created} units created, {updated} updated."))

    def _check(self, rows: list[dict[str, str]]) -> list[str]:
        errors = []
        known = set(OrgUnit.objects.values_list("code", flat=True))
        seen: set[str] = set()
        usernames = set(User.objects.filter(is_active=True).values_list("username", flat=True))
        for number, row in enumerate(rows, start=2):
            code = row["code"].strip()
            if not code or not row["name"].strip():
                errors.append(f"line {number}: code and name are required")
            if code in seen:
                errors.append(f"line {number}: the code {code} appears twice")
            if row["kind"] not in OrgUnit.Kind.values:
                errors.append(f"line {number}: kind must be one of {', '.join(OrgUnit.Kind.values)}")
            parent = row["parent_code"].strip()
            if parent and parent not in known | seen:
                errors.append(f"line {number}: the parent {parent} is unknown (parents come first)")
            if row["head"].strip() and row["head"].strip() not in usernames:
                errors.append(f"line {number}: no active user named {row['head']}")
            seen.add(code)
        return errors
