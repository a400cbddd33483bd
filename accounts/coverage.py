"""Absences and daily coverage (KAU-RESP-DAILY).

Somebody among an account's owner and deputies must be able to watch it every day, holidays and
vacations included (KAU-RESP-DAILY). People record their absences here; the daily job looks two
weeks ahead for days when nobody is available and tells the owner, the deputies and the head of unit
once per gap. Owner, deputies and the people who have left are accounts.people.

The day arithmetic (``uncovered_days``, ``runs``) is pure; the rest reads everything it needs in a
fixed number of queries and computes in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Absence, Account, CoverageGap
from accounts.selectors import manages_account as can_manage
from accounts.todo import dated_section
from core import bounds
from core.calendar import local_today
from core.history import record
from core.models import User
from core.notifications import notify
from core.roles import Role, has_role
from core.todo import TodoSection
from core.units import active_heads, in_subtrees, nearest_head, unit_paths_headed_by

# KAU-RESP-DAILY: the daily job looks this many calendar days ahead, today included.
LOOKAHEAD_DAYS = 14
# A gap that starts inside the look-ahead is reported with its whole length, up to this far ahead,
# so that nobody is told "one day" of what is really a fortnight.
GAP_HORIZON_DAYS = 90
# Every account still in use is watched, paused and being closed included: their comments stay open
# until someone confirms otherwise (KAU-RESP-DAILY, KAU-CLOSE).
WATCHED = ~Q(status=Account.Status.CLOSED)

Run = tuple[date, date]


class Away(Protocol):
    """Anything that says a person is away from one day to another, both included."""

    @property
    def person_id(self) -> int: ...

    @property
    def starts_on(self) -> date: ...

    @property
    def ends_on(self) -> date: ...


# --- Pure day arithmetic -------------------------------------------------------------------------------


def uncovered_days(people_ids: Iterable[int], absences: Iterable[Away], days: Iterable[date]) -> list[date]:
    """The days on which none of ``people_ids`` is available (KAU-RESP-DAILY).

    ``people_ids`` are the people who could watch the account (the caller leaves out anyone no longer
    active); ``absences`` are the periods they are away. Every calendar day counts: the policy asks for
    daily watch, weekends and holidays included. With nobody at all, every day is uncovered.
    """
    people = set(people_ids)
    relevant = [absence for absence in absences if absence.person_id in people]
    uncovered = []
    for day in days:
        away = {absence.person_id for absence in relevant if absence.starts_on <= day <= absence.ends_on}
        if people <= away:
            uncovered.append(day)
    return uncovered


def runs(days: Iterable[date]) -> list[Run]:
    """Consecutive days grouped into (first, last) runs, in order; duplicates count once."""
    result: list[Run] = []
    for day in sorted(set(days)):
        if result and result[-1][1] + timedelta(days=1) == day:
            result[-1] = (result[-1][0], day)
        else:
            result.append((day, day))
    return result


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def format_run(run: Run) -> str:
    """A run of days as people read it: "6 jul 2026" or "6 jul 2026–19 jul 2026"."""
    first, last = (date_format(day, "j M Y").lower() for day in run)
    return first if run[0] == run[1] else f"{first}–{last}"


# --- Who may do what -----------------------------------------------------------------------------------


def may_record_absence_for(user: Any, person: User) -> bool:
    """A person records their own absences; the social media lead may record anyone's."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.pk == person.pk or has_role(user, Role.SOCIAL_MEDIA_LEAD))


def _account_url(account: Account) -> str:
    return reverse("accounts:detail", args=[account.pk])


# --- Absences ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapWarning:
    """The days in a period on which nobody among an account's owner and deputies is available."""

    account: Account
    runs: list[Run]

    @property
    def described_runs(self) -> list[str]:
        return [format_run(run) for run in self.runs]


def _accounts_of(person: User) -> list[Account]:
    """The active accounts ``person`` owns or deputises for, with owner and deputies."""
    return list(
        Account.objects.filter(WATCHED)
        .filter(
            Q(owner=person)
            | Q(pk__in=Account.deputies.through.objects.filter(user=person).values("account_id"))
        )
        .select_related("owner", "unit")
        .prefetch_related("deputies")
        .order_by("name", "pk")
    )


def people_of(account: Account) -> list[User]:
    """Owner and deputies; the deputies from the prefetch when there is one."""
    return [account.owner, *account.deputies.all()]


