from django.http import Http404, HttpRequest, HttpResponse


def followup_create(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def closing(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def closing_candidates(request: HttpRequest) -> HttpResponse:
    raise Http404


def compare(request: HttpRequest) -> HttpResponse:
    raise Http404
