"""Saved replies (*svarsmallar*): the one write path and the reads.

The communications department and the social media lead keep them (``may_keep_replies``), for the
whole institution or for a unit; a moderator is offered those that apply to the item's account
(``replies_for_account``) and edits the text before sending it (KAU-RESPONSE-TONE). A reply is
retired, never deleted, and every change is in its history (core.history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history import record
from core.models import OrgUnit, User
from core.roles import Role, roles_of
from moderation.models import SavedReply
from moderation.reply_models import unit_path_q

KEEPERS = frozenset({Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD})


def may_keep_replies(user: Any) -> bool:
    """The communications department and the social media lead keep the saved replies."""
    return bool(roles_of(user) & KEEPERS)


def replies_for_account(account: Any) -> list[SavedReply]:
    """The active replies for an item of ``account``: the institution's and those of the account's
    unit and the units above it, in one query (KAU-RESPONSE-TONE). While a crisis is active its own
    replies come first, for every account; an ended crisis's are offered no more (KAU-CRISIS)."""
    unit = getattr(account, "unit", None)
    ordinary = unit_path_q(unit.path) if unit is not None else Q(unit__isnull=True)
    of_active_crisis = Q(crisis__isnull=False, crisis__ended_at__isnull=True)
    replies = (
        SavedReply.objects.active()
        .filter((Q(crisis__isnull=True) & ordinary) | of_active_crisis)
        .annotate(crisis_first=Case(When(crisis__isnull=False, then=0), default=1))
    )
    return list(replies.select_related("unit").order_by("crisis_first", "title", "pk"))


def _require_keeper(by: User) -> None:
    if not may_keep_replies(by):
        raise PermissionDenied


def _clean(title: str, text: str) -> tuple[str, str]:
    title, text = title.strip(), text.strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the saved reply a title.")
    if not text:
        errors["text"] = _("Write the text of the saved reply.")
    if errors:
        raise ValidationError(errors)
    return title, text


@transaction.atomic
def add_saved_reply(
    *, title: str, text: str, unit: OrgUnit | None, by: User, now: datetime | None = None
) -> SavedReply:
    """Add a saved reply for the institution (``unit`` None) or for a unit (KAU-RESPONSE-TONE)."""
    _require_keeper(by)
    title, text = _clean(title, text)
    now = now or timezone.now()
    reply = SavedReply(
        title=title, text=text, unit=unit, created_by=by, created_at=now, updated_by=by, updated_at=now
    )
    record(reply, by=by, reason="added")
    reply.save()
    return reply


@transaction.atomic
def change_saved_reply(
    reply: SavedReply, *, title: str, text: str, unit: OrgUnit | None, by: User, now: datetime | None = None
) -> SavedReply:
    """Change a saved reply's title, text or unit; the earlier text stays in its history."""
    _require_keeper(by)
    title, text = _clean(title, text)
    reply = SavedReply.objects.select_for_update().get(pk=reply.pk)
    reply.title, reply.text, reply.unit = title, text, unit
    reply.updated_by, reply.updated_at = by, now or timezone.now()
    record(reply, by=by, reason="changed")
    reply.save()
    return reply


@transaction.atomic
def set_saved_reply_active(
    reply: SavedReply, *, active: bool, by: User, now: datetime | None = None
) -> SavedReply:
    """Retire a saved reply (no longer offered) or take it back into use. Never deleted."""
    _require_keeper(by)
    reply = SavedReply.objects.select_for_update().get(pk=reply.pk)
    if reply.active == active:
        return reply
    reply.active = active
    reply.updated_by, reply.updated_at = by, now or timezone.now()
    record(reply, by=by, reason="put back in use" if active else "retired")
    reply.save()
    return reply
