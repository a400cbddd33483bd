"""Follow-up, closing, the closing proposals and the side-by-side comparison (KAU-FOLLOWUP, KAU-CLOSE).

Each view: the account the person may see (or 404), what their role allows (or 403), the form, one
call to accounts.followup or accounts.closing, redirect. A step the account's state does not allow now
is 409, with the reason in words.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import closing, followup
from accounts.figures import prefill_for
from accounts.followup_forms import (
    CloseAccountForm,
    CommentingForm,
    FollowUpForm,
    IntervalForm,
    StartClosingForm,
)
from accounts.models import Account
from core.forms import add_service_errors
from core.http import signed_in
from core.models import InstitutionSettings, OrgUnit, User


def _account_or_404(user: User, pk: int) -> Account:
    """The account, if the person may see it; otherwise "not found", so that nothing is revealed."""
    return get_object_or_404(Account.objects.visible_to(user).select_related("unit", "owner"), pk=pk)


# --- Follow-up ---------------------------------------------------------------------------------------


def _render_followup(
    request: HttpRequest,
    account: Account,
    *,
    rights: followup.Rights,
    status: int = 200,
    form: FollowUpForm | None = None,
    interval_form: IntervalForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    institution = InstitutionSettings.objects.get_solo()
    latest = account.followups.order_by("-period_end", "-pk").first()
    interval = followup.interval_for(account, institution)
    if form is None:
        prefill = None
        if account.status != Account.Status.CLOSED:
            # KAU-FOLLOWUP: pre-filled from the platform's recorded readings and Kanalvakt's own counts,
            # for the period from the day after the last one up to today.
            start = followup.period_start(account, end=today, institution=institution)
            prefill = prefill_for(account, start, today)
        form = FollowUpForm(
            today=today, account_id=account.pk, prefill=prefill, initial={"period_end": today}
        )
    shown = form.shown
    context = {
        "account": account,
        "latest": latest,
        "closed": account.status == Account.Status.CLOSED,
        "form": form,
        "figures": shown.figures if shown is not None else {},
        "figures_from": shown.start if shown is not None else None,
        "interval_form": (
            interval_form
            or IntervalForm(
                institution_months=institution.followup_interval_months,
                initial={"months": account.followup_interval_months},
            )
        )
        if rights.set_interval
        else None,
        "interval": interval,
    }
    return render(request, "accounts/followup_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def followup_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a follow-up of the account, or (for the head and the lead) change its interval
    (KAU-FOLLOWUP)."""
    user = signed_in(request)
    account = _account_or_404(user, pk)
    rights = followup.rights_for(user, account)
    if not rights.record_followup:
        raise PermissionDenied
    if request.method == "GET":
        return _render_followup(request, account, rights=rights)
    now = timezone.now()
    if request.POST.get("form") == "interval":
        if not rights.set_interval:
            raise PermissionDenied
        institution = InstitutionSettings.objects.get_solo()
        interval_form = IntervalForm(request.POST, institution_months=institution.followup_interval_months)
        if not interval_form.is_valid():
            return _render_followup(request, account, rights=rights, status=400, interval_form=interval_form)
        try:
            followup.set_followup_interval(
                account, months=interval_form.cleaned_data["months"], by=user, now=now
            )
        except followup.StepRefused as exc:
            messages.error(request, " ".join(exc.messages))
            return _render_followup(request, account, rights=rights, status=409)
        except ValidationError as exc:
            add_service_errors(interval_form, exc)
            return _render_followup(request, account, rights=rights, status=400, interval_form=interval_form)
        messages.success(request, _("The follow-up interval is changed and the next due date recomputed."))
        return redirect("accounts:followup", pk=account.pk)
    form = FollowUpForm(request.POST, today=timezone.localdate(now), account_id=account.pk)
    if not form.is_valid():
        return _render_followup(request, account, rights=rights, status=400, form=form)
    try:
        followup.record_followup(account, by=user, now=now, **form.cleaned_data)
    except followup.StepRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_followup(request, account, rights=rights, status=409, form=form)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_followup(request, account, rights=rights, status=400, form=form)
    messages.success(
        request,
        _("The follow-up is recorded. The next one is due on %(date)s.")
        % {"date": date_format(account.followup_due_on, "j M Y").lower() if account.followup_due_on else "–"},
    )
    return redirect(reverse("accounts:detail", args=[account.pk]) + "#followups")


# --- Closing -----------------------------------------------------------------------------------------


