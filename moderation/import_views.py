"""Bulk import of items (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def import_items(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
