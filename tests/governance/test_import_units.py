"""manage.py import_units builds the organisation tree from CSV, all or nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.models import OrgUnit
from core.roles import Role
from tests.conftest import Cast

HEADER = "code,name,name_en,kind,parent_code,head\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_imports_a_tree_with_heads_and_updates_on_a_second_run(cast: Cast, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lu,Lunds universitet,Lund University,university,,dean\n"
        "lu-fys,Fysiska institutionen,Department of Physics,department,lu,outsider\n",
    )
    call_command("import_units", path, stdout=StringIO())
    physics = OrgUnit.objects.get(code="lu-fys")
    assert physics.parent == OrgUnit.objects.get(code="lu")
    assert physics.path == f"/{physics.parent.pk}/{physics.pk}/"
    assert cast["outsider"].groups.filter(name=Role.HEAD_OF_UNIT.value).exists()

    write(tmp_path, "lu-fys,Fysik,Physics,department,lu,\n")
    call_command("import_units", path, stdout=StringIO())
    physics.refresh_from_db()
    assert (physics.name, physics.head) == ("Fysik", None)
    assert OrgUnit.objects.filter(code__startswith="lu").count() == 2


def test_a_bad_file_imports_nothing_and_names_each_line(cast: Cast, tmp_path: Path) -> None:
    before = OrgUnit.objects.count()
    path = write(
        tmp_path,
        "ok,Bra enhet,,department,uni,\n"
        "bad,Dålig enhet,,planet,,\n"
        "orphan,Föräldralös,,department,nowhere,\n"
        "headless,Ingen chef,,department,uni,nobody\n",
    )
    with pytest.raises(CommandError) as error:
        call_command("import_units", path, stdout=StringIO())
    message = str(error.value)
    assert "line 3" in message
    assert "line 4" in message
    assert "line 5" in message
    assert "line 2" not in message
    assert OrgUnit.objects.count() == before