def gaps_during(person: User, *, first: date, last: date) -> list[GapWarning]:
    """For each active account ``person`` watches: the days from ``first`` to ``last`` on which nobody
    among its owner and deputies is available (KAU-RESP-DAILY). Three queries."""
    if last < first:
        return []
    accounts = _accounts_of(person)
    if not accounts:
        return []
    people_ids = {p.pk for account in accounts for p in people_of(account)}
    absences = list(
        Absence.objects.filter(
            person_id__in=people_ids, cancelled_at__isnull=True, ends_on__gte=first, starts_on__lte=last
        )
    )
    days = days_between(first, last)
    warnings = []
    for account in accounts:
        available = [p.pk for p in people_of(account) if p.is_active]
        found = runs(uncovered_days(available, absences, days))
        if found:
            warnings.append(GapWarning(account=account, runs=found))
    return warnings


def absence_warnings(absence: Absence, *, now: datetime) -> list[GapWarning]:
    """What ``absence`` means for the accounts of its person: the days ahead without cover."""
    if absence.cancelled_at is not None:
        return []
    first = max(absence.starts_on, local_today(now))
    # At most the longest absence taken (core.bounds), also for one stored before there were bounds.
    last = min(absence.ends_on, first + timedelta(days=bounds.ABSENCE_MAX_DAYS - 1))
    return gaps_during(absence.person, first=first, last=last)


@transaction.atomic
def record_absence(
    *, person: User, starts_on: date, ends_on: date, kind: str, note: str, by: User, now: datetime
) -> tuple[Absence, list[GapWarning]]:
    """Record that ``person`` is away from ``starts_on`` to ``ends_on``, both included (KAU-RESP-DAILY).

    A person records their own absence; the social media lead may record anyone's. Returns the absence
    and, for each of the person's accounts, the days of the absence on which nobody among its owner
    and deputies would be available, over the whole absence and not only the next two weeks, so the
    person is warned at once.
    """
    if not may_record_absence_for(by, person):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    today = local_today(now)
    # The days of an absence stay within core.bounds, so that the days checked for cover are a few
    # hundred, never millions (an absence from year 1 to 9999 once took seconds to record).
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        try:
            bounds.check_absence_day(day, today=today)
        except ValidationError as exc:
            errors[name] = exc
    if not errors:  # a day out of bounds is the one thing to say about it
        if ends_on < starts_on:
            errors["ends_on"] = _("The last day cannot come before the first day.")
        elif ends_on < today:
            errors["ends_on"] = _(
                "The absence has already ended; only absences still to come matter for cover."
            )
        elif (ends_on - starts_on).days + 1 > bounds.ABSENCE_MAX_DAYS:
            errors["ends_on"] = bounds.absence_too_long_message()
    if kind not in Absence.Kind.values:
        errors["kind"] = _("Choose a kind of absence.")
    if errors:
        raise ValidationError(errors)
    absence = Absence(
        person=person, starts_on=starts_on, ends_on=ends_on, kind=kind, note=note.strip(), created_by=by
    )
    absence.full_clean()
    record(absence, by=by, reason="absence recorded")
    absence.save()
    # The owners, deputies and heads hear of a gap in the next 14 days the same day, not at the
    # next morning's run; the job is idempotent, so running it early changes nothing else.
    transaction.on_commit(_enqueue_coverage_check, robust=True)
    return absence, absence_warnings(absence, now=now)


def _enqueue_coverage_check() -> None:
    from accounts.tasks import check_coverage  # the task module imports this one

    check_coverage.delay()


@transaction.atomic
def cancel_absence(absence: Absence, *, by: User, now: datetime) -> Absence:
    """Cancel an absence that has not ended yet. It is kept, marked cancelled: an absence explains a
    gap, so it is never deleted (KAU-PUBLIC-RECORD)."""
    absence = Absence.objects.select_for_update(of=("self",)).select_related("person").get(pk=absence.pk)
    if not may_record_absence_for(by, absence.person):
        raise PermissionDenied
    if absence.cancelled_at is not None:
        return absence
    if absence.ends_on < local_today(now):
        raise ValidationError(_("An absence that has ended is kept as it was and cannot be cancelled."))
    absence.cancelled_at = now
    record(absence, by=by, reason="absence cancelled")
    absence.save(update_fields=["cancelled_at"])
    return absence


# --- The daily coverage job ----------------------------------------------------------------------------


