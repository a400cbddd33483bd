"""The half-yearly start-page rule (KAU-STARTPAGE).

"Once every half-year, and before major changes, the account owner takes a screenshot of the
channel's start page." An account's start page is due when it has none, when the last one is older
than the institution's interval, or when a major change (owner, name, handle) came after it: the
same rule as the registry's KAU-STARTPAGE flag (``accounts.flags.kau_startpage``), which this module
reuses rather than restates. The screenshot is the proof: a start page counts only when Kanalvakt
keeps the picture (archive.services.store_screenshot), and recording it moves the account's
``last_startpage_at`` through the registry's one write path (``accounts.services.record_startpage``).

The daily job, ``check_startpages``, captures the page itself where the account allows it and the
platform shows it without a login; otherwise, or when the capture fails, it reminds the owner once
per due cycle, and after the grace period tells the deputies and the head of the unit once.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services as account_services
from accounts.dates import add_months
from accounts.flags import kau_startpage, moment_at
from accounts.models import Account
from accounts.selectors import heads_of, manages_account
from archive.models import CaptureAttempt, Screenshot
from archive.services import CaptureRefused, capture_screenshot, store_screenshot
from core import bounds
from core.calendar import STOCKHOLM
from core.models import InstitutionSettings, Notification, User
from core.notifications import notify, reachable
from core.roles import Role, has_role

SWEEP_BATCH = 200

# --- Who may do what ------------------------------------------------------------------------------------


def may_record(user: Any, account: Account) -> bool:
    """KAU-STARTPAGE: the account owner takes the screenshot; the deputies stand in for the owner.
    The same rule as the registry's write path (``accounts.services.may_record_startpage``)."""
    return account_services.may_record_startpage(user, account)


def may_view_startpages(user: Any, account: Account) -> bool:
    """Who sees an account's start-page screenshots: those who record them, the head of the unit and
    above (KAU-RESP-MANAGER), the social media lead and the communications department (who keep the
    registry whole), and the registrar (who answers requests for public records, KAU-PUBLIC-RECORD).

    Anyone else who may see the account (a colleague granted one account) is refused (403); anyone
    who may not see it never gets this far (404, ``Account.objects.visible_to``).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return (
        may_record(user, account)
        or manages_account(user, account)
        or has_role(user, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD, Role.REGISTRAR)
    )


# --- When a start page is due ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueState:
    """Where an account stands with its start page: due or not, since when, and the next due time."""

    due: bool
    due_at: datetime | None  # when the current need arose; None when nothing is due
    next_due_at: datetime | None  # when the interval runs out, if nothing else comes first
    reason: str


def _after_interval(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months on the Stockholm wall clock: the inverse of the
    flag's cutoff (``accounts.flags.moment_at``), so that the job and the flag agree to the minute."""
    local = timezone.localtime(moment, STOCKHOLM)
    later = add_months(local.date(), months)
    return local.replace(year=later.year, month=later.month, day=later.day)


def due_at(account: Account, *, interval_months: int) -> datetime:
    """The moment the account's current start-page need arose (KAU-STARTPAGE).

    Never taken: since registration. Otherwise the earlier of the interval running out after the last
    screenshot and a major change after it. Only a new screenshot moves it, so it names the due
    cycle: the reminders are keyed on it and are sent once per cycle, whatever day the job runs.
    """
    last, needed = account.last_startpage_at, account.startpage_needed_since
    if last is None:
        return min(account.created_at, needed) if needed is not None else account.created_at
    candidates = [_after_interval(last, interval_months)]
    if needed is not None and needed > last:
        candidates.append(needed)
    return min(candidates)


def due_state(account: Account, *, now: datetime, interval_months: int) -> DueState:
    """The account's start-page state at ``now``, by the flag's own rule (KAU-STARTPAGE)."""
    if account.status == Account.Status.CLOSED:
        return DueState(False, None, None, _("The account is closed; no more screenshots are asked for."))
    cutoff = moment_at(now, startpage_interval_months=interval_months).startpage_cutoff
    last, needed = account.last_startpage_at, account.startpage_needed_since
    next_due = _after_interval(last, interval_months) if last is not None else None
    if last is None:
        reason = _("No start-page screenshot has been kept yet.")
    elif needed is not None and needed > last:
        reason = _("The account has had a major change (owner, name or handle) since the last screenshot.")
    elif last < cutoff:
        reason = _("The last start-page screenshot is older than %(months)d months.") % {
            "months": interval_months
        }
    else:
        return DueState(False, None, next_due, _("The start page is up to date."))
    return DueState(True, due_at(account, interval_months=interval_months), next_due, reason)


def taken_at_for(day: date | None, *, now: datetime) -> datetime:
    """The moment a screenshot taken on ``day`` (a Stockholm day) is recorded as taken.

    Today, or no day given: now. An earlier day: its last second, as no hour is known and a screenshot
    on the day of a change (or of the start of closing) is taken after it.
    """
    today = timezone.localtime(now, STOCKHOLM).date()
    if day is None or day == today:
        return now
    return datetime.combine(day, time(23, 59, 59), tzinfo=STOCKHOLM)


