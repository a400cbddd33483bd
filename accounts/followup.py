"""Follow-up of accounts (KAU-FOLLOWUP), and who may do what with an account's follow-up and closing.

Every account is followed up and evaluated at an interval: the institution's, or one of the
account's own. The follow-up records statistics, the two checklist answers, the value against the
resources the account takes and a decision; the next due date follows from it and is stored in
``Account.followup_due_on`` (indexed), which the daily reminder sweeps.

Who may do what is decided in one place, ``rights_for``, which the views and the services of
follow-up and of closing (accounts.closing) ask. The chart of the figures is drawn by accounts.charts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.charts import followup_chart, reading_points
from accounts.dates import add_months
from accounts.figures import Prefill, sources_kept
from accounts.models import Account, FigureReading, FollowUp
from accounts.selectors import heads_of, is_owner_or_deputy
from accounts.selectors import manages_account as manages
from accounts.todo import dated_section
from core import bounds
from core.history import record
from core.models import InstitutionSettings, Notification, OrgUnit, User
from core.notifications import notify, reachable
from core.todo import TodoSection

# KAU-FOLLOWUP: the owner and deputies are reminded this many days before a follow-up is due.
REMIND_DAYS_BEFORE = 14
# Limits of an account's own interval, the same as the institution's setting.
MIN_INTERVAL_MONTHS, MAX_INTERVAL_MONTHS = 1, 36
SWEEP_BATCH = 500
# How far back the account page's chart draws the platform's readings (KAU-FOLLOWUP).
READINGS_SHOWN = timedelta(days=731)


class StepRefused(ValidationError):
    """A step that the account's state does not allow now, with what is missing (shown as 409)."""


# --- Who may do what ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rights:
    """What one person may do with one account's follow-up and closing."""

    record_followup: bool = False
    set_interval: bool = False
    start_closing: bool = False
    confirm_commenting: bool = False
    close: bool = False

    @property
    def any_closing(self) -> bool:
        return self.start_closing or self.confirm_commenting or self.close


def rights_for(user: Any, account: Account) -> Rights:
    """The one answer to "who may", used by the views and the services alike.

    - Record a follow-up (KAU-FOLLOWUP): the owner, a deputy, the head of the unit or above, the lead.
    - Change the follow-up interval: the head of the unit or above, the social media lead.
    - Start closing (KAU-CLOSE): the head or the lead; the owner may start it too.
    - Confirm that commenting is switched off: the owner, a deputy, the head or the lead.
    - Close: the head of the unit or above, or the social media lead.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Rights()
    is_manager = manages(user, account)
    is_owner = account.owner_id == user.pk
    keeper = is_owner_or_deputy(user, account)
    return Rights(
        record_followup=keeper or is_manager,
        set_interval=is_manager,
        start_closing=is_owner or is_manager,
        confirm_commenting=keeper or is_manager,
        close=is_manager,
    )


def require(allowed: bool) -> None:
    """Refuse (403) a step that ``rights_for`` does not allow."""
    if not allowed:
        raise PermissionDenied


# --- Intervals and due dates (KAU-FOLLOWUP) -----------------------------------------------------------


def interval_for(account: Account, institution: InstitutionSettings) -> int:
    """The account's follow-up interval in months: its own, or the institution's."""
    return account.followup_interval_months or institution.followup_interval_months


def period_start(account: Account, *, end: date, institution: InstitutionSettings) -> date:
    """The first day of the period a follow-up up to ``end`` covers (KAU-FOLLOWUP): the day after the
    latest earlier follow-up's period, or one interval before ``end`` when there is none. The form's
    pre-fill and the service's marking of the figures both ask here, so they agree."""
    last = (
        account.followups.filter(period_end__lt=end)
        .order_by("-period_end", "-pk")
        .values_list("period_end", flat=True)
        .first()
    )
    return last + timedelta(days=1) if last else add_months(end, -interval_for(account, institution))


def lock_account(account: Account) -> Account:
    """The account, locked for a step of follow-up or closing (the account row only)."""
    return Account.objects.select_for_update(of=("self",)).select_related("unit").get(pk=account.pk)


