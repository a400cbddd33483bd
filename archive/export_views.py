"""Search and exports (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def search(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def export_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def export_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def export_download(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