def _notify_gap(account: Account, gap: CoverageGap, *, head: User | None) -> None:
    with translation.override(settings.LANGUAGE_CODE):  # the e-mail's language, as notify writes it
        days = format_run((gap.starts_on, gap.ends_on))
    notify(
        kind="coverage_gap",
        key=f"coverage-gap:{account.pk}:{gap.starts_on}",
        recipients=[*people_of(account), *([head] if head else [])],
        subject=gettext_lazy("Nobody can watch %(name)s: %(days)s"),
        subject_params={"name": account.name, "days": days},
        template="emails/coverage_gap.txt",
        context={"account": account, "gap": gap, "head": head},
        url=_account_url(account),
    )


def _open_gap(account: Account, run: Run, *, now: datetime, head: User | None) -> bool:
    """Write the gap and its notifications together; False when a concurrent run wrote it first."""
    with transaction.atomic():
        try:
            # A savepoint: losing the race for (account, starts_on) leaves this transaction usable.
            with transaction.atomic():
                gap = CoverageGap.objects.create(
                    account=account, starts_on=run[0], ends_on=run[1], found_at=now
                )
        except IntegrityError:
            return False  # the other run has written it, and notified with it
        _notify_gap(account, gap, head=head)
    return True


def _absences_by_person(first: date, last: date) -> dict[int, list[Absence]]:
    """The absences overlapping ``first``–``last``, by person (the partial index absence_period_idx)."""
    absences_by_person: dict[int, list[Absence]] = {}
    for absence in Absence.objects.filter(cancelled_at__isnull=True, ends_on__gte=first, starts_on__lte=last):
        absences_by_person.setdefault(absence.person_id, []).append(absence)
    return absences_by_person


def _gaps_by_account(today: date) -> dict[int, list[CoverageGap]]:
    """Open gaps still running, and every gap starting from today (to reopen rather than collide), by
    account, in order."""
    gaps_by_account: dict[int, list[CoverageGap]] = {}
    for gap in CoverageGap.objects.filter(
        Q(resolved_at__isnull=True, ends_on__gte=today) | Q(starts_on__gte=today)
    ).order_by("starts_on", "pk"):
        gaps_by_account.setdefault(gap.account_id, []).append(gap)
    return gaps_by_account


def check_coverage(*, now: datetime) -> int:
    """The daily job (KAU-RESP-DAILY): find the days in the next two weeks when nobody among an active
    account's owner and deputies is available, and tell the owner, the deputies and the head of unit
    once per gap. Returns the number of new gaps.

    Every calendar day from today (Europe/Stockholm) counts, weekends and holidays included. People no
    longer active are unavailable; cancelled absences do not count. Each run of uncovered days is one
    ``CoverageGap``: a gap that grows or shrinks keeps its row, a gap whose days become covered is
    resolved. Reads are a fixed number of queries whatever the size of the registry; the work is done
    in Python. Safe to run twice, or twice at once: a new gap is created under the unique
    (account, first day) in a savepoint together with its notifications, so only one run writes it.
    """
    today = local_today(now)
    window = days_between(today, today + timedelta(days=LOOKAHEAD_DAYS - 1))
    horizon = days_between(today, today + timedelta(days=GAP_HORIZON_DAYS - 1))
    accounts = list(
        Account.objects.filter(WATCHED)
        .select_related("owner", "unit")
        .prefetch_related("deputies")
        .order_by("pk")
    )
    absences_by_person = _absences_by_person(horizon[0], horizon[-1])
    gaps_by_account = _gaps_by_account(today)
    heads = active_heads()

    changed: dict[int, CoverageGap] = {}
    to_open: list[tuple[Account, Run]] = []
    active_ids = set()
    for account in accounts:
        active_ids.add(account.pk)
        people = people_of(account)
        available = [p.pk for p in people if p.is_active]
        away = [absence for pid in available for absence in absences_by_person.get(pid, [])]
        found = [run for run in runs(uncovered_days(available, away, horizon)) if run[0] <= window[-1]]
        plan = _plan(gaps_by_account.get(account.pk, []), found, today=today, now=now)
        for gap in plan.changed:
            changed[gap.pk] = gap
        to_open.extend((account, run) for run in plan.new)
    # Accounts no longer active are no longer watched: their open gaps are over.
    for account_id, gaps in gaps_by_account.items():
        if account_id in active_ids:
            continue
        for gap in gaps:
            if gap.resolved_at is None:
                gap.resolved_at = now
                changed[gap.pk] = gap

    if changed:
        # CoverageGap has no history; a bulk update is one statement per batch.
        CoverageGap.objects.bulk_update(
            list(changed.values()), ["starts_on", "ends_on", "resolved_at"], batch_size=500
        )
    created = 0
    for account, run in to_open:
        if _open_gap(account, run, now=now, head=nearest_head(account.unit.path, heads)):
            created += 1
    return created