def copy_fields(target: Account, source: Account, fields: Iterable[str]) -> None:
    """Give the caller's ``target`` the values a step saved on the locked ``source``."""
    for name in fields:
        setattr(target, name, getattr(source, name))


@transaction.atomic
def record_followup(
    account: Account,
    *,
    by: User,
    now: datetime,
    followers: int,
    posts: int,
    reactions: int,
    comments: int,
    traffic: str,
    reaches_audiences: str,
    keeps_up: str,
    value_estimate: str,
    decision: str,
    note: str = "",
    period_end: date | None = None,
    prefill: Prefill | None = None,
) -> FollowUp:
    """Record a follow-up of ``account`` and move its next due date on (KAU-FOLLOWUP).

    The follow-up holds the statistics (followers, posts, reactions, comments, traffic up or down),
    the checklist answers (do we reach the audiences we want to reach; can we keep up the frequency
    and monitoring required), the value against resources, and a decision. The next follow-up is
    due one interval after the end of the period (today when no period end is given). A closed
    account is not followed up.

    ``prefill`` is what the form pre-filled (accounts.figures, signed by the form): each figure it
    gave for this very period and the person kept unchanged is marked with where it came from (the
    platform, or Kanalvakt's own count); every other figure is marked as typed by hand.
    """
    require(rights_for(by, account).record_followup)
    locked = lock_account(account)
    if locked.status == Account.Status.CLOSED:
        raise StepRefused(_("The account is closed and is no longer followed up."), code="closed")
    today = timezone.localdate(now)
    period_end = period_end or today
    if period_end > today:
        raise ValidationError({"period_end": _("The period cannot end in the future.")})
    bounds.check_past_day(period_end, today=today, field="period_end")
    institution = InstitutionSettings.objects.get_solo()
    start = period_start(locked, end=period_end, institution=institution)
    submitted = {"followers": followers, "posts": posts, "reactions": reactions, "comments": comments}
    followup = FollowUp(
        account=locked,
        period_end=period_end,
        followers=followers,
        posts=posts,
        reactions=reactions,
        comments=comments,
        traffic=traffic,
        reaches_audiences=reaches_audiences,
        keeps_up=keeps_up,
        value_estimate=value_estimate,
        decision=decision,
        note=note,
        recorded_at=now,
        recorded_by=by,
        figure_sources=sources_kept(prefill, submitted, start=start, end=period_end),
    )
    followup.full_clean()
    record(followup, by=by, reason="follow-up recorded")
    followup.save()
    # A late entry for an earlier period never moves the due date back: the latest period counts.
    latest = max(
        FollowUp.objects.filter(account=locked).values_list("period_end", flat=True), default=period_end
    )
    locked.followup_due_on = add_months(max(latest, period_end), interval_for(locked, institution))
    record(locked, by=by, reason="follow-up recorded")
    locked.save(update_fields=["followup_due_on"])
    copy_fields(account, locked, ["followup_due_on"])
    return followup


@transaction.atomic
def set_followup_interval(account: Account, *, months: int | None, by: User, now: datetime) -> Account:
    """Give ``account`` an interval of its own, or return it to the institution's (KAU-FOLLOWUP).

    The due date is recomputed from the last follow-up's period end, or from registration when there
    has been none. Only the head of the unit (or above) and the social media lead change it.
    """
    require(rights_for(by, account).set_interval)
    if months is not None and not MIN_INTERVAL_MONTHS <= months <= MAX_INTERVAL_MONTHS:
        raise ValidationError(
            {
                "months": _("The interval is between %(low)s and %(high)s months.")
                % {"low": MIN_INTERVAL_MONTHS, "high": MAX_INTERVAL_MONTHS}
            }
        )
    locked = lock_account(account)
    if locked.status == Account.Status.CLOSED:
        raise StepRefused(_("The account is closed and is no longer followed up."), code="closed")
    locked.followup_interval_months = months
    last = locked.followups.order_by("-period_end", "-pk").values_list("period_end", flat=True).first()
    base = last or timezone.localdate(locked.created_at)
    locked.followup_due_on = add_months(base, interval_for(locked, InstitutionSettings.objects.get_solo()))
    record(locked, by=by, reason="follow-up interval changed")
    locked.save(update_fields=["followup_interval_months", "followup_due_on"])
    copy_fields(account, locked, ["followup_interval_months", "followup_due_on"])
    return account


