"""Diary packages (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def package_build(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def package_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def package_download(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def package_register(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def registry_queue(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
