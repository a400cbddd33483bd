"""Follow-up and closing of accounts (KAU-FOLLOWUP, KAU-CLOSE).

Every account is followed up and evaluated at an interval: the institution's, or one of the
account's own. The follow-up records statistics, the two checklist answers, the value against the
resources the account takes and a decision; the next due date follows from it and is stored in
``Account.followup_due_on`` (indexed), which the daily reminder sweeps.

Closing is a workflow: started, commenting switched off where the platform allows (or confirmed
impossible), a final start-page screenshot kept by the archive (archive.Screenshot), closed. A
closed account stays in the registry with its whole history; nothing about it is deleted
(KAU-PUBLIC-RECORD).

Who may do what is decided in one place, ``rights_for``, which both the views and the services ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.dates import add_months
from accounts.models import Account, CoverageGap, FollowUp
from accounts.selectors import is_owner_or_deputy
from accounts.selectors import manages_account as manages
from core import bounds
from core.history import record
from core.models import InstitutionSettings, Notification, OrgUnit, User
from core.notifications import notify
from core.roles import Role, has_role
from core.todo import TodoSection
from core.units import heads_for_paths, in_subtrees, unit_paths_headed_by

# KAU-FOLLOWUP: the owner and deputies are reminded this many days before a follow-up is due.
REMIND_DAYS_BEFORE = 14
# KAU-CLOSE: an account nobody can watch for this many days from today is proposed for closing.
MONITOR_WINDOW_DAYS = 7
# Limits of an account's own interval, the same as the institution's setting.
MIN_INTERVAL_MONTHS, MAX_INTERVAL_MONTHS = 1, 36
SWEEP_BATCH = 500

OPEN_STATUSES = (Account.Status.ACTIVE, Account.Status.PAUSED)
COMMENTING_DONE = ("off", "not_possible")


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


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Intervals and due dates (KAU-FOLLOWUP) -----------------------------------------------------------


def interval_for(account: Account, institution: InstitutionSettings) -> int:
    """The account's follow-up interval in months: its own, or the institution's."""
    return account.followup_interval_months or institution.followup_interval_months


def _start_of_day(day: date) -> datetime:
    """Midnight in Stockholm at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _locked(account: Account) -> Account:
    return Account.objects.select_for_update(of=("self",)).select_related("unit").get(pk=account.pk)


def _refresh(target: Account, source: Account, fields: Iterable[str]) -> None:
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
) -> FollowUp:
    """Record a follow-up of ``account`` and move its next due date on (KAU-FOLLOWUP).

    The follow-up holds the statistics (followers, posts, reactions, comments, traffic up or down),
    the checklist answers (do we reach the audiences we want to reach; can we keep up the frequency
    and monitoring required), the value against resources, and a decision. The next follow-up is
    due one interval after the end of the period (today when no period end is given). A closed
    account is not followed up.
    """
    _require(rights_for(by, account).record_followup)
    locked = _locked(account)
    if locked.status == Account.Status.CLOSED:
        raise StepRefused(_("The account is closed and is no longer followed up."), code="closed")
    today = timezone.localdate(now)
    period_end = period_end or today
    if period_end > today:
        raise ValidationError({"period_end": _("The period cannot end in the future.")})
    bounds.check_past_day(period_end, today=today, field="period_end")
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
    )
    followup.full_clean()
    record(followup, by=by, reason="follow-up recorded")
    followup.save()
    institution = InstitutionSettings.objects.get_solo()
    # A late entry for an earlier period never moves the due date back: the latest period counts.
    latest = max(
        FollowUp.objects.filter(account=locked).values_list("period_end", flat=True), default=period_end
    )
    locked.followup_due_on = add_months(max(latest, period_end), interval_for(locked, institution))
    record(locked, by=by, reason="follow-up recorded")
    locked.save(update_fields=["followup_due_on"])
    _refresh(account, locked, ["followup_due_on"])
    return followup