# --- Recording a screenshot -----------------------------------------------------------------------------


@transaction.atomic
def record_startpage_screenshot(
    account: Account,
    *,
    data: bytes,
    by: User,
    now: datetime,
    taken_at: datetime | None = None,
    taken_from: str = "",
) -> Screenshot:
    """Keep an uploaded start-page screenshot and record it as the account's latest (KAU-STARTPAGE).

    The owner or a deputy uploads it. The image is checked and cleaned by core.images (a refused
    upload raises ImageRefused and keeps nothing); a time still to come and a closed account are
    refused before anything is written. The account's ``last_startpage_at`` moves to when it was
    taken, and a pending major change taken before it is answered.
    """
    if not may_record(by, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("The account is closed: there is nothing more to confirm."))
    if taken_at is not None and taken_at > now:
        raise ValidationError({"taken_at": _("The screenshot cannot be taken at a time still to come.")})
    if taken_at is not None:
        bounds.check_time(taken_at, now=now, field="taken_at")  # KAU-STARTPAGE: from 1990 on
    shot = store_screenshot(
        account,
        data=data,
        purpose=Screenshot.Purpose.STARTPAGE,
        by=by,
        now=now,
        taken_at=taken_at,
        source=Screenshot.Source.UPLOAD,
        source_url=account.url,
        taken_from=taken_from,
    )
    _answer(account, shot, by=by, now=now)
    return shot


def _answer(account: Account, shot: Screenshot, *, by: User | None, now: datetime) -> None:
    """Record a kept start-page screenshot on the account, through the registry's write path."""
    fresh = account_services.record_startpage(account.pk, screenshot=shot, by=by, now=now)
    account.last_startpage_at = fresh.last_startpage_at
    account.startpage_needed_since = fresh.startpage_needed_since


def capture_startpage(account: Account, *, by: User | None, now: datetime) -> CaptureAttempt:
    """Capture the account's public start page with headless Chromium and, when it is captured, record
    it as the account's latest start-page screenshot (KAU-STARTPAGE).

    Runs outside any transaction: the browser may take many seconds, and the attempt is recorded by
    archive.services whatever its outcome (a failure is reported to the owner there, never silent).
    ``by`` is the person who asked, or None for the daily job. Raises archive.services.CaptureRefused,
    storing nothing, when the person or the account has asked for too many captures (the daily job is
    not counted) or the start page is being captured now.
    """
    if by is not None and not may_record(by, account):
        raise PermissionDenied
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("The account is closed: there is nothing more to confirm."))
    if not account.url:
        raise ValidationError(_("The account has no address to capture."))
    attempt = capture_screenshot(
        account, url=account.url, purpose=Screenshot.Purpose.STARTPAGE, by=by, now=now
    )
    shot = attempt.screenshot
    if attempt.outcome == CaptureAttempt.Outcome.CAPTURED and shot is not None:
        # The picture is taken when the browser is done, a few seconds after ``now``.
        _answer(account, shot, by=by, now=max(now, shot.taken_at))
    return attempt


# --- The daily job --------------------------------------------------------------------------------------


