"""manage.py compiletranslations: compile every locale/*/LC_MESSAGES/*.po to .mo with polib.

Django's compilemessages needs GNU gettext on the machine; this needs only Python, so a fresh
machine and the container image can build the catalogs from the committed .po files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po to .mo) without GNU gettext."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                catalog = polib.pofile(str(po_path))
                untranslated = [entry.msgid for entry in catalog.untranslated_entries() if not entry.obsolete]
                if untranslated:
                    raise CommandError(
                        f"{po_path}: {len(untranslated)} strings lack a translation, e.g. {untranslated[0]!r}"
                    )
                catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} catalog(s).")
