"""What a connector sends and what it gets back.

Times come in as ISO 8601 with a UTC offset, and go out as ISO 8601 on the Stockholm wall clock with
its offset (``2026-11-25T10:00:00+01:00``), the clock the deadlines are counted on
(KAU-RESPONSE-DEADLINE).
"""

from __future__ import annotations

import heapq
import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import bounds
from core.calendar import STOCKHOLM
from core.outbound import validate_public_url
from moderation.models import Item


def _max_length(name: str) -> int:
    """The model's own limit, so the API refuses with a 400 what the database would refuse."""
    length = getattr(Item._meta.get_field(name), "max_length", None)
    assert isinstance(length, int)
    return length


_max = {name: _max_length(name) for name in ("platform_id", "author", "url")}


# ISO 8601 as the API documents it: date, time, optional fraction, optional offset. Anything else
# (week dates, control characters, a hundred kilobytes of digits) is refused before it is parsed.
_ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 instant with its UTC offset. A time without an offset is refused rather than guessed:
    a connector on a server in UTC and one in Stockholm would otherwise disagree by an hour. It lies
    within core.bounds: from 1990 up to five minutes from now (KAU-RESPONSE-DEADLINE)."""

    default_error_messages = {
        "invalid": _("Give the time in ISO 8601, e.g. 2026-11-24T10:00:00+01:00."),
        "naive": _(
            "Give the time with its UTC offset, e.g. 2026-11-24T10:00:00+01:00 or 2026-11-24T09:00:00Z."
        ),
        "bounds": bounds.TIME_MESSAGE,
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str) or not _ISO_INSTANT.fullmatch(data.strip()):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        assert value is not None
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        # The view's clock (its "now" in the context), so the field and the service agree to the instant.
        now = self.context.get("now") or timezone.now()
        if not bounds.within_time_bounds(value, now=now):
            self.fail("bounds")
        return value

    def to_representation(self, value: datetime) -> str:
        return stockholm_iso(value)


def stockholm_iso(value: datetime) -> str:
    """``value`` as ISO 8601 on the Stockholm wall clock, with its offset."""
    return value.astimezone(STOCKHOLM).isoformat()


MAX_UNKNOWN_NAMED = 20


class ItemInSerializer(serializers.Serializer[Item]):
    """The body of ``POST /api/v1/accounts/<account id>/items/``. Unknown fields are refused by name."""

    platform_id = serializers.CharField(
        max_length=_max["platform_id"],
        help_text=_(
            "The platform's own id of the post, comment or message; the key that makes a replay safe."
        ),
    )
    kind = serializers.ChoiceField(choices=Item.Kind.choices)
    author = serializers.CharField(max_length=_max["author"])
    text = serializers.CharField(trim_whitespace=False)
    # An address Kanalvakt could never capture (not http or https, an inside address) is refused here.
    url = serializers.URLField(
        max_length=_max["url"], required=False, allow_blank=True, default="", validators=[validate_public_url]
    )
    received_at = AwareDateTimeField(
        help_text=_("When the item arrived on the platform: ISO 8601 with its UTC offset.")
    )

    default_error_messages = {"unknown": _("Unknown field.")}

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("This field may not be blank."))
        return value

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Unknown fields are named alongside any other error, so one round trip shows every mistake;
        # the first MAX_UNKNOWN_NAMED of them, so that a body of a million names is not answered in kind.
        unknown = (
            heapq.nsmallest(MAX_UNKNOWN_NAMED, set(data) - set(self.fields)) if isinstance(data, dict) else []
        )
        errors: dict[str, Any] = {name: [self.error_messages["unknown"]] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ItemOutSerializer(serializers.ModelSerializer[Item]):
    """An item as the API returns it, with its deadlines (KAU-RESPONSE-DEADLINE) and its page."""

    received_at = AwareDateTimeField(read_only=True)
    due_at = AwareDateTimeField(
        read_only=True, help_text=_("The answer is due: the 24-working-hour mark, Europe/Stockholm.")
    )
    limit_at = AwareDateTimeField(
        read_only=True, help_text=_("The outer limit: the 48-working-hour mark, Europe/Stockholm.")
    )
    page_url = serializers.SerializerMethodField(help_text=_("The item's page in Kanalvakt."))

    class Meta:
        model = Item
        fields = [
            "id",
            "account",
            "platform_id",
            "kind",
            "author",
            "text",
            "url",
            "received_at",
            "due_at",
            "limit_at",
            "status",
            "page_url",
        ]
        read_only_fields = fields

    def get_page_url(self, item: Item) -> str:
        return settings.KANALVAKT_BASE_URL + reverse("moderation:item", args=[item.pk])
