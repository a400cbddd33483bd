"""The campaign register (KAU-ADS): who sees which campaign, and every change to one.

KAU-ADS: paid marketing of courses, programmes or services in official accounts is handled or
supervised by the communications department or appointed persons (not the university's
subsidiaries). A campaign is filed as a draft, submitted, and approved or refused by someone holding
``governance.approve_campaign`` (the communications department, the social media lead, or a person
given the permission directly) before it starts; never by the person who filed or runs it. On a
subsidiary's account it needs no approval. A campaign whose start has come while it still awaits
approval is flagged.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from core.calendar import local_today
from core.history import record
from core.models import User
from core.notifications import notify
from core.todo import TodoSection
from core.units import in_subtrees, unit_paths_headed_by
from governance.campaign_models import Campaign

APPROVE = "governance.approve_campaign"
FIELDS = ("account", "kind", "subject", "starts_on", "ends_on", "budget", "run_by", "agency", "description")


class CampaignConflict(Exception):
    """The campaign is not in a state where this step is allowed. Nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Who sees and does what ----------------------------------------------------------------------------


def may_approve(user: Any) -> bool:
    """KAU-ADS: the communications department, the social media lead, or an appointed person."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(APPROVE))


def _keeps_or_heads(user: User, *, via: str = "account__") -> Q:
    """The account (reached ``via`` a relation, or the row itself when ``via`` is "") is kept by
    ``user`` (owner or deputy) or lies under a unit ``user`` heads (KAU-RESP-OWNER, KAU-RESP-MANAGER)."""
    deputies = Account.deputies.through.objects.filter(user=user).values("account_id")
    own = "account_id" if via else "pk"
    return (
        Q(**{f"{via}owner": user})
        | Q(**{f"{own}__in": deputies})
        | in_subtrees(unit_paths_headed_by(user), field=f"{via}unit")
    )


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    """Every campaign ``user`` may see, as one filter (KAU-ADS).

    The communications department, the social media lead and appointed approvers see all; the
    account's owner, deputies and the head of its unit (or of a unit above it) see the account's
    campaigns, as they see the account (accounts.models.AccountQuerySet.visible_to); the person who
    filed a campaign sees it.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Campaign.objects.none()
    if may_approve(user):
        return Campaign.objects.all()
    return Campaign.objects.filter(_keeps_or_heads(user) | Q(created_by=user))


def accounts_for_campaigns(user: Any) -> QuerySet[Account]:
    """The open accounts ``user`` may file a campaign for: every one for an approver, else the ones
    they keep or whose unit they head."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Account.objects.none()
    accounts = Account.objects.exclude(status=Account.Status.CLOSED)
    if not may_approve(user):
        accounts = accounts.filter(_keeps_or_heads(user, via=""))
    return accounts.select_related("unit").order_by("name", "pk")


def may_change(user: Any, campaign: Campaign) -> bool:
    """Who edits, submits and withdraws: the person who filed it and the account's owner and deputies."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if campaign.created_by_id == user.pk or campaign.account.owner_id == user.pk:
        return True
    return campaign.account.deputies.filter(pk=user.pk).exists()


def is_own(user: Any, campaign: Campaign) -> bool:
    """KAU-ADS: nobody approves a campaign they filed or run themselves."""
    return user.pk in (campaign.created_by_id, campaign.run_by_id)


# --- Figures and filters -------------------------------------------------------------------------------


def started_without_approval(today: date) -> Q:
    """KAU-ADS: awaiting approval although its first day has come."""
    return Q(status=Campaign.Status.SUBMITTED, starts_on__lte=today)


PHASES: dict[str, Any] = {
    "awaiting": lambda today: Q(status=Campaign.Status.SUBMITTED),
    "running": lambda today: Q(status__in=Campaign.CLEARED, starts_on__lte=today, ends_on__gte=today),
    "upcoming": lambda today: Q(status__in=Campaign.CLEARED, starts_on__gt=today),
    "ended": lambda today: Q(status__in=Campaign.CLEARED, ends_on__lt=today),
    "unapproved": started_without_approval,
}


