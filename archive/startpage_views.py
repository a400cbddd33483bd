"""Start-page screenshots (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def startpage(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def startpage_capture(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
