"""Owner and deputies, the account's name and address, and absences, in the browser.

Each view: the account or absence the person may see (or 404), whether their role may act (or 403),
the form, one call to accounts.coverage, redirect. Bad input is 400 with the field named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts import coverage, people
from accounts.coverage_forms import AbsenceForm, DetailsForm, PeopleForm
from accounts.models import Absence, Account
from core.calendar import local_today
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User
from core.roles import Role, has_role


def _manageable_or_404(user: User, pk: int) -> Account:
    """The account, if ``user`` may see it (else 404) and may change its people and details (else 403)."""
    account = get_object_or_404(Account.objects.visible_to(user).select_related("unit", "owner"), pk=pk)
    if not coverage.can_manage(user, account):
        raise PermissionDenied
    return account


def _save_account_form(
    request: HttpRequest,
    account: Account,
    form: forms.Form,
    *,
    template: str,
    save: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """A posted form about ``account``: if valid, ``save`` calls the service with the cleaned data
    and returns the message to show, then back to the account page. Bad input, or a refusal by the
    service, is 400 with the field named."""
    if form.is_valid():
        try:
            message = save(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("accounts:detail", pk=account.pk)
    return render(request, template, {"account": account, "form": form}, status=400)


@require_http_methods(["GET", "POST"])
def account_people(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the account owner and the deputies (KAU-RESP-OWNER); a new owner asks for a new start-page
    screenshot (KAU-STARTPAGE)."""
    user = signed_in(request)
    account = _manageable_or_404(user, pk)
    template = "accounts/account_people.html"
    if request.method != "POST":
        form = PeopleForm(
            initial={"owner": account.owner_id, "deputies": [person.pk for person in account.deputies.all()]}
        )
        return render(request, template, {"account": account, "form": form})

    def save(data: dict[str, Any]) -> str:
        previous_owner = account.owner_id
        owner = data["owner"]
        people.change_people(
            account, owner=owner, deputies=list(data["deputies"]), by=user, now=timezone.now()
        )
        if owner.pk != previous_owner:
            return _(
                "%(name)s is now the account owner. A new owner is a major change: take a new "
                "screenshot of the account's start page (KAU-STARTPAGE)."
            ) % {"name": owner}
        return _("The account owner and deputies are saved.")

    return _save_account_form(request, account, PeopleForm(request.POST), template=template, save=save)


