"""Closing of accounts (KAU-CLOSE), and the accounts proposed for it.

Closing is a workflow: started, commenting switched off where the platform allows (or confirmed
impossible), a final start-page screenshot kept by the archive (``account.screenshots``), closed. A
closed account stays in the registry with its whole history; nothing about it is deleted
(KAU-PUBLIC-RECORD). Who may take each step is ``accounts.followup.rights_for``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.dates import add_months
from accounts.followup import (
    Rights,
    StepRefused,
    copy_fields,
    interval_for,
    lock_account,
    require,
    rights_for,
)
from accounts.models import Account, CoverageGap, FollowUp
from core.history import record
from core.models import InstitutionSettings, User
from core.roles import Role, has_role
from core.units import in_subtrees, unit_paths_headed_by

# KAU-CLOSE: an account nobody can watch for this many days from today is proposed for closing.
MONITOR_WINDOW_DAYS = 7

OPEN_STATUSES = (Account.Status.ACTIVE, Account.Status.PAUSED)
COMMENTING_DONE = ("off", "not_possible")


# --- Closing (KAU-CLOSE) ------------------------------------------------------------------------------


def has_final_startpage(account: Account) -> bool:
    """KAU-CLOSE, KAU-STARTPAGE: "an account cannot be closed until its final start-page screenshot
    exists": a start-page screenshot kept by the archive, taken after closing started. The picture is
    the proof, not a date on the account. One query; False before closing has started."""
    started = account.closing_started_at
    if started is None:
        return False
    return account.screenshots.startpages().filter(taken_at__gte=started).exists()


def closing_missing(account: Account, *, final_startpage: bool | None = None) -> dict[str, str]:
    """What must be done before ``account`` can be closed, by code, in words (empty when nothing is).

    ``final_startpage`` is ``has_final_startpage(account)`` when the caller has it already."""
    if account.status != Account.Status.CLOSING or account.closing_started_at is None:
        return {"not_started": _("Closing has not been started.")}
    missing = {}
    if account.commenting not in COMMENTING_DONE:
        missing["commenting"] = _(
            "Nobody has confirmed that commenting is switched off, or that the platform does not "
            "allow switching it off."
        )
    if final_startpage is None:
        final_startpage = has_final_startpage(account)
    if not final_startpage:
        missing["screenshot"] = _(
            "No final screenshot of the start page has been kept since closing started."
        )
    return missing


@transaction.atomic
def start_closing(account: Account, *, reason: str, by: User, now: datetime) -> Account:
    """Begin closing an account that is no longer to be used (KAU-CLOSE).

    The head of the unit (or above) or the social media lead starts it; so may the owner. The account
    is marked *closing* and stays in the registry; the reason is kept with its history.
    """
    require(rights_for(by, account).start_closing)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the account is being closed.")})
    locked = lock_account(account)
    if locked.status not in OPEN_STATUSES:
        raise StepRefused(
            _("Closing cannot start: the account is %(status)s.")
            % {"status": locked.get_status_display().lower()},
            code="not_open",
        )
    locked.status = Account.Status.CLOSING
    locked.closing_started_at = now
    locked.closing_reason = reason.strip()
    locked.commenting = ""  # confirmed afresh within this closing
    record(locked, by=by, reason="closing started")
    locked.save(update_fields=["status", "closing_started_at", "closing_reason", "commenting"])
    copy_fields(account, locked, ["status", "closing_started_at", "closing_reason", "commenting"])
    return account


@transaction.atomic
def confirm_commenting(account: Account, *, commenting: str, by: User, now: datetime) -> Account:
    """Confirm that commenting is switched off, or that the platform does not allow it (KAU-CLOSE).

    If nobody can regularly watch incoming comments, commenting is switched off where the platform
    allows it. The owner, a deputy, the head or the lead confirms it while the account is closing.
    """
    require(rights_for(by, account).confirm_commenting)
    if commenting not in COMMENTING_DONE:
        raise ValidationError(
            {"commenting": _("Choose whether commenting is switched off or cannot be switched off.")}
        )
    locked = lock_account(account)
    if locked.status != Account.Status.CLOSING:
        raise StepRefused(
            _("Commenting is confirmed while the account is being closed; start closing first."),
            code="not_closing",
        )
    locked.commenting = commenting
    record(locked, by=by, reason="commenting confirmed for closing")
    locked.save(update_fields=["commenting"])
    copy_fields(account, locked, ["commenting"])
    return account


@transaction.atomic
def close_account(account: Account, *, by: User, now: datetime) -> Account:
    """Close the account, once commenting is confirmed and a final start-page screenshot exists
    (KAU-CLOSE, KAU-STARTPAGE).

    Only the head of the unit (or above) or the social media lead closes. A closed account stays in
    the registry with all its history, follow-ups and items: nothing about it is deleted
    (KAU-PUBLIC-RECORD). Refused with every missing step named.
    """
    require(rights_for(by, account).close)
    locked = lock_account(account)
    if locked.status == Account.Status.CLOSED:
        raise StepRefused(_("The account is already closed."), code="closed")
    missing = closing_missing(locked)
    if missing:
        raise StepRefused([ValidationError(message, code=code) for code, message in missing.items()])
    locked.status = Account.Status.CLOSED
    locked.closed_at = now
    locked.closed_by = by
    record(locked, by=by, reason="closed")
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    copy_fields(account, locked, ["status", "closed_at", "closed_by"])
    return account


# --- Proposed for closing (KAU-CLOSE) ------------------------------------------------------------------


class Reason:
    """Why an account is proposed for closing."""

    NO_FOLLOWUP = "no_followup"
    DECIDED_CLOSE = "decided_close"
    NO_COVER = "no_cover"
    NO_DEPUTY = "no_deputy"

    LABELS: dict[str, Any] = {
        NO_FOLLOWUP: gettext_lazy("No follow-up for a long time"),
        DECIDED_CLOSE: gettext_lazy("The latest follow-up decided to close the account"),
        NO_COVER: gettext_lazy("Nobody can watch the account in the coming week"),
        NO_DEPUTY: gettext_lazy("No active deputy"),
    }


@dataclass
class Candidate:
    account: Account
    reasons: list[str]

    @property
    def labels(self) -> list[Any]:
        return [Reason.LABELS[reason] for reason in self.reasons]

    @property
    def explained(self) -> list[tuple[str, Any]]:
        return [(reason, Reason.LABELS[reason]) for reason in self.reasons]


def closing_scope(user: Any) -> QuerySet[Account] | None:
    """The accounts whose closing ``user`` oversees: every account for the communications department
    and the social media lead, the accounts of their units for heads; None for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if has_role(user, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD):
        return Account.objects.all()
    paths = unit_paths_headed_by(user)
    if not paths:
        return None
    return Account.objects.filter(in_subtrees(paths))


