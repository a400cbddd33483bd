"""The campaign register in the browser (KAU-ADS): list, file, submit, approve or refuse, withdraw.

Each view: the campaign the person may see (or 404), whether they may act (or 403), the form, one
call to governance.campaigns, redirect. A step the campaign's state forbids is 409; bad input is 400.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account
from core.calendar import local_today
from core.downloads import table_response
from core.forms import add_service_errors
from core.http import signed_in
from governance import campaigns
from governance.campaign_forms import CampaignFilterForm, CampaignForm, DecisionForm
from governance.campaign_models import Campaign


def _visible_or_404(request: HttpRequest, pk: int) -> Campaign:
    queryset = campaigns.campaigns_visible_to(request.user).select_related(
        "account__unit", "account__owner", "created_by", "run_by", "decided_by", "withdrawn_by"
    )
    return get_object_or_404(queryset, pk=pk)


def _filtered(request: HttpRequest) -> tuple[CampaignFilterForm, QuerySet[Campaign]]:
    user = signed_in(request)
    visible = campaigns.campaigns_visible_to(user)
    accounts = Account.objects.filter(pk__in=visible.values("account_id")).order_by("name", "pk")
    form = CampaignFilterForm(request.GET, accounts=accounts)
    values = form.values()
    today = local_today(timezone.now())
    rows = visible.select_related("account__unit", "created_by", "run_by")
    if values["phase"] in campaigns.PHASES:
        rows = rows.filter(campaigns.PHASES[values["phase"]](today))
    if values["unit"] is not None:
        rows = rows.filter(account__unit__path__startswith=values["unit"].path)
    if values["account"] is not None:
        rows = rows.filter(account=values["account"])
    return form, rows.order_by("-starts_on", "-pk")


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns the person may see, with the ones started without approval flagged (KAU-ADS)."""
    form, rows = _filtered(request)
    today = local_today(timezone.now())
    page = Paginator(rows, 50).get_page(request.GET.get("sida"))
    for campaign in page.object_list:
        campaign.current_phase = campaign.phase(today)
    visible = campaigns.campaigns_visible_to(request.user)
    context = {
        "form": form,
        "page": page,
        "unapproved": visible.filter(campaigns.started_without_approval(today)).count(),
        "may_file": campaigns.accounts_for_campaigns(request.user).exists(),
        "query": request.GET.urlencode(),
    }
    return render(request, "governance/campaign_list.html", context)


def _table_rows(rows: Iterable[Campaign], today: Any) -> Iterable[list[object]]:
    for c in rows:
        yield [
            c.account.name,
            c.account.unit.display_name,
            c.get_kind_display(),
            c.subject,
            c.starts_on.isoformat(),
            c.ends_on.isoformat(),
            c.budget,
            str(c.run_by or ""),
            c.agency,
            c.get_status_display(),
            _("Started without approval") if c.phase(today) == "unapproved" else "",
        ]


