"""New-account requests in the browser: file, save as draft, submit, review, decide, print.

Each view: the request the person may see (or 404), the form, one service call, redirect.
Forbidden transitions come back from the service as InvalidTransition and are shown with 409.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account
from core.forms import add_service_errors
from core.http import signed_in
from core.models import InstitutionSettings
from governance import rounds, services, workflow
from governance.forms import (
    AccountRequestForm,
    CommentForm,
    DecisionForm,
    DiscardForm,
    ReviewForm,
    WithdrawForm,
)
from governance.models import AccountRequest
from governance.profile_guide import check_profile, guide_table
from governance.selectors import approver_for, approvers_for, requests_visible_to


def _visible_or_404(user: Any, pk: int) -> AccountRequest:
    queryset = requests_visible_to(user).select_related(
        "unit",
        "requester",
        "proposed_owner",
        "blogger",
        "blogger_assigning_unit",
        "reviewed_by",
        "decided_by",
        "account",
        "existing_account",
    )
    return get_object_or_404(queryset, pk=pk)


def _review_choices(req: AccountRequest) -> list[dict[str, str]]:
    """The deviations the review accepts are those found at submission (KAU-PROFILE-GUIDE), worded
    in the reader's language where the guide still finds them."""
    current = {d["code"]: d for d in req.current_deviations()}
    return [current.get(d["code"], d) for d in req.deviations]


