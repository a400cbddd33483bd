"""A clear 503 page while PostgreSQL cannot be reached, instead of a 500 or a stack trace.

Every page reads the database (the session, the person, the page's own rows), so while PostgreSQL is
down no page can be served. ``DatabaseUnavailableMiddleware`` answers such a request with
``templates/503.html`` in Swedish and English, status 503 and ``Retry-After``, so that people, load
balancers and connectors know to come back. The page reads nothing from the database: no session,
no person, no context processor.

A failure can surface in two places. In a view (or its template) Django calls ``process_exception``.
In another middleware (the sign-in check reading the session, the session saved after the view)
Django turns the exception into a 500 response before this middleware sees it; the
``got_request_exception`` signal, sent with the request while the exception is being handled, marks
the request, and the 500 is replaced on its way out.

Nothing is half-written: a transaction cut off by a lost connection is rolled back by PostgreSQL, and
Django reconnects on the next request (``CONN_HEALTH_CHECKS`` in config.settings).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_MARK = "_kanalvakt_database_unavailable"

# SQLSTATEs that mean the server cannot be used now, as opposed to a failed statement: class 08
# (connection exception), class 53 (insufficient resources: too many connections) and 57P0x (the
# server shutting down or starting, pg_terminate_backend). A statement timeout (57014), a lock timeout
# or a deadlock is a statement that failed, not an unreachable database, and stays a 500.
_UNREACHABLE_PREFIXES = ("08", "53", "57P")


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (rather than that a statement failed)."""
    if isinstance(exc, InterfaceError):  # "connection already closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "pgcode", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith(_UNREACHABLE_PREFIXES)
    # No SQLSTATE from PostgreSQL's driver: no answer from the server at all (refused, reset, closed).
    return type(cause).__module__.split(".")[0] in {"psycopg2", "psycopg"}


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: the bilingual page, or JSON for the connector API. Built without the database."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": "Kanalvakt is temporarily unavailable. Try again later.",
                "code": "unavailable",
            },
            status=503,
        )
    else:
        # No request passed: no context processor runs, so neither the session nor the person is read.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Sent while Django handles the exception, so sys.exc_info() is the exception itself.
    if request is not None and database_unreachable(sys.exc_info()[1]):
        setattr(request, _MARK, True)


got_request_exception.connect(_mark_request, dispatch_uid="kanalvakt-database-unavailable")


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After while PostgreSQL cannot be reached (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _MARK, False):
            logger.warning("The database cannot be reached: %s answered 503", request.path)
            unavailable = unavailable_response(request)
            # The middleware inside this one (frame options, CSP) did not see this response: the
            # strictest of their headers, for a page that has no script, form or frame.
            unavailable["X-Frame-Options"] = "DENY"
            unavailable["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
            return unavailable
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unreachable(exception):
            return None
        logger.warning("The database cannot be reached: %s answered 503 (%s)", request.path, exception)
        return unavailable_response(request)