@transaction.atomic
def set_followup_interval(account: Account, *, months: int | None, by: User, now: datetime) -> Account:
    """Give ``account`` an interval of its own, or return it to the institution's (KAU-FOLLOWUP).

    The due date is recomputed from the last follow-up's period end, or from registration when there
    has been none. Only the head of the unit (or above) and the social media lead change it.
    """
    _require(rights_for(by, account).set_interval)
    if months is not None and not MIN_INTERVAL_MONTHS <= months <= MAX_INTERVAL_MONTHS:
        raise ValidationError(
            {
                "months": _("The interval is between %(low)s and %(high)s months.")
                % {"low": MIN_INTERVAL_MONTHS, "high": MAX_INTERVAL_MONTHS}
            }
        )
    locked = _locked(account)
    if locked.status == Account.Status.CLOSED:
        raise StepRefused(_("The account is closed and is no longer followed up."), code="closed")
    locked.followup_interval_months = months
    last = locked.followups.order_by("-period_end", "-pk").values_list("period_end", flat=True).first()
    base = last or timezone.localdate(locked.created_at)
    locked.followup_due_on = add_months(base, interval_for(locked, InstitutionSettings.objects.get_solo()))
    record(locked, by=by, reason="follow-up interval changed")
    locked.save(update_fields=["followup_interval_months", "followup_due_on"])
    _refresh(account, locked, ["followup_interval_months", "followup_due_on"])
    return account


# --- Reminders (KAU-FOLLOWUP) -------------------------------------------------------------------------


def heads_of(accounts: Sequence[Account]) -> dict[int, User | None]:
    """The manager answering for each account (KAU-RESP-MANAGER): the head of its unit, or the
    nearest active head above. One query for any number of accounts."""
    return heads_for_paths({account.pk: account.unit.path for account in accounts})


def _reachable(people: Iterable[User | None]) -> list[User]:
    """Distinct people who can receive e-mail, in order (the same rule as core.notifications)."""
    seen: set[int] = set()
    result = []
    for person in people:
        if person is None or person.pk in seen or not person.is_active or not person.email.strip():
            continue
        seen.add(person.pk)
        result.append(person)
    return result


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
        plans.append(
            (account, overdue, f"{prefix}:{account.pk}:{due_on.isoformat()}", _reachable(candidates))
        )
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
    _require(rights_for(by, account).start_closing)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the account is being closed.")})
    locked = _locked(account)
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
    _refresh(account, locked, ["status", "closing_started_at", "closing_reason", "commenting"])
    return account


@transaction.atomic
def confirm_commenting(account: Account, *, commenting: str, by: User, now: datetime) -> Account:
    """Confirm that commenting is switched off, or that the platform does not allow it (KAU-CLOSE).

    If nobody can regularly watch incoming comments, commenting is switched off where the platform
    allows it. The owner, a deputy, the head or the lead confirms it while the account is closing.
    """
    _require(rights_for(by, account).confirm_commenting)
    if commenting not in COMMENTING_DONE:
        raise ValidationError(
            {"commenting": _("Choose whether commenting is switched off or cannot be switched off.")}
        )
    locked = _locked(account)
    if locked.status != Account.Status.CLOSING:
        raise StepRefused(
            _("Commenting is confirmed while the account is being closed; start closing first."),
            code="not_closing",
        )
    locked.commenting = commenting
    record(locked, by=by, reason="commenting confirmed for closing")
    locked.save(update_fields=["commenting"])
    _refresh(account, locked, ["commenting"])
    return account


