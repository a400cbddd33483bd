"""The pages of crisis mode (KAU-CRISIS, KTH-COMPLEMENT, KAU-ACCESS).

Every signed-in person reads the crisis pages (the banner leads there); the social media lead and the
communications department (``moderation.declare_crisis``) declare and end a crisis and keep its saved
replies, or 403; an account's owner and deputies log what their account published, the lead and the
communications department for any account (or 403 for a person with no account to log for). A crisis
that does not exist is 404. Each view: the person's right, the form, one service call, redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import add_service_errors
from core.http import signed_in
from core.models import User
from moderation import crisis as crises
from moderation.crisis_forms import CrisisReplyForm, DeclareForm, EndForm, LogForm
from moderation.models import Crisis

DETAIL_TEMPLATE = "moderation/crisis_detail.html"


def _declarer(request: HttpRequest) -> User:
    user = signed_in(request)
    if not crises.may_declare(user):
        raise PermissionDenied
    return user


@require_GET
def crisis_list(request: HttpRequest) -> HttpResponse:
    """The active crisis, if any, and every past crisis, newest first: one query."""
    user = signed_in(request)
    rows = list(Crisis.objects.select_related("declared_by", "ended_by").order_by("-declared_at", "-pk"))
    return render(
        request,
        "moderation/crisis_list.html",
        {
            "active": next((row for row in rows if row.is_active), None),
            "past": [row for row in rows if not row.is_active],
            "may_declare": crises.may_declare(user),
        },
    )


@require_http_methods(["GET", "POST"])
def crisis_declare(request: HttpRequest) -> HttpResponse:
    """Declare a crisis, with the website's link required (KAU-CRISIS, KTH-COMPLEMENT)."""
    user = _declarer(request)
    template = "moderation/crisis_form.html"
    if request.method != "POST":
        return render(request, template, {"form": DeclareForm()})
    form = DeclareForm(request.POST)
    if form.is_valid():
        try:
            crisis = crises.declare_crisis(**form.cleaned_data, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The crisis is declared. Every account owner and deputy is being told.")
            )
            return redirect("moderation:crisis", pk=crisis.pk)
    return render(request, template, {"form": form}, status=400)


def render_crisis(request: HttpRequest, crisis: Crisis, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The crisis page: what happened and the website's link, the log of what was published where,
    the accounts that have not posted yet, the crisis's saved replies, and the forms the person may
    use (bound ones show why they were refused)."""
    user = signed_in(request)
    active = crisis.is_active
    may_declare = crises.may_declare(user)
    accounts = crises.loggable_accounts(user) if active else []
    context: dict[str, Any] = {
        "crisis": crisis,
        "entries": list(
            crisis.entries.select_related("account", "recorded_by").order_by("published_at", "pk")
        ),
        "without_entry": crises.accounts_without_entry(crisis),
        "replies": crises.crisis_replies(crisis),
        "may_declare": may_declare and active,
        "log_form": (forms.get("log_form") or LogForm(accounts=accounts)) if accounts else None,
        "reply_form": (forms.get("reply_form") or CrisisReplyForm()) if may_declare and active else None,
        "end_form": (forms.get("end_form") or EndForm()) if may_declare and active else None,
    }
    return render(request, DETAIL_TEMPLATE, context, status=status)


@require_GET
def crisis_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One crisis, active or ended: every signed-in person reads it (KAU-CRISIS)."""
    signed_in(request)
    return render_crisis(request, get_object_or_404(Crisis, pk=pk))


@require_POST
def crisis_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log what an account published during the crisis (KAU-CRISIS)."""
    user = signed_in(request)
    crisis = get_object_or_404(Crisis, pk=pk)
    accounts = crises.loggable_accounts(user)
    if not accounts:
        raise PermissionDenied
    form = LogForm(request.POST, accounts=accounts)
    if form.is_valid():
        try:
            crises.log_publication(crisis, **form.cleaned_data, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The publication is logged."))
            return redirect("moderation:crisis", pk=crisis.pk)
    return render_crisis(request, crisis, status=400, log_form=form)


@require_POST
def crisis_reply_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a saved reply of the crisis, offered first on every item while it lasts (KAU-CRISIS)."""
    user = _declarer(request)
    crisis = get_object_or_404(Crisis, pk=pk)
    form = CrisisReplyForm(request.POST)
    if form.is_valid():
        try:
            crises.add_crisis_reply(crisis, **form.cleaned_data, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The saved reply is added. It is offered first on every item."))
            return redirect("moderation:crisis", pk=crisis.pk)
    return render_crisis(request, crisis, status=400, reply_form=form)


@require_POST
def crisis_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End the crisis with a short summary, required (KAU-CRISIS). The page stays as a record."""
    user = _declarer(request)
    crisis = get_object_or_404(Crisis, pk=pk)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            crises.end_crisis(crisis, summary=form.cleaned_data["summary"], by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The crisis is ended. Its page stays as a record."))
            return redirect("moderation:crisis", pk=crisis.pk)
    return render_crisis(request, crisis, status=400, end_form=form)
