"""The response-time report (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def report(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def report_export(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