@require_http_methods(["GET", "POST"])
def account_details(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename the account, change its handle or its address, or switch automatic start-page capture on
    or off; a new name or handle asks for a new start-page screenshot (KAU-STARTPAGE)."""
    user = signed_in(request)
    account = _manageable_or_404(user, pk)
    template = "accounts/account_details_form.html"
    may_mark_subsidiary = has_role(user, Role.SOCIAL_MEDIA_LEAD)  # KAU-ADS
    if request.method != "POST":
        form = DetailsForm(
            initial={
                "name": account.name,
                "handle": account.handle,
                "url": account.url,
                "capture_start_page": account.capture_start_page,
                "subsidiary": account.subsidiary,
            },
            may_mark_subsidiary=may_mark_subsidiary,
        )
        return render(request, template, {"account": account, "form": form})

    def save(data: dict[str, Any]) -> str:
        major = data["name"].strip() != account.name or data["handle"].strip() != account.handle
        people.change_details(
            account,
            name=data["name"],
            handle=data["handle"],
            url=data["url"],
            capture_start_page=data["capture_start_page"],
            subsidiary=data.get("subsidiary"),
            by=user,
            now=timezone.now(),
        )
        if major:
            return _(
                "The account's name and handle are saved. A new name or handle is a major change: "
                "take a new screenshot of the account's start page (KAU-STARTPAGE)."
            )
        return _("The account's details are saved.")

    form = DetailsForm(request.POST, may_mark_subsidiary=may_mark_subsidiary)
    return _save_account_form(request, account, form, template=template, save=save)


def _visible_absences(user: User) -> Any:
    """The absences ``user`` may act on: their own, or anyone's for the social media lead."""
    if has_role(user, Role.SOCIAL_MEDIA_LEAD):
        return Absence.objects.all()
    return Absence.objects.filter(person=user)


def _render_absences(
    request: HttpRequest, *, form: AbsenceForm | None = None, status: int = 200
) -> HttpResponse:
    user = signed_in(request)
    now = timezone.now()
    today = local_today(now)
    is_lead = has_role(user, Role.SOCIAL_MEDIA_LEAD)
    own = list(Absence.objects.filter(person=user).select_related("person").order_by("starts_on", "pk"))
    upcoming = [absence for absence in own if absence.ends_on >= today]
    past = [absence for absence in own if absence.ends_on < today][::-1][:50]
    others: list[Absence] = []
    if is_lead:
        others = list(
            Absence.objects.filter(ends_on__gte=today, cancelled_at__isnull=True)
            .exclude(person=user)
            .select_related("person")
            .order_by("starts_on", "pk")[:200]
        )
    # After recording: what the absence means for the accounts of its person (KAU-RESP-DAILY).
    shown: Absence | None = None
    warnings: list[coverage.GapWarning] = []
    raw = request.GET.get("franvaro", "")
    if raw.isdigit():
        shown = _visible_absences(user).select_related("person").filter(pk=int(raw)).first()
        if shown is not None:
            warnings = coverage.absence_warnings(shown, now=now)
    groups: list[dict[str, Any]] = [
        {
            "key": "upcoming",
            "title": _("Your absences to come"),
            "rows": upcoming,
            "empty": _("You have recorded no absence to come."),
            "cancellable": True,
            "show_person": False,
        }
    ]
    if is_lead:
        groups.append(
            {
                "key": "others",
                "title": _("Everyone else's absences to come"),
                "rows": others,
                "empty": _("Nobody else has recorded an absence to come."),
                "cancellable": True,
                "show_person": True,
            }
        )
    if past:
        groups.append(
            {
                "key": "past",
                "title": _("Your past absences"),
                "rows": past,
                "empty": "",
                "cancellable": False,
                "show_person": False,
            }
        )
    context = {
        "form": form or AbsenceForm(initial={"person": user.pk}, choose_person=is_lead),
        "groups": groups,
        "shown": shown,
        "warnings": warnings,
        "today": today,
    }
    return render(request, "accounts/absence_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
def absence_list(request: HttpRequest) -> HttpResponse:
    """The person's absences and a form to record one; after recording, which accounts would have
    nobody available and on which days (KAU-RESP-DAILY)."""
    user = signed_in(request)
    if request.method != "POST":
        return _render_absences(request)
    form = AbsenceForm(request.POST, choose_person=has_role(user, Role.SOCIAL_MEDIA_LEAD))
    if not form.is_valid():
        return _render_absences(request, form=form, status=400)
    data = form.cleaned_data
    try:
        absence, warnings = coverage.record_absence(
            person=data.get("person") or user,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            kind=data["kind"],
            note=data["note"],
            by=user,
            now=timezone.now(),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_absences(request, form=form, status=400)
    if warnings:
        messages.warning(
            request,
            ngettext(
                "The absence is recorded, but %(count)d account would have nobody available. See below.",
                "The absence is recorded, but %(count)d accounts would have nobody available. See below.",
                len(warnings),
            )
            % {"count": len(warnings)},
        )
    else:
        messages.success(request, _("The absence is recorded. Every account stays covered."))
    return redirect(f"{reverse('accounts:absences')}?franvaro={absence.pk}")


@require_POST
def absence_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an absence still to come; it is kept, marked cancelled."""
    user = signed_in(request)
    absence = get_object_or_404(_visible_absences(user), pk=pk)
    try:
        coverage.cancel_absence(absence, by=user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_absences(request, status=409)
    messages.success(request, _("The absence is cancelled."))
    return redirect("accounts:absences")
