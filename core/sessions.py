"""Sessions and sign-in: the session index, the time limits' stamps, and the lockout page.

Three promises are kept here and in ``core.middleware.SessionLimitsMiddleware``:

- a sign-in ends after ``SESSION_IDLE_TIMEOUT`` seconds without a request and ``SESSION_COOKIE_AGE``
  seconds after the sign-in, whatever the activity;
- deactivating a person ends every session they have, however the deactivation is made (the admin,
  ``accounts.people.deactivate_person``, a management command, a directory sync);
- a locked-out sign-in (django-axes) is told, in the person's language, when to try again.

The receivers below are framework hooks, not business logic: sign-in, sign-out and the saving of a
person are the only places every path meets, and ending the sessions of someone who has left must not
depend on each path remembering to do it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.models import User, UserSession

logger = logging.getLogger(__name__)

# Keys in the session data. Times are whole seconds since the epoch (the session is JSON).
STARTED_AT = "_kv_started_at"
SEEN_AT = "_kv_seen_at"
INDEXED_KEY = "_kv_indexed_key"


def stamp_sign_in(request: HttpRequest, *, now: float | None = None) -> None:
    """Note when this session's sign-in began and when it was last used."""
    moment = int(time.time() if now is None else now)
    request.session[STARTED_AT] = moment
    request.session[SEEN_AT] = moment


def remember_session(user: Any, request: HttpRequest) -> None:
    """Index the request's session under its person, once per session key.

    Called at sign-in and by the middleware on every signed-in request, so that a key that changed
    since (``cycle_key`` on a password change) is indexed too; the marker in the session makes the
    common case free.
    """
    session = request.session
    key = session.session_key
    if not key or session.get(INDEXED_KEY) == key or not getattr(user, "pk", None):
        return
    UserSession.objects.update_or_create(session_key=key, defaults={"user_id": user.pk})
    session[INDEXED_KEY] = key


def end_sessions_of(user: Any) -> int:
    """End every session of ``user``; returns how many were indexed.

    Goes through the configured session engine, so it holds if the engine changes; a person has a
    handful of sessions at most, so one delete per session is cheap.
    """
    keys = list(UserSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
    if not keys:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user_id=user.pk, session_key__in=keys).delete()
    logger.info("Ended %d session(s) of deactivated person %s.", len(keys), user.pk)
    return len(keys)


def forget_old_sessions(*, now: datetime) -> int:
    """Drop index rows older than the absolute lifetime: their sessions have ended by construction."""
    deleted, _by_model = UserSession.objects.filter(
        created_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    ).delete()
    return deleted


# --- Receivers (connected in CoreConfig.ready) ------------------------------------------------------


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    stamp_sign_in(request)
    remember_session(user, request)


def on_user_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Sent before the session is flushed, so its key is still known.
    if request is None or not hasattr(request, "session") or not request.session.session_key:
        return
    UserSession.objects.filter(session_key=request.session.session_key).delete()


def on_user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """A person saved as inactive has no session left (deactivation ends every sign-in)."""
    if not created and not instance.is_active:
        end_sessions_of(instance)


def connect_signals() -> None:
    user_logged_in.connect(on_user_logged_in, dispatch_uid="core.sessions.logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid="core.sessions.logged_out")
    post_save.connect(on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.sessions.user_saved")


# --- django-axes hooks (AXES_CLIENT_IP_CALLABLE, AXES_LOCKOUT_CALLABLE) ------------------------------


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the nearest trusted proxy saw it.

    With ``TRUSTED_PROXY_COUNT = n`` (n proxies that each append to X-Forwarded-For) the address is
    the n-th entry from the right: entries further left were written by the client and can be forged.
    With 0, or a header shorter than that, it is REMOTE_ADDR.
    """
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if remote else None


def lockout_ends_at(request: HttpRequest, credentials: dict[str, Any] | None) -> datetime:
    """When the lockout of this user name at this address lifts: the last counted failure plus the
    cool-off (a failure during the lockout is not counted, AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)."""
    from axes.helpers import get_client_username, get_cool_off  # type: ignore[import-untyped]
    from axes.models import AccessAttempt  # type: ignore[import-untyped]

    cool_off = get_cool_off(request) or timedelta(0)
    username = get_client_username(request, credentials)
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=client_ip(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return (last or timezone.now()) + cool_off


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page shown instead of the sign-in form's answer while a user name is locked out."""
    ends_at = lockout_ends_at(request, credentials)
    minutes = max(1, -(-int((ends_at - timezone.now()).total_seconds()) // 60))
    return render(
        request,
        "registration/lockout.html",
        {
            "ends_at": ends_at,
            "minutes": minutes,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
