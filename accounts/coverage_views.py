from django.http import Http404, HttpRequest, HttpResponse


def account_people(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def account_details(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def absence_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def absence_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