def _render_closing(
    request: HttpRequest,
    account: Account,
    *,
    rights: followup.Rights,
    status: int = 200,
    start_form: StartClosingForm | None = None,
    commenting_form: CommentingForm | None = None,
    close_form: CloseAccountForm | None = None,
) -> HttpResponse:
    now = timezone.now()
    details = {
        **followup.detail_context(account, user=request.user, now=now, rights=rights),
        **closing.detail_context(account, user=request.user, now=now, rights=rights),
    }
    context = {
        "account": account,
        "rights": rights,
        "missing": details["closing"]["missing"],  # KAU-CLOSE: the final start-page screenshot, once
        "start_form": start_form or StartClosingForm(),
        "commenting_form": commenting_form or CommentingForm(initial={"commenting": account.commenting}),
        "close_form": close_form or CloseAccountForm(prefix="close"),
        **details,
    }
    return render(request, "accounts/closing.html", context, status=status)


@require_http_methods(["GET", "POST"])
def account_closing(request: HttpRequest, pk: int) -> HttpResponse:
    """The closing workflow of one account (KAU-CLOSE): start, confirm commenting, close.

    GET shows where the account stands; POST takes one ``step``. Who may take which step is
    ``followup.rights_for``; a step the state does not allow is 409 with what is missing named.
    """
    user = signed_in(request)
    account = _account_or_404(user, pk)
    rights = followup.rights_for(user, account)
    if not rights.any_closing:
        raise PermissionDenied
    if request.method == "GET":
        return _render_closing(request, account, rights=rights)
    step = request.POST.get("step", "")
    now = timezone.now()
    if step == "start":
        if not rights.start_closing:
            raise PermissionDenied
        start_form = StartClosingForm(request.POST)
        if not start_form.is_valid():
            return _render_closing(request, account, rights=rights, status=400, start_form=start_form)
        try:
            closing.start_closing(account, reason=start_form.cleaned_data["reason"], by=user, now=now)
        except followup.StepRefused as exc:
            return _refused(request, account, rights, exc)
        messages.success(
            request, _("Closing has started. Switch commenting off and take a final screenshot.")
        )
    elif step == "commenting":
        if not rights.confirm_commenting:
            raise PermissionDenied
        commenting_form = CommentingForm(request.POST)
        if not commenting_form.is_valid():
            return _render_closing(
                request, account, rights=rights, status=400, commenting_form=commenting_form
            )
        try:
            closing.confirm_commenting(
                account, commenting=commenting_form.cleaned_data["commenting"], by=user, now=now
            )
        except followup.StepRefused as exc:
            return _refused(request, account, rights, exc)
        messages.success(request, _("Commenting is confirmed."))
    elif step == "close":
        if not rights.close:
            raise PermissionDenied
        close_form = CloseAccountForm(request.POST, prefix="close")
        if not close_form.is_valid():
            return _render_closing(request, account, rights=rights, status=400, close_form=close_form)
        try:
            closing.close_account(account, by=user, now=now)
        except followup.StepRefused as exc:
            return _refused(request, account, rights, exc)
        messages.success(request, _("The account is closed. It stays in the registry with all its history."))
    else:
        messages.error(request, _("Choose a step in closing the account."))
        return _render_closing(request, account, rights=rights, status=400)
    return redirect("accounts:closing", pk=account.pk)


def _refused(
    request: HttpRequest, account: Account, rights: followup.Rights, exc: ValidationError
) -> HttpResponse:
    for message in exc.messages:
        messages.error(request, message)
    account.refresh_from_db()
    return _render_closing(request, account, rights=rights, status=409)


@require_GET
def closing_proposals(request: HttpRequest) -> HttpResponse:
    """Accounts proposed for closing, each with its reasons, and accounts being closed (KAU-CLOSE).

    For the communications department and the social media lead (every account) and for heads
    (their units' accounts); 403 for anyone else. A fixed number of queries.
    """
    scope = closing.closing_scope(signed_in(request))
    if scope is None:
        raise PermissionDenied
    now = timezone.now()
    context = {
        "candidates": closing.closing_candidates(scope, now=now),
        "in_progress": list(closing.accounts_being_closed(scope)),
    }
    return render(request, "accounts/closing_candidates.html", context)


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """A unit's accounts side by side with their latest follow-up (KAU-FOLLOWUP). Only accounts the
    person may see; a fixed number of queries."""
    user = signed_in(request)
    units = list(OrgUnit.objects.filter(is_active=True).order_by("path"))
    chosen = request.GET.get("enhet", "")
    unit = None
    if chosen:
        if not chosen.isdigit():
            raise Http404
        unit = next((candidate for candidate in units if candidate.pk == int(chosen)), None)
        if unit is None:
            raise Http404
    rows = followup.compare_rows(user, unit) if unit is not None else []
    options = [{"pk": option.pk, "label": f"{'– ' * option.depth}{option.display_name}"} for option in units]
    return render(request, "accounts/compare.html", {"unit_options": options, "unit": unit, "rows": rows})
