"""The Swedish catalog is complete, and every string can be found by makemessages."""

from __future__ import annotations

import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "core", "governance", "accounts", "moderation", "archive")


def test_every_string_of_the_catalog_is_translated_and_none_is_a_guess() -> None:
    catalog = polib.pofile(str(ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"))
    assert catalog.untranslated_entries() == []
    assert catalog.fuzzy_entries() == []


def test_gettext_is_imported_under_names_makemessages_extracts() -> None:
    """makemessages only finds _(), gettext(), gettext_lazy() and their kin by those names: a string
    wrapped in an alias (``gettext_lazy as _lazy``) silently stays English."""
    alias = re.compile(r"import\s+(n?p?gettext(?:_lazy|_noop)?)\s+as\s+(?!_\b)(\w+)")
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        for match in alias.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_blocktranslate_reads_an_attribute_or_a_filter() -> None:
    """Inside ``{% blocktranslate %}`` only plain names are filled in: ``{{ package.built_by }}`` is
    looked up as a variable named "package.built_by", finds nothing, and the e-mail to the registry
    said "skapat av ." Name the value in ``with`` instead."""
    block = re.compile(r"{%\s*blocktrans(?:late)?\b.*?%}(.*?){%\s*endblocktrans(?:late)?\s*%}", re.DOTALL)
    offenders = [
        f"{path.relative_to(ROOT)}: {{{{ {variable} }}}}"
        for path in (ROOT / "templates").rglob("*")
        if path.is_file()
        for body in block.findall(path.read_text(encoding="utf-8"))
        for variable in re.findall(r"{{\s*([^}]*?)\s*}}", body)
        if not re.fullmatch(r"\w+", variable)
    ]
    assert offenders == []
