"""The account registry."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from core.models import User


@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    """Every account the person may see, with unit, owner and deputies in a fixed number of queries."""
    accounts = (
        accounts_visible_to(request.user)  # type: ignore[arg-type]
        .select_related("unit", "owner", "request")
        .prefetch_related(Prefetch("deputies", queryset=User.objects.order_by("first_name", "last_name")))
        .order_by("name", "pk")
    )
    page = Paginator(accounts, 50).get_page(request.GET.get("sida"))
    return render(request, "accounts/account_list.html", {"page": page, "statuses": Account.Status})


def account_export(request: HttpRequest) -> HttpResponse:
    raise Http404


def account_register(request: HttpRequest) -> HttpResponse:
    raise Http404


def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def account_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
