"""Ambassadors and bloggers on assignment, in the browser (KAU-PRIVATE, KTH-PRIVATE, KTH-BLOG).

Each view: the assignment the person may see (or 404), whether they may act (or 403), the form, one
call to accounts.ambassadors, redirect. Bad input is 400 with the field named, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import ambassadors
from accounts.ambassador_forms import AmbassadorFilterForm, AmbassadorForm, DecisionForm, EndForm
from accounts.ambassador_models import Ambassador
from core.calendar import local_today
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User

PAGE_SIZE = 50

# The reasons accounts.ambassadors records in the history, as people read them.
HISTORY_REASONS = {
    "proposed": gettext_lazy("Proposed"),
    "approved": gettext_lazy("Approved"),
    "refused": gettext_lazy("Refused"),
    "ended early": gettext_lazy("Ended early"),
}


def _visible_or_404(user: User, pk: int) -> Ambassador:
    return get_object_or_404(
        ambassadors.visible_to(user).select_related(
            "unit", "account", "account__unit", "proposed_by", "decided_by", "ended_by"
        ),
        pk=pk,
    )


@require_GET
def ambassador_list(request: HttpRequest) -> HttpResponse:
    """The assignments the person may see: current, awaiting approval or ended, by unit (with the units
    below it). A fixed number of queries whatever the page size."""
    user = signed_in(request)
    today = local_today(timezone.now())
    form = AmbassadorFilterForm(request.GET)
    values = form.values()
    shown = ambassadors.visible_to(user)
    if values["state"] == "current":
        shown = shown.current(today)
    elif values["state"] == "proposed":
        shown = shown.awaiting_approval()
    elif values["state"] == "ended":
        shown = shown.ended(today)
    if values["unit"] is not None:
        shown = shown.filter(unit__path__startswith=values["unit"].path)
    shown = shown.select_related("unit", "account", "proposed_by").order_by("-starts_on", "name", "pk")
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("sida"))
    rows = [(ambassador, ambassador.state_on(today)) for ambassador in page.object_list]
    return render(
        request,
        "accounts/ambassador_list.html",
        {"form": form, "page": page, "rows": rows, "can_propose": ambassadors.may_propose(user)},
    )


@require_http_methods(["GET", "POST"])
def ambassador_propose(request: HttpRequest) -> HttpResponse:
    """Propose a student ambassador, a blogger or another voice; the head of the unit is told
    (KTH-BLOG)."""
    user = signed_in(request)
    if not ambassadors.may_propose(user):
        raise PermissionDenied
    template = "accounts/ambassador_form.html"
    if request.method != "POST":
        return render(request, template, {"form": AmbassadorForm()})
    form = AmbassadorForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    data = form.cleaned_data
    try:
        ambassador = ambassadors.propose_ambassador(
            name=data["name"],
            email=data["email"],
            employed=data["employed"],
            kind=data["kind"],
            unit=data["unit"],
            account=data["account"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            duties=data["duties"],
            assignment=data["assignment"],
            by=user,
            now=timezone.now(),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render(request, template, {"form": form}, status=400)
    approver = ambassadors.approver_for(ambassador)
    messages.success(
        request,
        _("The proposal is sent to %(head)s, who approves or refuses.") % {"head": approver},
    )
    return redirect(ambassador)


def _detail_context(user: User, ambassador: Ambassador, **forms: Any) -> dict[str, Any]:
    now = timezone.now()
    today = local_today(now)
    state = ambassador.state_on(today)
    approver = ambassadors.approver_for(ambassador)
    return {
        "ambassador": ambassador,
        "state": state,
        "approver": approver,
        "can_decide": ambassador.status == Ambassador.Status.PROPOSED
        and approver is not None
        and approver.pk == user.pk,
        "can_end": state in ("current", "upcoming") and ambassadors.may_end(user, ambassador),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "end_form": forms.get("end_form") or EndForm(),
        "history": [
            {
                "at": entry.history_date,
                "by": entry.history_user,
                "reason": HISTORY_REASONS.get(entry.history_change_reason or "", entry.history_change_reason),
            }
            for entry in ambassador.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            )
        ],
    }


@require_GET
def ambassador_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One assignment: who, for which unit and account, the period, the assignment text, the decision
    and the history. Says that they speak from their own perspective (KAU-PRIVATE)."""
    user = signed_in(request)
    ambassador = _visible_or_404(user, pk)
    return render(request, "accounts/ambassador_detail.html", _detail_context(user, ambassador))


@require_POST
def ambassador_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The head of the unit approves or refuses (KTH-BLOG); nobody else may."""
    user = signed_in(request)
    ambassador = _visible_or_404(user, pk)
    if not ambassadors.may_decide(user, ambassador):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["action"] == "approve"
        try:
            if approve:
                ambassadors.approve_ambassador(
                    ambassador, by=user, reason=form.cleaned_data["reason"], now=timezone.now()
                )
                messages.success(request, _("Approved. The proposer is told."))
            else:
                ambassadors.refuse_ambassador(
                    ambassador, by=user, reason=form.cleaned_data["reason"], now=timezone.now()
                )
                messages.success(request, _("Refused. The proposer is told."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(ambassador)
    context = _detail_context(user, ambassador, decision_form=form)
    return render(request, "accounts/ambassador_detail.html", context, status=400)


@require_POST
def ambassador_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End an approved assignment before its last day, with a reason (KAU-PRIVATE: it leaves the
    public list at once)."""
    user = signed_in(request)
    ambassador = _visible_or_404(user, pk)
    if not ambassadors.may_end(user, ambassador):
        raise PermissionDenied
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            ambassadors.end_ambassador(
                ambassador, by=user, reason=form.cleaned_data["reason"], now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The assignment is ended. It is kept with its history."))
            return redirect(ambassador)
    context = _detail_context(user, ambassador, end_form=form)
    return render(request, "accounts/ambassador_detail.html", context, status=400)
