"""Operational writes shared by every app."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from django.contrib.sessions.models import Session
from django.utils import timezone

from core import sessions
from core.models import Heartbeat


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
