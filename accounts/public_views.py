from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse


@login_not_required
def official_accounts(request: HttpRequest) -> HttpResponse:
    raise Http404


@login_not_required
def official_accounts_json(request: HttpRequest) -> HttpResponse:
    raise Http404
