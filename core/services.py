"""Operational writes shared by every app."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import sessions
from core.models import Heartbeat, NotificationPreference, User


def record_heartbeat(*, name: str, now: datetime | None = None) -> datetime:
    """Note that a background process is alive (shown on /health/)."""
    seen_at = now or timezone.now()
    Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": seen_at, "detail": f"{socket.gethostname()} pid {os.getpid()}"}
    )
    return seen_at


def clear_expired_sessions() -> int:
    now = timezone.now()
    deleted, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    sessions.forget_old_sessions(now=now)
    return deleted


@transaction.atomic
def set_email_preferences(person: User, *, choices: dict[str, str], now: datetime) -> int:
    """Keep what ``person`` chose per kind of e-mail: at once, or an hourly or daily digest
    (core.digests). Threats, pile-ons and escalations cannot be held back for a digest (KAU-THREAT,
    KAU-DREV), nor an unknown kind; either is refused, naming the kind, and nothing is kept. Rows the
    outbox has already written keep their time; the choice applies to e-mails written from now on.
    Returns how many choices changed."""
    from core.digests import choosable_kinds

    allowed = set(choosable_kinds())
    for kind, cadence in choices.items():
        if kind not in allowed:
            raise ValidationError({kind: _("This kind of e-mail is always sent at once.")})
        if cadence not in NotificationPreference.Cadence.values:
            raise ValidationError({kind: _("Choose at once, hourly or daily.")})
    current = dict(NotificationPreference.objects.filter(person=person).values_list("kind", "cadence"))
    changed = 0
    for kind, cadence in choices.items():
        if current.get(kind, NotificationPreference.Cadence.AT_ONCE) == cadence:
            continue
        NotificationPreference.objects.update_or_create(
            person=person, kind=kind, defaults={"cadence": cadence, "changed_at": now}
        )
        changed += 1
    return changed