def _start_of_day(day: date) -> datetime:
    """Midnight in Stockholm at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def closing_candidates(
    scope: QuerySet[Account], *, now: datetime, own_intervals: Iterable[int | None] | None = None
) -> list[Candidate]:
    """The open accounts in ``scope`` that should be considered for closing, each with its reasons.

    KAU-CLOSE: channels no longer active are closed, and one nobody can watch has its commenting
    switched off. Proposed are accounts with
    - no follow-up for a long time: the due date lies more than one interval back, or no follow-up
      has been recorded within two intervals of registration (KAU-FOLLOWUP);
    - a latest follow-up whose decision was to close;
    - nobody able to monitor: an unresolved coverage gap spanning the next seven days
      (KAU-RESP-DAILY), or no active deputy (KAU-RESP-OWNER).
    Three queries, however many accounts: the distinct own intervals (unless the caller knows them:
    ``own_intervals``), the institution's settings and the accounts with their annotations.
    """
    today = timezone.localdate(now)
    institution = InstitutionSettings.objects.get_solo()
    if own_intervals is None:
        own_intervals = (
            scope.exclude(followup_interval_months=None)
            .order_by()
            .values_list("followup_interval_months", flat=True)
            .distinct()
        )
    accounts = _with_closing_signs(scope, today=today, institution=institution, own_intervals=own_intervals)
    result = []
    for account in accounts:
        reasons = _reasons(account, today=today, months=interval_for(account, institution))
        if reasons:
            result.append(Candidate(account=account, reasons=reasons))
    return result


def _not_followed_up(
    today: date, institution: InstitutionSettings, own_intervals: Iterable[int | None]
) -> tuple[Q, Q]:
    """Accounts whose due date lies more than one interval back, and accounts registered more than two
    intervals ago, each under its own interval (KAU-FOLLOWUP): one condition per interval in use."""
    intervals = {institution.followup_interval_months} | {months for months in own_intervals if months}

    def own(months: int) -> Q:
        if months == institution.followup_interval_months:
            return Q(followup_interval_months=None) | Q(followup_interval_months=months)
        return Q(followup_interval_months=months)

    long_overdue = Q()
    registered_long_ago = Q()
    for months in sorted(intervals):
        long_overdue |= own(months) & Q(followup_due_on__lt=add_months(today, -months))
        registered_long_ago |= own(months) & Q(created_at__lt=_start_of_day(add_months(today, -2 * months)))
    return long_overdue, registered_long_ago


def _with_closing_signs(
    scope: QuerySet[Account],
    *,
    today: date,
    institution: InstitutionSettings,
    own_intervals: Iterable[int | None],
) -> QuerySet[Account]:
    """The open accounts of ``scope`` showing any sign that they should close, annotated with the
    signs: one query."""
    long_overdue, never_followed = _not_followed_up(today, institution, own_intervals)
    latest = FollowUp.objects.filter(account=OuterRef("pk")).order_by("-period_end", "-pk")
    return (
        scope.filter(status__in=OPEN_STATUSES)
        .annotate(
            latest_decision=Subquery(latest.values("decision")[:1]),
            has_followup=Exists(FollowUp.objects.filter(account=OuterRef("pk"))),
            has_active_deputy=Exists(
                Account.deputies.through.objects.filter(account_id=OuterRef("pk"), user__is_active=True)
            ),
            uncovered=Exists(
                CoverageGap.objects.filter(
                    account=OuterRef("pk"),
                    resolved_at=None,
                    starts_on__lte=today,
                    ends_on__gte=today + timedelta(days=MONITOR_WINDOW_DAYS - 1),
                )
            ),
        )
        .filter(
            long_overdue
            | (Q(has_followup=False) & never_followed)
            | Q(latest_decision=FollowUp.Decision.CLOSE)
            | Q(has_active_deputy=False)
            | Q(uncovered=True)
        )
        .select_related("unit", "owner")
        .order_by("unit__path", "name", "pk")
    )


def _reasons(account: Any, *, today: date, months: int) -> list[str]:
    """Why an account annotated by ``_with_closing_signs`` is proposed, in the order people read them."""
    reasons = []
    overdue = account.followup_due_on is not None and account.followup_due_on < add_months(today, -months)
    registered_on = timezone.localdate(account.created_at)
    never = not account.has_followup and registered_on < add_months(today, -2 * months)
    if overdue or never:
        reasons.append(Reason.NO_FOLLOWUP)
    if account.latest_decision == FollowUp.Decision.CLOSE:
        reasons.append(Reason.DECIDED_CLOSE)
    if account.uncovered:
        reasons.append(Reason.NO_COVER)
    if not account.has_active_deputy:
        reasons.append(Reason.NO_DEPUTY)
    return reasons


def accounts_being_closed(scope: QuerySet[Account]) -> QuerySet[Account]:
    return (
        scope.filter(status=Account.Status.CLOSING)
        .select_related("unit", "owner")
        .order_by("closing_started_at", "pk")
    )


# --- The account page -------------------------------------------------------------------------------


def detail_context(
    account: Account, *, user: Any, now: datetime, rights: Rights | None = None
) -> dict[str, Any]:
    """What the account page shows of closing: ``closing``, its steps and what is missing.

    A fixed handful of queries: the reasons the account may be proposed for closing, whether its final
    start-page screenshot is kept, and whether the person is a deputy (unless prefetched).
    """
    if rights is None:  # the caller has not asked already
        rights = rights_for(user, account)
    is_closed = account.status == Account.Status.CLOSED
    proposed = (
        closing_candidates(
            Account.objects.filter(pk=account.pk), now=now, own_intervals=[account.followup_interval_months]
        )
        if not is_closed
        else []
    )
    started = account.closing_started_at
    final_startpage = has_final_startpage(account) if started is not None else False
    steps = [
        {"label": _("Closing started"), "done": started is not None},
        {
            "label": _("Commenting switched off, or the platform does not allow it"),
            "done": started is not None and account.commenting in COMMENTING_DONE,
        },
        {
            "label": _("A final start-page screenshot after closing started"),
            "done": final_startpage,
        },
        {"label": _("Closed"), "done": is_closed},
    ]
    return {
        "closing": {
            "account": account,
            "status": account.status,
            "steps": steps,
            "missing": closing_missing(account, final_startpage=final_startpage)
            if account.status == Account.Status.CLOSING
            else {},
            "final_startpage": final_startpage,
            "startpage_url": reverse("archive:startpage", args=[account.pk]),
            "proposed": proposed[0].labels if proposed else [],
            "rights": rights,
            "can_open": rights.any_closing,
            "url": reverse("accounts:closing", args=[account.pk]),
        },
    }
