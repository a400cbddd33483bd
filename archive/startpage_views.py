"""An account's start-page screenshots (KAU-STARTPAGE): see them, upload one, or capture one now.

Who: the account owner and the deputies record start pages (the policy has the owner take them);
the head of the unit and above, the communications department, the social media lead and the
registrar see them (``archive.startpage.may_view_startpages``). Someone who may not see the account
gets 404 (``Account.objects.visible_to``); someone who sees it but not its start pages, or who may only
look, gets 403 for what they may not do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account
from archive import startpage as service
from archive.http import capture_refused, say_capture_outcome
from archive.models import CaptureAttempt, Screenshot
from archive.services import CaptureRefused
from archive.startpage_forms import StartpageUploadForm
from core.http import signed_in
from core.images import ImageRefused
from core.models import InstitutionSettings, User

TEMPLATE = "archive/startpage.html"
SHOWN_ATTEMPTS = 5


def _account_or_404(user: User, account_id: int) -> Account:
    """The account, if ``user`` may see it (else 404) and its start pages (else 403)."""
    visible = Account.objects.visible_to(user).select_related("unit", "owner")
    account = get_object_or_404(visible, pk=account_id)
    if not service.may_view_startpages(user, account):
        raise PermissionDenied
    return account


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:100]


def _render(
    request: HttpRequest,
    account: Account,
    *,
    form: StartpageUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in(request)
    now = timezone.now()
    months = InstitutionSettings.objects.get_solo().startpage_interval_months
    can_record = service.may_record(user, account) and account.status != Account.Status.CLOSED
    context: dict[str, Any] = {
        "account": account,
        "screenshots": list(
            Screenshot.objects.filter(account=account, purpose=Screenshot.Purpose.STARTPAGE)
            .select_related("taken_by")
            .order_by("-taken_at", "-pk")
        ),
        "attempts": list(
            CaptureAttempt.objects.filter(account=account, purpose=Screenshot.Purpose.STARTPAGE)
            .select_related("requested_by")
            .order_by("-started_at", "-pk")[:SHOWN_ATTEMPTS]
        ),
        "state": service.due_state(account, now=now, interval_months=months),
        "interval": months,
        "can_record": can_record,
        "can_capture": can_record and bool(account.url),
        "form": form or StartpageUploadForm(),
    }
    return render(request, TEMPLATE, context, status=status)


def _refuse_closed(request: HttpRequest, account: Account) -> HttpResponse:
    # KAU-CLOSE: nothing more is asked of a closed account; it stays as it was closed.
    messages.error(request, _("The account is closed: there is nothing more to confirm."))
    return _render(request, account, status=409)


@require_http_methods(["GET", "POST"])
def startpage(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account's start-page screenshots with their stamped copies and where the account stands
    (KAU-STARTPAGE); POST uploads a new one (the owner or a deputy)."""
    user = signed_in(request)
    account = _account_or_404(user, account_id)
    if request.method != "POST":
        return _render(request, account)
    if not service.may_record(user, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        return _refuse_closed(request, account)
    form = StartpageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, account, form=form, status=400)
    now = timezone.now()
    try:
        service.record_startpage_screenshot(
            account,
            data=form.cleaned_data["image"].read(),
            by=user,
            now=now,
            taken_at=service.taken_at_for(form.cleaned_data["taken_on"], now=now),
            taken_from=_client_address(request),
        )
    except ImageRefused as exc:
        form.add_error("image", str(exc))
        return _render(request, account, form=form, status=400)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error("taken_on" if field == "taken_at" else None, errors)
        else:
            form.add_error(None, exc.messages)
        return _render(request, account, form=form, status=400)
    messages.success(request, _("The start-page screenshot is kept and recorded."))
    return redirect("archive:startpage", account_id=account.pk)


@require_POST
def startpage_capture(request: HttpRequest, account_id: int) -> HttpResponse:
    """Capture the account's public start page now with headless Chromium (KAU-STARTPAGE).

    The owner or a deputy asks; only where the account has an address. The capture runs outside any
    transaction, and a failure is recorded and said, never silent. A capture the service does not
    start (too many asked for: 429 with Retry-After; the start page is being captured now: 409) is
    said on the page, and nothing is stored.
    """
    user = signed_in(request)
    account = _account_or_404(user, account_id)
    if not service.may_record(user, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        return _refuse_closed(request, account)
    if not account.url:
        messages.error(
            request,
            _(
                "The account has no address to capture. Add it to the account's details, or upload "
                "a screenshot."
            ),
        )
        return redirect("archive:startpage", account_id=account.pk)
    try:
        attempt = service.capture_startpage(account, by=user, now=timezone.now())
    except CaptureRefused as exc:
        return capture_refused(request, exc, lambda status: _render(request, account, status=status))
    say_capture_outcome(
        request,
        attempt,
        captured=_("The start page is captured, kept and recorded."),
        failed=_("The start page could not be captured: %(why)s Upload a screenshot instead.")
        % {"why": attempt.error or _("the page did not answer as expected.")},
    )
    return redirect("archive:startpage", account_id=account.pk)
