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