@require_GET
def campaign_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered, as CSV (KAU-ADS)."""
    _form, rows = _filtered(request)
    today = local_today(timezone.now())
    header = [
        _("Account"),
        _("Unit"),
        _("What is marketed"),
        _("Name"),
        _("Starts on"),
        _("Ends on"),
        _("Budget (SEK)"),
        _("Run by (person)"),
        _("Run by (agency)"),
        _("Status"),
        _("Flag"),
    ]
    table: Iterable[Iterable[object]] = chain([header], _table_rows(rows.iterator(chunk_size=500), today))
    return table_response(table, fmt="csv", filename="kampanjer", title=_("Campaigns"))


def _form_page(
    request: HttpRequest, form: CampaignForm, campaign: Campaign | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "governance/campaign_form.html", {"form": form, "campaign": campaign}, status=status
    )


def _save(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    user = signed_in(request)
    form = CampaignForm(request.POST, instance=campaign, accounts=campaigns.accounts_for_campaigns(user))
    if not form.is_valid():
        return _form_page(request, form, campaign, status=400)
    try:
        saved = campaigns.save_campaign_draft(
            campaign.pk if campaign else None, by=user, data=form.service_data(), now=timezone.now()
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _form_page(request, form, campaign, status=400)
    except campaigns.CampaignConflict as exc:
        messages.error(request, exc.message)
        return redirect(campaign or "governance:campaign_list")
    messages.success(request, _("The campaign is saved as a draft. Submit it for approval before it starts."))
    return redirect(saved)


@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """File a paid campaign as a draft (KAU-ADS)."""
    accounts = campaigns.accounts_for_campaigns(request.user)
    if not accounts.exists():
        raise PermissionDenied
    if request.method == "POST":
        return _save(request, None)
    initial: dict[str, Any] = {"run_by": request.user.pk}
    raw = request.GET.get("konto", "")
    if raw.isdigit() and accounts.filter(pk=int(raw)).exists():
        initial["account"] = int(raw)
    return _form_page(request, CampaignForm(initial=initial, accounts=accounts), None)


@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _visible_or_404(request, pk)
    if not campaigns.may_change(request.user, campaign):
        raise PermissionDenied
    if not campaign.is_editable:
        messages.error(request, _("Only a draft can be changed."))
        return redirect(campaign)
    if request.method == "POST":
        return _save(request, campaign)
    accounts = campaigns.accounts_for_campaigns(request.user)
    return _form_page(request, CampaignForm(instance=campaign, accounts=accounts), campaign)


def _detail(
    request: HttpRequest, campaign: Campaign, *, status: int = 200, decision_form: DecisionForm | None = None
) -> HttpResponse:
    user = request.user
    may_decide = (
        campaign.status == Campaign.Status.SUBMITTED
        and campaigns.may_approve(user)
        and not campaigns.is_own(user, campaign)
    )
    may_change = campaigns.may_change(user, campaign)
    context = {
        "campaign": campaign,
        "phase": campaign.phase(local_today(timezone.now())),
        "may_edit": may_change and campaign.is_editable,
        "may_withdraw": may_change and campaign.status in Campaign.WITHDRAWABLE,
        "may_decide": may_decide,
        "decision_form": decision_form or (DecisionForm() if may_decide else None),
        "history": campaigns.history(campaign),
    }
    return render(request, "governance/campaign_detail.html", context, status=status)


@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_or_404(request, pk))


def _conflict(request: HttpRequest, campaign: Campaign, message: str) -> HttpResponse:
    messages.error(request, message)
    return _detail(request, campaign, status=409)


@require_POST
def campaign_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the draft for approval; on a subsidiary's account no approval is needed (KAU-ADS)."""
    campaign = _visible_or_404(request, pk)
    if not campaigns.may_change(request.user, campaign):
        raise PermissionDenied
    try:
        saved = campaigns.submit_campaign(campaign.pk, by=signed_in(request), now=timezone.now())
    except campaigns.CampaignConflict as exc:
        return _conflict(request, campaign, exc.message)
    if saved.status == Campaign.Status.NOT_REQUIRED:
        messages.success(request, _("No approval needed: the account is a subsidiary's (KAU-ADS)."))
    else:
        messages.success(request, _("The campaign is submitted. The communications department approves it."))
    return redirect(saved)


@require_POST
def campaign_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or refuse (KAU-ADS): an approver, never on their own campaign."""
    campaign = _visible_or_404(request, pk)
    if not campaigns.may_approve(request.user) or campaigns.is_own(request.user, campaign):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, campaign, status=400, decision_form=form)
    approve = form.cleaned_data["action"] == "approve"
    try:
        campaigns.decide_campaign(
            campaign.pk, approve=approve, by=signed_in(request), reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )  # fmt: skip
    except campaigns.CampaignConflict as exc:
        return _conflict(request, campaign, exc.message)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail(request, campaign, status=400, decision_form=form)
    messages.success(request, _("The campaign is approved.") if approve else _("The campaign is refused."))
    return redirect(campaign)


@require_POST
def campaign_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _visible_or_404(request, pk)
    if not campaigns.may_change(request.user, campaign):
        raise PermissionDenied
    try:
        campaigns.withdraw_campaign(campaign.pk, by=signed_in(request), now=timezone.now())
    except campaigns.CampaignConflict as exc:
        return _conflict(request, campaign, exc.message)
    messages.success(request, _("The campaign is withdrawn. It stays on record."))
    return redirect(campaign)
