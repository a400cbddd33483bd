"""Kanalvakt's URLconf plus the benchmark's floor view (only under bench.settings)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from accounts.models import Account
from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as kanalvakt_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def floor(request: HttpRequest) -> HttpResponse:
    """The least a page can cost: the session authenticated (by the middleware, as on every page), one
    indexed query (account_status_name_idx) and the base template with its navigation."""
    first = (
        Account.objects.filter(status=Account.Status.ACTIVE).order_by("status", "name").values("name").first()
    )
    return render(request, "bench/floor.html", {"first": first})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *kanalvakt_urlpatterns]