# --- Reminders (KAU-FOLLOWUP) -------------------------------------------------------------------------


def remind_followups(*, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """Remind of follow-ups coming due and report overdue ones, each once (KAU-FOLLOWUP).

    Daily. From 14 days before the due date the owner and the deputies are reminded, once per due
    date (key ``followup-due:<account>:<date>``); once the date has passed, the owner, the deputies
    and the head of the unit are told it is overdue, once (``followup-overdue:<account>:<date>``).
    Closed accounts and accounts being closed are left alone.

    One indexed query over ``followup_due_on`` (the partial index ``account_followup_due_idx``), in
    batches by (due date, id). Nothing is claimed: the sweep changes no account, and "once" is the
    unique notification key, so a second run, or two at once, notifies nobody twice. Accounts whose
    people have all been told are skipped before ``notify`` is called, so a run with nothing new to
    say makes the same few queries however many accounts are due. Returns the notifications created.
    """
    today = timezone.localdate(now)
    due = (
        Account.objects.exclude(status=Account.Status.CLOSED)  # the partial index's condition
        .exclude(status=Account.Status.CLOSING)
        .filter(followup_due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE))
        .select_related("owner", "unit")
        .prefetch_related(Prefetch("deputies", queryset=User.objects.order_by("pk")))
        .order_by("followup_due_on", "pk")
    )
    created = 0
    after: tuple[date, int] | None = None
    while True:
        page = due
        if after is not None:
            page = page.filter(Q(followup_due_on__gt=after[0]) | Q(followup_due_on=after[0], pk__gt=after[1]))
        accounts = list(page[:batch])
        if not accounts:
            break
        created += _remind(accounts, today=today)
        if len(accounts) < batch:
            break
        last = accounts[-1]
        assert last.followup_due_on is not None  # filtered on it above
        after = (last.followup_due_on, last.pk)
    return created


def _remind(accounts: Sequence[Account], *, today: date) -> int:
    heads = heads_of(accounts)
    plans: list[tuple[Account, bool, str, list[User]]] = []
    for account in accounts:
        due_on = account.followup_due_on
        assert due_on is not None
        overdue = due_on < today
        candidates: list[User | None] = [account.owner, *account.deputies.all()]
        if overdue:
            candidates.append(heads[account.pk])
        prefix = "followup-overdue" if overdue else "followup-due"
        plans.append((account, overdue, f"{prefix}:{account.pk}:{due_on.isoformat()}", reachable(candidates)))
    wanted = [f"{key}:{person.pk}" for _account, _overdue, key, people in plans for person in people]
    told = set(Notification.objects.filter(key__in=wanted).values_list("key", flat=True))
    created = 0
    for account, overdue, key, people in plans:
        if not people or all(f"{key}:{person.pk}" in told for person in people):
            continue
        created += len(
            notify(
                kind="followup_overdue" if overdue else "followup_due",
                key=key,
                recipients=people,
                subject=gettext_lazy("Follow-up overdue: %(name)s")
                if overdue
                else gettext_lazy("Follow-up due soon: %(name)s"),
                subject_params={"name": account.name},
                template="emails/followup_overdue.txt" if overdue else "emails/followup_due.txt",
                context={"account": account, "due_on": account.followup_due_on},
                url=reverse("accounts:followup", args=[account.pk]),
            )
        )
    return created


# --- Comparing a unit's accounts (KAU-FOLLOWUP) ---------------------------------------------------------


