"""Kanalvakt's middleware: the interface language, the session time limits, Permissions-Policy, and
Cache-Control for what only a signed-in person may see."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import ngettext_lazy

from core import sessions

logger = logging.getLogger(__name__)

# Why a sign-in ended, translated when the limit is found (the plural follows the named number).
_LIFETIME_REACHED = ngettext_lazy(
    "You were signed out because you signed in %(hours)d hour ago. Please sign in again.",
    "You were signed out because you signed in %(hours)d hours ago. Please sign in again.",
    "hours",
)
_IDLE_REACHED = ngettext_lazy(
    "You were signed out after %(minutes)d minute without activity. Please sign in again.",
    "You were signed out after %(minutes)d minutes without activity. Please sign in again.",
    "minutes",
)


class SwedishFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but the browser's Accept-Language is not consulted.

    A university's staff often run English-language browsers; the university works in Swedish
    (KAU-ACCESS: plain Swedish), so only the language cookie set by the switch changes it.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SessionLimitsMiddleware:
    """End a sign-in after SESSION_IDLE_TIMEOUT seconds without a request, or SESSION_COOKIE_AGE seconds
    after it began, and say why on the sign-in page.

    Placed after the authentication and message middleware. The sign-in's start and last use are
    stamped in the session (core.sessions); the last use is rewritten at most once a minute, so an
    active person costs one session write a minute rather than one a request. A session that still
    names a person the backends no longer accept (deactivated by a bulk update, say) is flushed.
    """

    # Seconds between two rewrites of the last-use stamp: the precision of the idle limit.
    SEEN_RESOLUTION = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            if not request.user.is_authenticated:
                session.flush()
            else:
                self._enforce_limits(request, now=time.time())
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Index the session again if its key changed during the view (a password change).
            sessions.remember_session(user, request)
        return response

    def _enforce_limits(self, request: HttpRequest, *, now: float) -> None:
        session = request.session
        started = session.get(sessions.STARTED_AT)
        seen = session.get(sessions.SEEN_AT)
        if not isinstance(started, int) or not isinstance(seen, int):
            # A session from before the limits were stamped: its clock starts now.
            sessions.stamp_sign_in(request, now=now)
            return
        if now - started >= settings.SESSION_COOKIE_AGE:
            reason = "lifetime"
            message = _LIFETIME_REACHED % {"hours": max(1, settings.SESSION_COOKIE_AGE // 3600)}
        elif now - seen >= settings.SESSION_IDLE_TIMEOUT:
            reason = "idle"
            message = _IDLE_REACHED % {"minutes": max(1, settings.SESSION_IDLE_TIMEOUT // 60)}
        else:
            if now - seen >= self.SEEN_RESOLUTION:
                session[sessions.SEEN_AT] = int(now)
            return
        logger.info("Signed out person %s: session %s limit reached.", request.user.pk, reason)
        logout(request)
        # The session is flushed; the message goes in the cookie storage and shows on the sign-in page.
        messages.info(request, message)


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header (settings.PERMISSIONS_POLICY): Django has no setting for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in person, unless the view set
    a Cache-Control of its own (a screenshot's image: ``private, max-age``).

    Pages and files behind the sign-in hold public records and personal data (KAU-PUBLIC-RECORD): no
    shared cache may keep them, nor the browser's cache after sign-out, where the next person at a
    shared computer could open them with Back. "Signed in" is read when the answer leaves: the person
    the view saw, or one the request carried a session cookie for (so the answer to signing out is
    covered too). An answer to someone not signed in is left as the view made it (the public list,
    health, the sign-in page), and static files never reach here (WhiteNoise serves them first).
    """

    VALUE = "private, no-store"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        carried_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        user = getattr(request, "user", None)
        if carried_session or (user is not None and user.is_authenticated):
            response["Cache-Control"] = self.VALUE
        return response
