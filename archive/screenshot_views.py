"""Screenshot pages (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def item_screenshot(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_capture(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def stamped_image(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
