"""Moderation pages (being built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def queue(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def inbox(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_classify(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_answer(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_close(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_evidence(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_remove(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def item_escalate(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def screenshot_image(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def alert_acknowledge(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
