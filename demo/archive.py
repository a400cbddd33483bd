"""Demo diary packages: the removed prohibited comment's package waits in the registrar's queue
(KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE). Idempotent: an item with a package gets no other."""

from __future__ import annotations

from datetime import datetime

from archive import registration
from archive.models import DiaryPackage
from moderation.models import Item


def seed_packages(*, now: datetime) -> int:
    created = 0
    for item in Item.objects.filter(platform_id="demo-removed-1", status=Item.Status.REMOVED):
        if DiaryPackage.objects.filter(item=item).exists() or not item.screenshots.exists():
            continue
        registration.build_package(
            item,
            subject=f"Borttagen kommentar från {item.author} på {item.account.name}",
            secrecy="",
            by=item.account.owner,
            now=now,
        )
        created += 1
    return created