@dataclass
class CompareRow:
    account: Account
    latest: FollowUp | None
    previous_followers: int | None

    @property
    def follower_change(self) -> int | None:
        if self.latest is None or self.previous_followers is None:
            return None
        return self.latest.followers - self.previous_followers


def compare_rows(user: User, unit: OrgUnit) -> list[CompareRow]:
    """The open accounts of ``unit`` and the units below it that ``user`` may see, each with its
    latest follow-up and the followers at the one before. Two queries, however many accounts."""
    latest = FollowUp.objects.filter(account=OuterRef("pk")).order_by("-period_end", "-pk")
    accounts: list[Any] = list(
        Account.objects.visible_to(user)
        .in_subtree(unit)
        .exclude(status=Account.Status.CLOSED)
        .annotate(
            latest_followup_id=Subquery(latest.values("pk")[:1]),
            previous_followers=Subquery(latest.values("followers")[1:2]),
        )
        .select_related("unit", "owner")
        .order_by("unit__path", "name", "pk")
    )
    ids = [account.latest_followup_id for account in accounts if account.latest_followup_id]
    followups = FollowUp.objects.in_bulk(ids) if ids else {}
    return [
        CompareRow(
            account=account,
            latest=followups.get(account.latest_followup_id),
            previous_followers=account.previous_followers,
        )
        for account in accounts
    ]


# --- The account page -------------------------------------------------------------------------------


def detail_context(
    account: Account, *, user: Any, now: datetime, rights: Rights | None = None
) -> dict[str, Any]:
    """What the account page shows of follow-up: ``followup`` (closing: accounts.closing).

    Three queries: the follow-ups, the platform's readings of followers over the last two years (one
    query however many, drawn day by day or week by week: accounts.charts.reading_points) and the
    institution's settings; whether the person is a deputy is read from the account's prefetched
    deputies, or in one more.
    """
    today = timezone.localdate(now)
    if rights is None:  # the caller has not asked already
        rights = rights_for(user, account)
    institution = InstitutionSettings.objects.get_solo()
    history = list(account.followups.select_related("recorded_by").order_by("period_end", "pk"))
    readings = reading_points(
        [
            (day, followers)
            for day, followers in FigureReading.objects.filter(
                account=account, taken_on__gte=today - READINGS_SHOWN, followers__isnull=False
            )
            .order_by("taken_on")
            .values_list("taken_on", "followers")
            if followers is not None
        ]
    )
    due_on = account.followup_due_on
    is_closed = account.status == Account.Status.CLOSED
    return {
        "followup": {
            "account": account,
            "history": list(reversed(history)),
            "latest": history[-1] if history else None,
            "chart": followup_chart(history, readings),
            "readings": list(reversed(readings)),
            "chart_id": f"followup-chart-{account.pk}",
            "due_on": due_on,
            "overdue": due_on is not None and due_on < today and not is_closed,
            "due_soon": due_on is not None
            and today <= due_on <= today + timedelta(days=REMIND_DAYS_BEFORE)
            and not is_closed,
            "interval": interval_for(account, institution),
            "own_interval": account.followup_interval_months,
            "institution_interval": institution.followup_interval_months,
            "can_record": rights.record_followup and not is_closed,
            "url": reverse("accounts:followup", args=[account.pk]),
            "compare_url": f"{reverse('accounts:compare')}?enhet={account.unit_id}",
        },
    }


# --- The start page ---------------------------------------------------------------------------------


def todo_followups(user: Any, now: datetime) -> TodoSection | None:
    """The accounts ``user`` owns or deputises for whose follow-up is due within 14 days or overdue
    (KAU-FOLLOWUP). One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    today = timezone.localdate(now)
    rows = list(
        Account.objects.kept_by(user)
        .exclude(status=Account.Status.CLOSED)
        .exclude(status=Account.Status.CLOSING)
        .filter(followup_due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE))
        .select_related("unit")
        .order_by("followup_due_on", "name", "pk")[:50]
    )
    return dated_section(
        "followups",
        gettext_lazy("Follow-ups to record"),
        rows,
        template="accounts/todo_followups.html",
        today=today,
    )
