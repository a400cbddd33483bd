"""The account registry: the list with its compliance flags, the CSV export, direct registration, the
account page and the owner's confirmations.

Each view: the account the person may see (or 404), the role check (or 403), the form, one service
call, redirect.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import closing, coverage, followup, services
from accounts.flags import all_flags, raised, rule_ids
from accounts.forms import AccountRegisterForm, ConfirmForm, RegistryFilterForm
from accounts.models import Account
from accounts.sections import sections_for
from accounts.selectors import account_for_page, account_history, registry
from core.calendar import STOCKHOLM
from core.downloads import Format, table_response
from core.forms import add_service_errors
from core.http import signed_in

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[RegistryFilterForm, Any]:
    form = RegistryFilterForm(request.GET)
    return form, registry(signed_in(request), now=timezone.now(), **form.values())


@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    """Every account the person may see, with its compliance flags, filtered, searched, sorted and
    paged, in the same few queries whatever the page size and the size of the registry."""
    form, accounts = _filtered(request)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("sida"))
    rows = [(account, raised(account)) for account in page.object_list]
    return render(
        request,
        "accounts/account_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "columns": _columns(form.values()["sort"]),
            "all_flags": all_flags(),
            "can_register": services.may_register(request.user),
        },
    )


def _columns(sort: str) -> list[dict[str, Any]]:
    """The registry's column headings; a sortable one links to its order, and to the reverse order
    when the list is already sorted by it."""
    headings = [
        ("name", _("Account")),
        ("platform", _("Platform")),
        ("unit", _("Unit")),
        ("", _("Account owner")),
        ("", _("Deputies")),
        ("status", _("Status")),
        ("followup", _("Follow-up due")),
        ("", _("Compliance flags")),
    ]
    columns = []
    for key, label in headings:
        column: dict[str, Any] = {"label": label, "sort": key, "next": key, "aria_sort": "", "hint": ""}
        if key:
            column["hint"] = _("sort ascending")
            if sort == key:
                column.update(next=f"-{key}", aria_sort="ascending", hint=_("sort descending"))
            elif sort == f"-{key}":
                column["aria_sort"] = "descending"
        columns.append(column)
    return columns


def _table_rows(accounts: Iterable[Account]) -> Iterable[list[object]]:
    """The registry's rows, typed (dates as dates) for CSV and Excel alike; core.csvfile neutralises a
    formula in any text, core.xlsxfile writes text as text."""
    yield [
        _("id"),
        _("unit"),
        _("platform"),
        _("name"),
        _("handle"),
        _("address"),
        _("account owner"),
        _("deputies"),
        _("status"),
        _("registered"),
        _("follow-up due"),
        _("last start-page screenshot"),
        _("compliance flags"),
    ]
    for account in accounts:
        yield [
            account.pk,
            account.unit.display_name,
            account.platform_label,
            account.name,
            account.handle,
            account.url,
            account.owner,
            ", ".join(str(deputy) for deputy in account.deputies.all()),
            str(account.get_status_display()),
            timezone.localtime(account.created_at, STOCKHOLM).date(),
            account.followup_due_on,
            timezone.localtime(account.last_startpage_at, STOCKHOLM).date()
            if account.last_startpage_at
            else None,
            rule_ids(raised(account)),
        ]


@require_GET
def account_export(request: HttpRequest, fmt: Format = "csv") -> HttpResponse:
    """The filtered registry for the annual report, as CSV in the dialect Swedish Excel opens
    (core.csvfile) or as an Excel workbook (core.xlsxfile); the flags as rule IDs. Built in one pass
    over one query and one for deputies; the registry is bounded by the university's accounts."""
    _form, accounts = _filtered(request)
    today = timezone.localtime(timezone.now(), STOCKHOLM).date()
    return table_response(
        _table_rows(accounts),
        fmt=fmt,
        filename=f"kontoregister-{today.isoformat()}",
        title=_("Account registry"),
    )


@require_http_methods(["GET", "POST"])
def account_register(request: HttpRequest) -> HttpResponse:
    """The communications department registers a channel that existed before Kanalvakt
    (KAU-START-COMMS). Its strategy document is missing until a request for it is approved
    (KAU-START-CHECKLIST)."""
    user = signed_in(request)
    if not services.may_register(user):
        raise PermissionDenied
    template = "accounts/account_register.html"
    if request.method != "POST":
        return render(request, template, {"form": AccountRegisterForm()})
    form = AccountRegisterForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    try:
        account = services.register_existing_account(by=user, now=timezone.now(), **form.service_data())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render(request, template, {"form": form}, status=400)
    messages.success(
        request,
        _("%(name)s is in the registry. Its strategy document is missing until a request for it is approved.")
        % {"name": account.name},
    )
    return redirect("accounts:detail", pk=account.pk)


def _detail_context(request: HttpRequest, account: Account, *, now: Any) -> dict[str, Any]:
    """The account page: the registry's own parts, then the sections the other apps contribute
    (accounts.sections: the unanswered items, the start-page screenshots)."""
    user = signed_in(request)
    strategy = getattr(account, "request", None)  # the approved request is the strategy document
    open_account = account.status != Account.Status.CLOSED
    context: dict[str, Any] = {
        "account": account,
        "deputies": list(account.deputies.all()),
        "flags": raised(account),
        "strategy": strategy if strategy is not None and strategy.status == "approved" else None,
        "history": account_history(account),
        "now": now,
        "can_confirm": open_account and services.may_confirm(user, account),
        "can_record_startpage": open_account and services.may_record_startpage(user, account),
        "confirm_form": ConfirmForm(),
        "sections": sections_for(user, account, now),
    }
    context.update(coverage.detail_context(account, user=user, now=now))
    context.update(followup.detail_context(account, user=user, now=now))
    context.update(closing.detail_context(account, user=user, now=now))
    return context


@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one account: people, flags with their rules, strategy document, dates,
    unanswered items and the history of changes."""
    now = timezone.now()
    account = account_for_page(signed_in(request), pk, now=now)
    return render(request, "accounts/account_detail.html", _detail_context(request, account, now=now))


@require_POST
def account_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner, a deputy or the communications department confirms the public-records notice
    (KAU-INFORM) or sender and profile (KAU-SENDER). A start page is recorded by uploading its
    screenshot on the archive's start-page page (KAU-STARTPAGE), never by a day alone."""
    user = signed_in(request)
    now = timezone.now()
    account = account_for_page(user, pk, now=now)
    if not services.may_confirm(user, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        # KAU-CLOSE: nothing more is asked of a closed account; it stays as it was closed.
        messages.error(request, _("The account is closed: there is nothing more to confirm."))
        return render(
            request, "accounts/account_detail.html", _detail_context(request, account, now=now), status=409
        )
    form = ConfirmForm(request.POST)
    if form.is_valid():
        what = form.cleaned_data["what"]
        try:
            if what == "notice":
                services.confirm_notice(account.pk, by=user, now=now)
                messages.success(
                    request, _("Confirmed: visitors are told that their messages are public records.")
                )
            else:
                services.confirm_sender(account.pk, by=user, now=now)
                messages.success(request, _("Confirmed: sender and profile follow the profile guide."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("accounts:detail", pk=account.pk)
    context = _detail_context(request, account, now=now)
    context["confirm_form"] = form
    return render(request, "accounts/account_detail.html", context, status=400)