@transaction.atomic
def close_account(account: Account, *, by: User, now: datetime) -> Account:
    """Close the account, once commenting is confirmed and a final start-page screenshot exists
    (KAU-CLOSE, KAU-STARTPAGE).

    Only the head of the unit (or above) or the social media lead closes. A closed account stays in
    the registry with all its history, follow-ups and items: nothing about it is deleted
    (KAU-PUBLIC-RECORD). Refused with every missing step named.
    """
    _require(rights_for(by, account).close)
    locked = _locked(account)
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
    _refresh(account, locked, ["status", "closed_at", "closed_by"])
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
    intervals = {institution.followup_interval_months}
    if own_intervals is None:
        own_intervals = (
            scope.exclude(followup_interval_months=None)
            .order_by()
            .values_list("followup_interval_months", flat=True)
            .distinct()
        )
    intervals |= {months for months in own_intervals if months}

    def own(months: int) -> Q:
        if months == institution.followup_interval_months:
            return Q(followup_interval_months=None) | Q(followup_interval_months=months)
        return Q(followup_interval_months=months)

    long_overdue = Q()
    never_followed = Q()
    for months in sorted(intervals):
        long_overdue |= own(months) & Q(followup_due_on__lt=add_months(today, -months))
        never_followed |= own(months) & Q(created_at__lt=_start_of_day(add_months(today, -2 * months)))
    latest = FollowUp.objects.filter(account=OuterRef("pk")).order_by("-period_end", "-pk")
    accounts = (
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
    result = []
    for account in accounts:
        months = interval_for(account, institution)
        reasons = []
        overdue = account.followup_due_on is not None and account.followup_due_on < add_months(today, -months)
        never = not account.has_followup and timezone.localdate(account.created_at) < add_months(
            today, -2 * months
        )
        if overdue or never:
            reasons.append(Reason.NO_FOLLOWUP)
        if account.latest_decision == FollowUp.Decision.CLOSE:
            reasons.append(Reason.DECIDED_CLOSE)
        if account.uncovered:
            reasons.append(Reason.NO_COVER)
        if not account.has_active_deputy:
            reasons.append(Reason.NO_DEPUTY)
        if reasons:
            result.append(Candidate(account=account, reasons=reasons))
    return result


def accounts_being_closed(scope: QuerySet[Account]) -> QuerySet[Account]:
    return (
        scope.filter(status=Account.Status.CLOSING)
        .select_related("unit", "owner")
        .order_by("closing_started_at", "pk")
    )


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


# --- The chart on the account page --------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    dash: str
    points: str
    dots: list[tuple[str, str, str]]  # x, y, the value as read


@dataclass(frozen=True)
class Panel:
    title: str
    title_y: str
    top: str
    bottom: str
    ticks: list[tuple[str, str]]  # y, label
    series: list[Series]


@dataclass(frozen=True)
class Chart:
    """An SVG line chart drawn by the template; every coordinate is a preformatted string, since the
    template would otherwise localise "12.5" into "12,5"."""

    width: int
    height: int
    left: str
    right: str
    panels: list[Panel]
    dates: list[tuple[str, str, str]]  # x, text-anchor, label
    dates_y: str
    legend: list[tuple[str, str, str, str, str]]  # x, y of the sample line, colour, dash, label
    summary: str


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _f(value: float) -> str:
    return f"{value:.1f}"


def followup_chart(followups: Sequence[FollowUp]) -> Chart | None:
    """Followers, and posts, reactions and comments per period, over time (KAU-FOLLOWUP).

    Pure: takes the follow-ups oldest first and returns coordinates for an inline SVG with a text
    summary; the table beside it carries the same figures. None when there is nothing to draw.
    """
    points = sorted(followups, key=lambda f: (f.period_end, f.pk or 0))
    if not points:
        return None
    width, height, left, right = 640, 400, 64.0, 620.0
    first, last = points[0].period_end, points[-1].period_end
    span = (last - first).days

    def x_of(day: date) -> float:
        if span == 0:
            return (left + right) / 2
        return left + (right - left) * (day - first).days / span

    def panel(title: str, top: float, bottom: float, series: list[tuple[str, str, str, list[int]]]) -> Panel:
        ceiling = _nice_ceiling(max(max(values) for _l, _c, _d, values in series))

        def y_of(value: int) -> float:
            return bottom - (bottom - top) * value / ceiling

        drawn = []
        for label, colour, dash, values in series:
            coords = [(x_of(f.period_end), y_of(v)) for f, v in zip(points, values, strict=True)]
            drawn.append(
                Series(
                    label=label,
                    colour=colour,
                    dash=dash,
                    points=" ".join(f"{_f(x)},{_f(y)}" for x, y in coords),
                    dots=[
                        (_f(x), _f(y), number_format(v, force_grouping=True))
                        for (x, y), v in zip(coords, values, strict=True)
                    ],
                )
            )
        ticks = [(_f(y_of(v)), number_format(v, force_grouping=True)) for v in (0, ceiling // 2, ceiling)]
        if ceiling == 1:
            ticks = [(_f(y_of(v)), str(v)) for v in (0, 1)]
        return Panel(
            title=title, title_y=_f(top - 12), top=_f(top), bottom=_f(bottom), ticks=ticks, series=drawn
        )

    followers = panel(
        _("Followers"), 40, 150, [(_("Followers"), "#1d3b5e", "", [f.followers for f in points])]
    )
    activity_series = [
        (_("Posts"), "#1d3b5e", "", [f.posts for f in points]),
        (_("Reactions"), "#a4161a", "7 4", [f.reactions for f in points]),
        (_("Comments"), "#1f6b33", "2 3", [f.comments for f in points]),
    ]
    activity = panel(_("Activity in each period"), 205, 315, activity_series)

    # At most six date labels, evenly picked, always the first and the last.
    count = len(points)
    picked = sorted({round(i * (count - 1) / 5) for i in range(6)}) if count > 6 else list(range(count))
    dates = []
    for i in picked:
        x = x_of(points[i].period_end)
        # A label at either edge grows inwards, so that it is not cut off.
        anchor = "start" if x <= left and span else "end" if x >= right and span else "middle"
        dates.append((_f(x), anchor, date_format(points[i].period_end, "j M Y").lower()))
    legend = [
        (_f(left + 150 * i), "370.0", colour, dash, label)
        for i, (label, colour, dash, _values) in enumerate(activity_series)
    ]
    if count == 1:
        summary = _(
            "One follow-up so far, for the period up to %(date)s: %(followers)s followers, %(posts)s "
            "posts, %(reactions)s reactions and %(comments)s comments."
        ) % {
            "date": date_format(first, "j M Y").lower(),
            "followers": number_format(points[0].followers, force_grouping=True),
            "posts": number_format(points[0].posts, force_grouping=True),
            "reactions": number_format(points[0].reactions, force_grouping=True),
            "comments": number_format(points[0].comments, force_grouping=True),
        }
    else:
        summary = _(
            "Followers went from %(first)s (%(first_date)s) to %(last)s (%(last_date)s) over %(count)s "
            "follow-ups. Posts, reactions and comments per period are in the table below."
        ) % {
            "first": number_format(points[0].followers, force_grouping=True),
            "first_date": date_format(first, "j M Y").lower(),
            "last": number_format(points[-1].followers, force_grouping=True),
            "last_date": date_format(last, "j M Y").lower(),
            "count": count,
        }
    return Chart(
        width=width,
        height=height,
        left=_f(left),
        right=_f(right),
        panels=[followers, activity],
        dates=dates,
        dates_y="340.0",
        legend=legend,
        summary=summary,
    )


# --- The account page -------------------------------------------------------------------------------


def detail_context(account: Account, *, user: Any, now: datetime) -> dict[str, Any]:
    """What the account page shows of follow-up and closing: ``followup`` and ``closing``.

    A fixed handful of queries: the follow-ups, the institution's settings, the reasons the account
    may be proposed for closing, and whether the person is a deputy.
    """
    today = timezone.localdate(now)
    rights = rights_for(user, account)
    institution = InstitutionSettings.objects.get_solo()
    history = list(account.followups.select_related("recorded_by").order_by("period_end", "pk"))
    due_on = account.followup_due_on
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
        "followup": {
            "account": account,
            "history": list(reversed(history)),
            "latest": history[-1] if history else None,
            "chart": followup_chart(history),
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
    if not rows:
        return None
    return TodoSection(
        key="followups",
        title=gettext_lazy("Follow-ups to record"),
        empty="",
        template="accounts/todo_followups.html",
        rows=rows,
        extra={"today": today},
    )
