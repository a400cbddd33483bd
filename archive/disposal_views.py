"""The retention schedule, disposal lists and legal holds (arkivlagen 10 §, RA-FS 2021:6).

The archivist (``archive.manage_retention``: the registrar/archivist role) keeps the schedule and
proposes, reviews, approves or rejects disposal lists; holds are placed and lifted by the archivist and
the social media lead (``archive.place_legal_hold``). Everyone else is refused these pages (403), and
an object that does not exist is not found (404). Every change is a POST to one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive import disposal as disposals
from archive import retention, retention_services
from archive.disposal_forms import ApproveForm, HoldForm, LiftForm, RejectForm, RuleForm
from archive.models import Disposal, DisposalEntry, LegalHold, RetentionRule
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User

LIST_SIZE = 50
HISTORY_SIZE = 50


def _archivist(request: HttpRequest, *, of_object: bool = False) -> User:
    """The archivist; anyone else is refused, and on the page of a rule, a list or a hold is told that
    nothing is there (404), as with every object a person may not see."""
    user = signed_in(request)
    if not retention_services.may_manage(user):
        raise Http404 if of_object else PermissionDenied
    return user


def _holder(request: HttpRequest, *, of_object: bool = False) -> User:
    user = signed_in(request)
    if not retention_services.may_hold(user):
        raise Http404 if of_object else PermissionDenied
    return user


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """The retention schedule (informationshanteringsplan) and its versions."""
    _archivist(request)
    rules = list(RetentionRule.objects.select_related("updated_by").order_by("pk"))
    history = list(
        RetentionRule.history.select_related("history_user").order_by("-history_id")[:HISTORY_SIZE]
    )
    return render(
        request,
        "archive/disposal/schedule.html",
        {
            "rules": [(rule, retention.describe_period(rule.period_months)) for rule in rules],
            "history": [(row, retention.describe_period(row.period_months)) for row in history],
        },
    )


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _archivist(request, of_object=True)
    rule = get_object_or_404(RetentionRule, pk=pk)
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                retention_services.update_rule(
                    rule.pk,
                    period_months=form.period_months(),
                    legal_basis=form.cleaned_data["legal_basis"],
                    reason=form.cleaned_data["reason"],
                    by=user,
                    now=timezone.now(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The retention schedule is changed."))
                return redirect("archive:retention")
        status = 400
    else:
        months = rule.period_months
        years = months is not None and months % 12 == 0
        form = RuleForm(
            initial={
                "period": (months // 12 if years else months) if months else None,
                "unit": "years" if years or months is None else "months",
                "legal_basis": rule.legal_basis,
            }
        )
        status = 200
    return render(request, "archive/disposal/rule_edit.html", {"rule": rule, "form": form}, status=status)


@require_GET
def disposal_list(request: HttpRequest) -> HttpResponse:
    _archivist(request)
    lists = list(Disposal.objects.select_related("proposed_by", "decided_by").order_by("-pk")[:LIST_SIZE])
    return render(request, "archive/disposal/disposal_list.html", {"disposals": lists, "limit": LIST_SIZE})


@require_POST
def disposal_propose(request: HttpRequest) -> HttpResponse:
    user = _archivist(request)
    made = disposals.propose_disposal(by=user, now=timezone.now())
    if made is None:
        messages.info(
            request,
            _("Nothing to propose: no record has passed its period, or a list is already under review."),
        )
        return redirect("archive:disposals")
    messages.success(request, _("A disposal list is proposed. Review it before approving."))
    return redirect("archive:disposal", made.pk)


def _detail(request: HttpRequest, disposal: Disposal, **forms: Any) -> dict[str, Any]:
    entries = list(
        DisposalEntry.objects.filter(disposal=disposal)
        .select_related("account", "excluded_by")
        .order_by("record_type", "record_at", "pk")[: disposals.MAX_ENTRIES]
    )
    return {
        "disposal": disposal,
        "entries": entries,
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "open": disposal.status == Disposal.Status.PROPOSED,
    }


def _disposal_or_404(pk: int) -> Disposal:
    return get_object_or_404(Disposal.objects.select_related("proposed_by", "decided_by"), pk=pk)


@require_GET
def disposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _archivist(request, of_object=True)
    disposal = _disposal_or_404(pk)
    return render(request, "archive/disposal/disposal_detail.html", _detail(request, disposal))


@require_POST
def disposal_exclude(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    user = _archivist(request, of_object=True)
    entry = get_object_or_404(DisposalEntry, pk=entry_id, disposal_id=pk)
    try:
        disposals.exclude_entry(entry.pk, by=user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("archive:disposal", pk)


@require_POST
def disposal_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _archivist(request, of_object=True)
    disposal = _disposal_or_404(pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            disposals.approve_disposal(
                disposal.pk,
                decision_reference=form.cleaned_data["decision_reference"],
                confirmed=form.cleaned_data["confirm"],
                note=form.cleaned_data["note"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The disposal is approved; the records are being destroyed."))
            return redirect("archive:disposal", disposal.pk)
    context = _detail(request, disposal, approve_form=form)
    return render(request, "archive/disposal/disposal_detail.html", context, status=400)


@require_POST
def disposal_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = _archivist(request, of_object=True)
    disposal = _disposal_or_404(pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            disposals.reject_disposal(
                disposal.pk, note=form.cleaned_data["note"], by=user, now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The list is rejected; nothing on it was destroyed."))
            return redirect("archive:disposal", disposal.pk)
    context = _detail(request, disposal, reject_form=form)
    return render(request, "archive/disposal/disposal_detail.html", context, status=400)


def _holds_page(request: HttpRequest, form: HoldForm, status: int = 200) -> HttpResponse:
    holds = list(
        LegalHold.objects.select_related("account", "placed_by", "lifted_by").order_by("-placed_at", "-pk")[
            :LIST_SIZE
        ]
    )
    return render(
        request,
        "archive/disposal/hold_list.html",
        {"holds": holds, "form": form, "lift_form": LiftForm(), "limit": LIST_SIZE},
        status=status,
    )


@require_GET
def hold_list(request: HttpRequest) -> HttpResponse:
    _holder(request)
    return _holds_page(request, HoldForm())


@require_POST
def hold_create(request: HttpRequest) -> HttpResponse:
    user = _holder(request)
    form = HoldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            retention_services.place_hold(
                account_id=data["account"].pk if data["account"] else None,
                item_id=data["item"],
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
                description=data["description"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The hold is placed: nothing it covers will be disposed of."))
            return redirect("archive:holds")
    return _holds_page(request, form, status=400)


@require_POST
def hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    user = _holder(request, of_object=True)
    hold = get_object_or_404(LegalHold, pk=pk)
    form = LiftForm(request.POST)
    if not form.is_valid():
        # Refused and nothing changes: the page again, with 400 and the field named.
        messages.error(request, _("Say why the hold is lifted."))
        return _holds_page(request, HoldForm(), status=400)
    try:
        retention_services.lift_hold(hold.pk, reason=form.cleaned_data["reason"], by=user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _holds_page(request, HoldForm(), status=400)
    messages.success(request, _("The hold is lifted."))
    return redirect("archive:holds")