def _conflict(request: HttpRequest, req: AccountRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return _render_detail(request, req, status=409)


def _act(
    request: HttpRequest, req: AccountRequest, change: Callable[[], object], *, done: str
) -> HttpResponse:
    """Make one change through its service and go back to the request; a change the request's state
    forbids changes nothing and is shown with 409."""
    try:
        change()
    except workflow.InvalidTransition as exc:
        return _conflict(request, req, exc.message)
    messages.success(request, done)
    return redirect(req)


def _render_detail(
    request: HttpRequest, req: AccountRequest, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    approver = approver_for(req)
    is_requester = req.requester_id == user.pk
    can_review = (
        req.status == AccountRequest.Status.SUBMITTED
        and user.has_perm("governance.review_request")
        and not is_requester
    )
    can_decide = (
        req.status == AccountRequest.Status.REVIEWED and approver is not None and approver.pk == user.pk
    )
    context = {
        "req": req,
        "approver": approver,
        "deputies": list(req.proposed_deputies.all()),
        "events": req.events.select_related("actor").order_by("at", "pk"),
        "is_requester": is_requester,
        "can_edit": is_requester and req.is_editable,
        "can_withdraw": is_requester and workflow.allowed(req.status, workflow.Action.WITHDRAW),
        "can_review": can_review,
        "can_decide": can_decide,
        "can_comment": req.status != AccountRequest.Status.DRAFT,
        "review_form": forms.get("review_form")
        or (ReviewForm(deviations=_review_choices(req)) if can_review else None),
        "decision_form": forms.get("decision_form") or (DecisionForm() if can_decide else None),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "withdraw_form": WithdrawForm(prefix="withdraw"),
        "round_changes": rounds.changes_since_last_round(req),
        "can_discard": is_requester and req.status == AccountRequest.Status.DRAFT,
        "discard_form": forms.get("discard_form") or DiscardForm(prefix="discard"),
    }
    return render(request, "governance/accountrequest_detail.html", context, status=status)


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests the person may see: their own, their units', or all for the communications department."""
    status = request.GET.get("status", "")
    requests = requests_visible_to(signed_in(request)).select_related("unit", "requester")
    if status in AccountRequest.Status.values:
        requests = requests.filter(status=status)
    page = Paginator(requests.order_by("-updated_at", "-pk"), 50).get_page(request.GET.get("sida"))
    return render(
        request,
        "governance/accountrequest_list.html",
        {"page": page, "statuses": AccountRequest.Status.choices, "status": status},
    )


def _save(request: HttpRequest, form: AccountRequestForm, req: AccountRequest | None) -> HttpResponse:
    """Save the draft; with action=submit also submit it, naming every missing part on the form."""
    user = signed_in(request)
    now = timezone.now()
    template = "governance/accountrequest_form.html"
    if not form.is_valid():
        return render(request, template, {"form": form, "req": req}, status=400)
    try:
        saved = services.save_draft(
            req.pk if req else None,
            by=user,
            data=form.service_data(),
            deputies=list(form.cleaned_data["proposed_deputies"]),
            now=now,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render(request, template, {"form": form, "req": req}, status=400)
    except workflow.InvalidTransition as exc:
        messages.error(request, exc.message)
        return redirect("governance:request_list" if req is None else req.get_absolute_url())
    if request.POST.get("action") != "submit":
        messages.success(request, _("The draft is saved. You can come back to it at any time."))
        return redirect("governance:request_edit", pk=saved.pk)
    try:
        services.submit_request(saved.pk, by=user, now=now)
    except services.IncompleteRequest as exc:
        form = AccountRequestForm(request.POST, instance=saved)
        form.is_valid()
        add_service_errors(form, exc)
        messages.error(
            request, _("The draft is saved, but it cannot be submitted yet: complete the parts marked below.")
        )
        return render(request, template, {"form": form, "req": saved}, status=400)
    messages.success(request, _("The request is submitted. The communications department reviews it next."))
    return redirect(saved)


def _existing_account(request: HttpRequest) -> Account | None:
    """The account named by ?konto=, if the person may see it and it lacks a strategy document."""
    raw = request.GET.get("konto", "")
    if not raw.isdigit():
        return None
    return (
        Account.objects.visible_to(signed_in(request))
        .filter(pk=int(raw), request__isnull=True)
        .prefetch_related("deputies")
        .first()
    )


@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, AccountRequestForm(request.POST), None)
    initial: dict[str, Any] = {"proposed_owner": request.user.pk}
    headed = request.user.headed_units.filter(is_active=True).first()  # type: ignore[union-attr]
    if headed is not None:
        initial["unit"] = headed.pk
    existing = _existing_account(request)
    if existing is not None:
        # A strategy document for a channel that existed before Kanalvakt (KAU-START-CHECKLIST).
        initial.update(
            existing_account=existing.pk,
            unit=existing.unit_id,
            platform=existing.platform,
            platform_other=existing.platform_other,
            name=existing.name,
            handle=existing.handle,
            proposed_owner=existing.owner_id,
            proposed_deputies=list(existing.deputies.all()),
        )
    return render(
        request,
        "governance/accountrequest_form.html",
        {"form": AccountRequestForm(initial=initial), "req": None},
    )


@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    req = _visible_or_404(request.user, pk)
    if req.requester_id != request.user.pk:
        raise PermissionDenied
    if not req.is_editable:
        messages.error(request, req.not_editable_message())
        return redirect(req)
    if request.method == "POST":
        return _save(request, AccountRequestForm(request.POST, instance=req), req)
    return render(
        request, "governance/accountrequest_form.html", {"form": AccountRequestForm(instance=req), "req": req}
    )


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_or_404(request.user, pk))


@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    req = _visible_or_404(request.user, pk)
    try:
        services.submit_request(req.pk, by=signed_in(request), now=timezone.now())
    except workflow.InvalidTransition as exc:
        return _conflict(request, req, exc.message)
    except services.IncompleteRequest:
        messages.error(request, _("The request cannot be submitted yet: complete the parts marked below."))
        return redirect("governance:request_edit", pk=req.pk)
    messages.success(request, _("The request is submitted. The communications department reviews it next."))
    return redirect(req)


@require_POST
def request_review(request: HttpRequest, pk: int) -> HttpResponse:
    req = _visible_or_404(request.user, pk)
    form = ReviewForm(request.POST, deviations=_review_choices(req))
    if not form.is_valid():
        return _render_detail(request, req, status=400, review_form=form)
    data, by, now = form.cleaned_data, signed_in(request), timezone.now()
    if data["action"] == "accept":
        review = partial(
            services.accept_request,
            req.pk,
            by=by,
            advice=data["advice"],
            accepted_deviations=data["accepted_deviations"],
            now=now,
        )
        done = _("The review is recorded. The head of unit decides next.")
    else:
        review = partial(services.return_request, req.pk, by=by, advice=data["advice"], now=now)
        done = _("The request is returned to the requester with your advice.")
    try:
        return _act(request, req, review, done=done)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_detail(request, req, status=400, review_form=form)


@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    req = _visible_or_404(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, req, status=400, decision_form=form)
    if form.cleaned_data["action"] == "approve":
        decide = services.approve_request
        done = _("The request is approved and the account is in the registry.")
    else:
        decide = services.reject_request
        done = _("The request is rejected. The requester has been told.")
    decision = partial(
        decide, req.pk, by=signed_in(request), reason=form.cleaned_data["reason"], now=timezone.now()
    )
    try:
        return _act(request, req, decision, done=done)
    except ValidationError as exc:
        # The registry refused the account (the handle is taken, the owner has left): nothing was
        # decided; the head is told why and the communications department can help put it right.
        for message in exc.messages:
            messages.error(request, message)
        return _render_detail(request, req, status=409, decision_form=form)


@require_POST
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    req = _visible_or_404(request.user, pk)
    form = WithdrawForm(request.POST, prefix="withdraw")
    form.is_valid()
    withdraw = partial(
        services.withdraw_request,
        req.pk,
        by=signed_in(request),
        comment=form.cleaned_data.get("comment", ""),
        now=timezone.now(),
    )
    return _act(request, req, withdraw, done=_("The request is withdrawn. It stays on record."))


@require_POST
def request_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Throw away a draft the requester no longer wants, once they have confirmed it: the one delete
    of a request, as a draft is not yet a public record (KAU-PUBLIC-RECORD)."""
    req = _visible_or_404(request.user, pk)
    if req.requester_id != request.user.pk:
        raise PermissionDenied
    form = DiscardForm(request.POST, prefix="discard")
    if req.status == AccountRequest.Status.DRAFT and not form.is_valid():
        return _render_detail(request, req, status=400, discard_form=form)
    try:
        services.discard_draft(req.pk, by=signed_in(request))
    except workflow.InvalidTransition as exc:
        return _conflict(request, req, exc.message)
    messages.success(request, _("The draft is discarded."))
    return redirect("governance:request_list")


@require_POST
def request_comment(request: HttpRequest, pk: int) -> HttpResponse:
    req = _visible_or_404(request.user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, req, status=400, comment_form=form)
    comment = partial(
        services.comment_on_request,
        req.pk,
        by=signed_in(request),
        comment=form.cleaned_data["comment"],
        now=timezone.now(),
    )
    return _act(request, req, comment, done=_("Your comment is added."))


def _record_context(req: AccountRequest) -> dict[str, Any]:
    """What the printable record and its PDF/A both show, formatted once so the two say the same."""
    from governance.records import readable_number

    return {
        "req": req,
        "institution_name": InstitutionSettings.objects.get_solo().institution_name,
        # No registration number is kept for a request: the registry gives it when it registers the
        # record, and the record leaves a labelled field for it.
        "registry_number": "",
        "hours_per_week": readable_number(req.resource_hours_per_week),
        "deputies": list(req.proposed_deputies.all()),
        "events": req.events.select_related("actor").order_by("at", "pk"),
        "approver": approvers_for([req])[req.pk],
        "printed_at": timezone.now(),
    }


@require_GET
def request_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision record (*blankett för godkännande*): who requested, who approved, when, on what."""
    req = _visible_or_404(request.user, pk)
    if req.status not in (AccountRequest.Status.APPROVED, AccountRequest.Status.REJECTED):
        raise PermissionDenied
    return render(request, "governance/accountrequest_record.html", _record_context(req))


@require_GET
def request_record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from governance.records import decision_record_pdf

    req = _visible_or_404(request.user, pk)
    if req.status not in (AccountRequest.Status.APPROVED, AccountRequest.Status.REJECTED):
        raise PermissionDenied
    response = HttpResponse(decision_record_pdf(_record_context(req)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="beslut-begaran-{req.pk}.pdf"'
    return response


@require_POST
def request_check(request: HttpRequest) -> JsonResponse:
    """The profile-guide check of a form in progress, for the live notice on the form (KAU-PROFILE-GUIDE)."""
    deviations = (
        check_profile(
            sender_type=request.POST.get("sender_type", ""),
            platform=request.POST.get("platform", ""),
            handle=request.POST.get("handle", ""),
            profile_picture=request.POST.get("profile_picture", ""),
        )
        if request.POST.get("sender_type") and request.POST.get("platform")
        else []
    )
    return JsonResponse(
        {"deviations": [{"code": d.code, "message": d.message, "rule": d.rule} for d in deviations]}
    )


@require_GET
def profile_guide(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/profile_guide.html", {"rows": guide_table()})
