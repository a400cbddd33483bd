"""Template filters shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def when(value: datetime | None) -> str:
    """A date and time as people read it here: "24 nov 2026 10:00", Europe/Stockholm."""
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "j M Y H:i").lower()


@register.filter
def isoformat(value: datetime | None) -> str:
    """A moment for ``<time datetime>``: ISO 8601 in Europe/Stockholm with its offset, to the second.
    The HTML standard allows at most three digits of a second; Python writes six."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@register.filter
def overdue(item: Any, now: datetime) -> bool:
    return bool(item.is_overdue(now))


@register.inclusion_tag("includes/fields.html")
def fields(form: Any, *names: str) -> dict[str, Any]:
    """The named fields of a form, in that order, each as ``includes/field.html`` renders it. A name
    the form does not have (a field left out for this user) is passed over."""
    return {"fields": [form[name] for name in names if name in form.fields]}


@register.inclusion_tag("includes/column_heads.html")
def column_heads(*labels: str) -> dict[str, Any]:
    """A table's ``<thead>``: one column header a label, in that order."""
    return {"labels": labels}
