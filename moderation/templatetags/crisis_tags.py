"""The active crisis on the queues (KAU-CRISIS, KTH-COMPLEMENT): read from the cache, no query."""

from __future__ import annotations

from typing import Any

from django import template

from moderation.crisis import active_crisis

register = template.Library()


@register.inclusion_tag("moderation/includes/crisis_notice.html")
def crisis_notice() -> dict[str, Any]:
    """The active crisis with the link to the university's website and to its log, or nothing."""
    return {"crisis": active_crisis()}