@dataclass
class _Plan:
    changed: list[CoverageGap]
    new: list[Run]


def _plan(gaps: list[CoverageGap], found: list[Run], *, today: date, now: datetime) -> _Plan:
    """Match the runs found today to one account's known gaps.

    A run continues an open gap it overlaps; a gap that began before today continues only into a run
    that starts today. The gap keeps its row and takes the run's days (days already past stay as they
    were). Two gaps that one run joins become one: the later is resolved. A run with no open gap
    reopens a resolved gap with the same first day, or is new. An open gap no run continues is resolved
    if all of it lay ahead; one that began in the past keeps its past days as the record of a gap.
    """
    open_gaps = [gap for gap in gaps if gap.resolved_at is None and gap.ends_on >= today]
    by_start = {gap.starts_on: gap for gap in gaps}
    matched: set[int] = set()
    changed: dict[int, CoverageGap] = {}
    new: list[Run] = []

    def update(gap: CoverageGap, **fields: Any) -> None:
        if any(getattr(gap, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(gap, name, value)
            changed[gap.pk] = gap

    for first, last in found:
        candidates = [
            gap
            for gap in open_gaps
            if gap.pk not in matched
            and (first == today if gap.starts_on < today else gap.starts_on <= last and gap.ends_on >= first)
        ]
        if candidates:
            keep, *merged = candidates
            matched.update(gap.pk for gap in candidates)
            start = keep.starts_on
            if keep.starts_on >= today and first != keep.starts_on:
                holder = by_start.get(first)
                if holder is None or holder is keep:  # the first day is unique per account
                    by_start.pop(keep.starts_on, None)
                    by_start[first] = keep
                    start = first
            update(keep, starts_on=start, ends_on=last, resolved_at=None)
            for gap in merged:
                update(gap, resolved_at=now)
            continue
        existing = by_start.get(first)
        if existing is not None:
            matched.add(existing.pk)
            update(existing, ends_on=last, resolved_at=None)
        else:
            new.append((first, last))
    for gap in open_gaps:
        if gap.pk in matched:
            continue
        if gap.starts_on < today:
            update(gap, ends_on=today - timedelta(days=1))
        else:
            update(gap, resolved_at=now)
    return _Plan(changed=list(changed.values()), new=new)


# --- The account page and the start page ---------------------------------------------------------------


def detail_context(account: Account, *, user: Any, now: datetime) -> dict[str, Any]:
    """What the account page's "Coverage" section shows: open gaps still ahead, the coming absences of
    the owner and deputies, who is no longer active, and whether ``user`` may change them. A fixed
    number of queries."""
    today = local_today(now)
    # The page has read both with the account; a person who is owner and deputy counts once.
    people = list({person.pk: person for person in [account.owner, *account.deputies.all()]}.values())
    gaps = list(
        CoverageGap.objects.filter(
            account_id=account.pk, resolved_at__isnull=True, ends_on__gte=today
        ).order_by("starts_on", "pk")
    )
    absences = list(
        Absence.objects.filter(
            person_id__in=[p.pk for p in people], cancelled_at__isnull=True, ends_on__gte=today
        )
        .select_related("person")
        .order_by("starts_on", "pk")
    )
    return {
        "coverage": {
            "account": account,
            "today": today,
            "gaps": gaps,
            "absences": absences,
            "inactive": [p for p in people if not p.is_active],
            "can_manage": can_manage(user, account),
        }
    }


def todo_gaps(user: Any, now: datetime) -> TodoSection | None:
    """The start page: days ahead when nobody watches an account the person owns, deputises for or heads
    (KAU-RESP-DAILY). One query besides the person's headed units."""
    if not getattr(user, "is_authenticated", False):
        return None
    today = local_today(now)
    mine = Q(account__in=Account.objects.kept_by(user)) | in_subtrees(
        unit_paths_headed_by(user), field="account__unit"
    )
    rows = list(
        CoverageGap.objects.filter(mine, resolved_at__isnull=True, ends_on__gte=today)
        .exclude(account__status=Account.Status.CLOSED)
        .select_related("account", "account__unit")
        .order_by("starts_on", "pk")[:50]
    )
    return dated_section(
        "coverage-gaps",
        gettext_lazy("Days when nobody watches an account"),
        rows,
        template="accounts/todo_gaps.html",
        today=today,
    )