@contextmanager
def _one_run_at_a_time() -> Iterator[bool]:
    """True when this is the only run of the job: a PostgreSQL session lock, so that two runs at once
    (beat and a late redelivery) never capture the same page twice. Elsewhere always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(b"archive.check_startpages")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def due_accounts(*, now: datetime, interval_months: int) -> QuerySet[Account]:
    """The accounts whose start page is due at ``now``: not closed, and the KAU-STARTPAGE flag's own
    condition. One query; ordered by id for keyset batches."""
    moment = moment_at(now, startpage_interval_months=interval_months)
    return (
        Account.objects.exclude(status=Account.Status.CLOSED)
        .filter(kau_startpage(moment))
        .select_related("owner", "unit")
        .order_by("pk")
    )


def check_startpages(*, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """The daily start-page job (KAU-STARTPAGE). Returns the screenshots captured and the
    notifications written.

    For each account whose start page is due (the registry flag's rule): where the account allows
    automatic capture and has an address, Kanalvakt captures the page, at most once a day, and a
    capture answers the need. Otherwise, or when the capture fails, the owner is reminded once per due
    cycle (key ``startpage:<account>:<due moment>``); ``startpage_grace_days`` after the due moment,
    and not before the owner has been reminded, the deputies and the head of the unit are told, once
    (``startpage-overdue:…``). The registry flag stays raised until a screenshot is kept.

    One query for the due accounts, in keyset batches by id (no index serves its condition yet; a
    partial index on ``last_startpage_at`` for accounts not closed would); per batch one query each
    for the deputies, the heads, today's captures and the reminders already sent. Nothing is claimed: "once"
    is the notification's unique key, so a second run the same day, or two at once, sends nothing
    twice; a session lock keeps two runs from capturing the same page.
    """
    institution = InstitutionSettings.objects.get_solo()
    months, grace = institution.startpage_interval_months, timedelta(days=institution.startpage_grace_days)
    with _one_run_at_a_time() as alone:
        if not alone:
            return 0
        done = 0
        after = 0
        while True:
            accounts = list(
                due_accounts(now=now, interval_months=months)
                .filter(pk__gt=after)
                .prefetch_related("deputies")[:batch]
            )
            if not accounts:
                break
            done += _check_batch(accounts, now=now, months=months, grace=grace)
            if len(accounts) < batch:
                break
            after = accounts[-1].pk
    return done


def _captured_today(accounts: Sequence[Account], *, now: datetime) -> set[int]:
    """The accounts the job has already tried to capture this Stockholm day: one try a day."""
    start = datetime.combine(timezone.localtime(now, STOCKHOLM).date(), time.min, tzinfo=STOCKHOLM)
    return set(
        CaptureAttempt.objects.filter(
            account__in=[a.pk for a in accounts],
            purpose=Screenshot.Purpose.STARTPAGE,
            requested_by__isnull=True,
            started_at__gte=start,
        ).values_list("account_id", flat=True)
    )


def _check_batch(accounts: Sequence[Account], *, now: datetime, months: int, grace: timedelta) -> int:
    done = 0
    tried = _captured_today(accounts, now=now)
    still_due = []
    for account in accounts:
        if account.capture_start_page and account.url and account.pk not in tried:
            try:
                attempt = capture_startpage(account, by=None, now=now)
            except CaptureRefused:
                # Someone is capturing this start page right now: that capture answers the need, or
                # its failure is told to the owner; the next run looks again.
                continue
            if attempt.outcome == CaptureAttempt.Outcome.CAPTURED:
                done += 1
                continue
        still_due.append(account)
    if not still_due:
        return done
    return done + _remind(still_due, now=now, months=months, grace=grace)


def _remind(accounts: Sequence[Account], *, now: datetime, months: int, grace: timedelta) -> int:
    """Remind the owners, and after the grace period the deputies and heads, each once per cycle."""
    heads = heads_of(accounts)
    plans: list[tuple[Account, datetime, str, str, list[User], list[User]]] = []
    for account in accounts:
        due = due_at(account, interval_months=months)
        cycle = due.astimezone(STOCKHOLM).strftime("%Y%m%dT%H%M%S")
        owners = reachable([account.owner])
        others = [p for p in reachable([*account.deputies.all(), heads[account.pk]]) if p not in owners]
        plans.append(
            (
                account,
                due,
                f"startpage:{account.pk}:{cycle}",
                f"startpage-overdue:{account.pk}:{cycle}",
                owners,
                others,
            )
        )
    wanted = [f"{key}:{p.pk}" for _a, _d, key, _o, owners, _x in plans for p in owners]
    wanted += [f"{key}:{p.pk}" for _a, _d, _k, key, _o, others in plans for p in others]
    told = set(Notification.objects.filter(key__in=wanted).values_list("key", flat=True))
    created = 0
    for account, due, owner_key, overdue_key, owners, others in plans:
        url = reverse("archive:startpage", args=[account.pk])
        context = {"account": account, "due_at": due, "interval": months}
        if owners and any(f"{owner_key}:{p.pk}" not in told for p in owners):
            subject = gettext_lazy("Start-page screenshot due: %(name)s")
            created += _tell("startpage_due", owner_key, owners, subject, account, context, url)
        # The grace period runs from the due moment, when the daily job reminds the owner, and the
        # others are told only once the owner was told in an earlier run (or cannot be reached). An
        # account already overdue when first seen has them told on the next run after the owner.
        owner_told_before = any(f"{owner_key}:{p.pk}" in told for p in owners)
        if not others or (owners and not owner_told_before) or now < due + grace:
            continue
        if all(f"{overdue_key}:{p.pk}" in told for p in others):
            continue
        subject = gettext_lazy("Start-page screenshot overdue: %(name)s")
        context = {**context, "grace_days": grace.days}
        created += _tell("startpage_overdue", overdue_key, others, subject, account, context, url)
    return created


def _tell(
    kind: str,
    key: str,
    recipients: list[User],
    subject: Promise,
    account: Account,
    context: dict[str, Any],
    url: str,
) -> int:
    """One reminder of the kind, with its e-mail template ``emails/<kind>.txt``; returns how many
    notifications it created (none for the people the key already told)."""
    return len(
        notify(
            kind=kind,
            key=key,
            recipients=recipients,
            subject=subject,
            subject_params={"name": account.name},
            template=f"emails/{kind}.txt",
            context=context,
            url=url,
        )
    )
