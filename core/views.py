"""The start page, sign-in, health and the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import todo
from core.models import Heartbeat


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """ "Att göra" / "My tasks": what the signed-in person must act on, from every app."""
    now = timezone.now()
    sections = todo.sections_for(request.user, now)
    return render(request, "core/home.html", {"sections": sections, "now": now})


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer: the database answers; when the worker was last seen."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        heartbeat = Heartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    except Exception:  # any database failure is "not ready" for the load balancer
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "worker_seen_at": heartbeat.isoformat() if heartbeat else None,
        }
    )


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        # A connector reads JSON; the page (with its menu for a person) is of no use to it.
        return JsonResponse({"detail": _("Something went wrong on the server. Try again later.")}, status=500)
    return render(request, "errors/500.html", status=500)
