"""Template tags of the item page's registration section
(templates/archive/includes/item_registration.html)."""

from __future__ import annotations

from typing import Any

from django import template

from archive import registration
from archive.diary_forms import PackageForm
from moderation.models import Item, Registration

register = template.Library()


@register.simple_tag
def item_registration(item: Item, user: Any) -> dict[str, Any]:
    """What the section shows (KAU-DIARY-ACTION): why the item is or is not registered, its packages
    with their delivery and registration (one query), and for a moderator the form to build one."""
    packages = list(
        registration.with_delivery(item.diary_packages.select_related("built_by", "registered_by")).order_by(
            "built_at", "pk"
        )
    )
    refusal = registration.registration_refusal(item)
    registered = any(package.registered_at for package in packages)
    may_build = refusal is None and not registered and registration.may_build(user, item)
    # KAU-DIARY-NONE: Kanalvakt's own copy is the item, its log and the fixity ledger of its screenshots.
    shots = item.screenshots.count() if item.registration == Registration.NOT_NEEDED else None
    numbers = [package.diary_number for package in packages if package.registered_at and package.diary_number]
    return {
        "shots": shots,
        "registered_number": numbers[-1] if numbers else "",
        "required": refusal is None,
        "packages": packages,
        "may_build": may_build,
        "form": PackageForm.for_item(item) if may_build else None,
    }
