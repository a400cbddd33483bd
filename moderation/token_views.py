"""The connectors' API tokens (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def token_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def token_revoke(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