def campaigns_awaiting_approval(now: datetime) -> int:
    """Live figure (KAU-ADS): campaigns submitted and awaiting approval."""
    return Campaign.objects.filter(status=Campaign.Status.SUBMITTED).count()


def campaigns_started_without_approval(now: datetime) -> int:
    """Live figure (KAU-ADS): campaigns whose start date has come while they still await approval."""
    return Campaign.objects.filter(started_without_approval(local_today(now))).count()


# --- Changes ------------------------------------------------------------------------------------------


def _locked(campaign_id: int) -> Campaign:
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("account", "created_by")
        .get(pk=campaign_id)
    )


def _apply(campaign: Campaign, data: dict[str, Any], *, by: User) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown campaign fields: {sorted(unknown)}")
    for name, value in data.items():
        setattr(campaign, name, value)
    if not accounts_for_campaigns(by).filter(pk=campaign.account_id).exists():
        raise ValidationError({"account": _("You may not file a campaign for this account.")})
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise ValidationError({"ends_on": _("The campaign cannot end before it starts.")})
    if campaign.budget is not None and Decimal(campaign.budget) < 0:
        raise ValidationError({"budget": _("The budget cannot be negative.")})
    if campaign.run_by_id is None and not campaign.agency.strip():
        raise ValidationError({"run_by": _("Name who runs the campaign: a person, an agency or both.")})


@transaction.atomic
def save_campaign_draft(
    campaign_id: int | None, *, by: User, data: dict[str, Any], now: datetime
) -> Campaign:
    """File a new campaign as a draft, or change a draft (KAU-ADS). Only a draft is changed."""
    if campaign_id is None:
        campaign = Campaign(created_by=by)
        reason = "draft created"
    else:
        campaign = _locked(campaign_id)
        if not may_change(by, campaign):
            raise PermissionDenied
        if not campaign.is_editable:
            raise CampaignConflict(
                _("Only a draft can be changed; this campaign is %(status)s.") % _label(campaign)
            )
        reason = "draft saved"
    _apply(campaign, data, by=by)
    campaign.full_clean()
    record(campaign, by=by, reason=reason)
    campaign.save()
    return campaign


def _label(campaign: Campaign) -> dict[str, str]:
    return {"status": str(campaign.get_status_display()).lower()}


def _approvers() -> QuerySet[User]:
    """The people who approve campaigns: by their role, or appointed with the permission itself."""
    granted = Q(groups__permissions__codename="approve_campaign") | Q(
        user_permissions__codename="approve_campaign"
    )
    return User.objects.filter(granted, is_active=True).distinct()


def _tell(
    campaign: Campaign,
    *,
    key: str,
    recipients: Any,
    subject: str | Promise,
    template: str,
) -> None:
    notify(
        kind=f"campaign_{key}",
        key=f"campaign:{campaign.pk}:{key}",
        recipients=recipients,
        subject=subject,
        subject_params={"name": campaign.subject},
        template=template,
        context={"campaign": campaign},
        url=campaign.get_absolute_url(),
    )


@transaction.atomic
def submit_campaign(campaign_id: int, *, by: User, now: datetime) -> Campaign:
    """Send a draft for approval by the communications department or an appointed person (KAU-ADS).

    A campaign on a subsidiary's account is outside the rule: it needs no approval and says so. A
    campaign that has already ended is not submitted. The approvers are told by e-mail.
    """
    campaign = _locked(campaign_id)
    if not may_change(by, campaign):
        raise PermissionDenied
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignConflict(
            _("Only a draft can be submitted; this campaign is already %(status)s.") % _label(campaign)
        )
    if campaign.ends_on < local_today(now):
        raise CampaignConflict(_("The campaign's period has already ended; change the dates first."))
    campaign.submitted_at = now
    if campaign.account.subsidiary:
        campaign.status = Campaign.Status.NOT_REQUIRED
        record(campaign, by=by, reason="submitted: no approval needed, subsidiary")
        campaign.save()
        return campaign
    campaign.status = Campaign.Status.SUBMITTED
    record(campaign, by=by, reason="submitted")
    campaign.save()
    _tell(
        campaign,
        key="submitted",
        recipients=_approvers().exclude(pk__in=[by.pk, campaign.run_by_id or 0]),
        subject=gettext_lazy("A paid campaign awaits approval: %(name)s"),
        template="emails/campaign_submitted.txt",
    )
    return campaign


@transaction.atomic
def decide_campaign(campaign_id: int, *, approve: bool, by: User, reason: str, now: datetime) -> Campaign:
    """Approve or refuse a submitted campaign (KAU-ADS): only an approver, never for a campaign they
    filed or run, and a refusal always with a reason. The person who filed it is told."""
    campaign = _locked(campaign_id)
    if not may_approve(by) or is_own(by, campaign):
        raise PermissionDenied
    if campaign.status != Campaign.Status.SUBMITTED:
        raise CampaignConflict(
            _("Only a campaign awaiting approval can be decided; this one is %(status)s.") % _label(campaign)
        )
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for refusing the campaign.")})
    campaign.status = Campaign.Status.APPROVED if approve else Campaign.Status.REFUSED
    campaign.decided_by, campaign.decided_at, campaign.decision_reason = by, now, reason.strip()
    record(campaign, by=by, reason="approved" if approve else "refused")
    campaign.save()
    _tell(
        campaign,
        key="decided",
        recipients=[campaign.created_by],
        subject=gettext_lazy("Your paid campaign is approved: %(name)s")
        if approve
        else gettext_lazy("Your paid campaign is refused: %(name)s"),
        template="emails/campaign_decided.txt",
    )
    return campaign


@transaction.atomic
def withdraw_campaign(campaign_id: int, *, by: User, now: datetime) -> Campaign:
    """The campaign is no longer wanted. It stays on record, withdrawn, with who and when."""
    campaign = _locked(campaign_id)
    if not may_change(by, campaign):
        raise PermissionDenied
    if campaign.status not in Campaign.WITHDRAWABLE or (
        campaign.status in Campaign.CLEARED and campaign.ends_on < local_today(now)
    ):
        raise CampaignConflict(
            _("A campaign that is %(status)s or has ended can no longer be withdrawn.") % _label(campaign)
        )
    campaign.status = Campaign.Status.WITHDRAWN
    campaign.withdrawn_by, campaign.withdrawn_at = by, now
    record(campaign, by=by, reason="withdrawn")
    campaign.save()
    return campaign


def history(campaign: Campaign) -> list[dict[str, Any]]:
    """Every change to ``campaign``, oldest first: when, who, why and the status it left (one query)."""
    labels = dict(Campaign.Status.choices)
    return [
        {
            "at": row.history_date,
            "by": row.history_user,
            "reason": row.history_change_reason or "",
            "status": labels.get(row.status, row.status),
        }
        for row in campaign.history.select_related("history_user").order_by("history_date", "history_id")
    ]


# --- The start page ------------------------------------------------------------------------------------


def campaigns_to_approve(user: User, now: datetime) -> TodoSection | None:
    """KAU-ADS: the campaigns awaiting this person's approval, those already started first."""
    if not may_approve(user):
        return None
    rows = list(
        Campaign.objects.filter(status=Campaign.Status.SUBMITTED)
        .exclude(Q(created_by=user) | Q(run_by=user))
        .select_related("account")
        .order_by("starts_on", "pk")[:50]
    )
    return TodoSection(
        key="campaigns-approve",
        title=gettext_lazy("Paid campaigns awaiting your approval"),
        empty=gettext_lazy("No campaign awaits approval."),
        template="governance/campaign_todo.html",
        rows=rows,
        extra={"today": local_today(now)},
    )
