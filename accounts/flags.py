"""The registry's compliance flags: one function per policy rule, each a boolean SQL expression.

A flag says that an account is not kept the way the policy demands. Each rule is one function,
named by its rule ID, that returns a condition on an ``Account`` row (``Q`` and ``Exists``), so the
registry annotates every flag in the same query as the rows themselves: a page of the registry
costs the same few queries whatever its size (``with_flags``). Closed accounts are never flagged:
they stay in the registry as public records (KAU-CLOSE, KAU-PUBLIC-RECORD) and nothing is asked
of them any more.

The flags are a registry (``register_flag``): this module holds the rules on the account's own rows;
a rule that reads another app's rows is that app's flag, registered in its AppConfig.ready()
(KAU-START-CHECKLIST in governance.account_flags, KAU-RESPONSE-DEADLINE in
moderation.account_flags).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.dates import add_months
from accounts.models import Account, CoverageGap
from core.calendar import STOCKHOLM


@dataclass(frozen=True)
class Moment:
    """The instant the flags are computed for, and the values derived from it once per query."""

    now: datetime
    today: date  # the Stockholm calendar day of ``now``: follow-up and coverage are Swedish days
    startpage_cutoff: datetime  # a start-page screenshot older than this is overdue


def _deputy_rows() -> QuerySet[Any]:
    return Account.deputies.through.objects.filter(account_id=OuterRef("pk"))


def kau_resp_owner(moment: Moment) -> Q:
    """KAU-RESP-OWNER: no deputy, or the owner or a deputy is no longer active (deactivated)."""
    return (
        Q(~Exists(_deputy_rows()))
        | Q(owner__is_active=False)
        | Q(Exists(_deputy_rows().filter(user__is_active=False)))
    )


def kau_startpage(moment: Moment) -> Q:
    """KAU-STARTPAGE: no start-page screenshot, one older than the interval, or a major change
    (owner, name, handle) since the last one."""
    return (
        Q(last_startpage_at__isnull=True)
        | Q(last_startpage_at__lt=moment.startpage_cutoff)
        | Q(startpage_needed_since__gt=F("last_startpage_at"))
    )


def kau_followup(moment: Moment) -> Q:
    """KAU-FOLLOWUP: the follow-up was due before today (a Stockholm day)."""
    return Q(followup_due_on__lt=moment.today)


def kau_inform(moment: Moment) -> Q:
    """KAU-INFORM: nobody has confirmed that visitors are told their messages are public records."""
    return Q(notice_confirmed_at__isnull=True)


def kau_sender(moment: Moment) -> Q:
    """KAU-SENDER: nobody has confirmed that sender and profile follow the profile guide."""
    return Q(sender_confirmed_at__isnull=True)


def kau_resp_daily(moment: Moment) -> Q:
    """KAU-RESP-DAILY: an unresolved coverage gap that has not yet ended: days when nobody among the
    owner and deputies is available."""
    return Q(
        Exists(
            CoverageGap.objects.filter(
                account_id=OuterRef("pk"), resolved_at__isnull=True, ends_on__gte=moment.today
            )
        )
    )


@dataclass(frozen=True)
class Flag:
    """One compliance flag: its key (``flag_<key>`` on an annotated account), the rule it enforces,
    a label, an explanation of what to do about it, and a word or two for the badge in the registry's
    rows (``short``; the label where there is none)."""

    key: str
    rule: str
    label: str | Promise
    explanation: str | Promise
    condition: Callable[[Moment], Q]
    short: str | Promise = ""

    @property
    def badge(self) -> str | Promise:
        return self.short or self.label

    @property
    def attribute(self) -> str:
        return f"flag_{self.key}"


# The registry's own flags; AccountsConfig.ready() registers them with the other apps' flags.

RESP_OWNER = Flag(
    "resp_owner",
    "KAU-RESP-OWNER",
    _("Owner or deputy missing"),
    _(
        "Every account has an account owner and at least one deputy, all still active. Name a "
        "deputy, or replace a person who has left."
    ),
    kau_resp_owner,
    short=_("Owner/deputy"),
)

STARTPAGE = Flag(
    "startpage",
    "KAU-STARTPAGE",
    _("Start-page screenshot due"),
    _(
        "The account owner takes a screenshot of the start page every half-year and before major "
        "changes. None is recorded, the last one is too old, or the account has changed since."
    ),
    kau_startpage,
    short=_("Screenshot"),
)

FOLLOWUP = Flag(
    "followup",
    "KAU-FOLLOWUP",
    _("Follow-up overdue"),
    _(
        "Every account is followed up and evaluated regularly. The follow-up was due and has not "
        "been recorded."
    ),
    kau_followup,
    short=_("Follow-up"),
)

INFORM = Flag(
    "inform",
    "KAU-INFORM",
    _("Public-records notice not confirmed"),
    _(
        "Where the platform allows, the account tells visitors that their messages are public "
        "records and that posts breaking the law may be removed. Nobody has confirmed it does."
    ),
    kau_inform,
    short=_("Notice"),
)

SENDER = Flag(
    "sender",
    "KAU-SENDER",
    _("Sender and profile not confirmed"),
    _(
        "The university is the sender of every account and its profile follows the profile "
        "guide. Nobody has confirmed that this account does."
    ),
    kau_sender,
    short=_("Sender"),
)

COVERAGE = Flag(
    "coverage",
    "KAU-RESP-DAILY",
    _("Days without cover"),
    _(
        "Every account is watched daily, holidays included. Coming days have nobody among the "
        "owner and deputies available."
    ),
    kau_resp_daily,
    short=_("Cover"),
)


_registered: list[tuple[int, Flag]] = []


def register_flag(flag: Flag, *, order: int) -> None:
    """Add a flag; lists and badges show flags by ``order``. An app whose data a rule reads (requests,
    items) registers that rule's flag in its AppConfig.ready(); its condition is a SQL expression,
    so every flag is computed in the registry's own query."""
    if all(existing.key != flag.key for _order, existing in _registered):
        _registered.append((order, flag))
        _registered.sort(key=lambda entry: entry[0])


def all_flags() -> tuple[Flag, ...]:
    """Every registered flag, in order."""
    return tuple(flag for _order, flag in _registered)


def flag_by_key(key: str) -> Flag | None:
    return next((flag for _order, flag in _registered if flag.key == key), None)


def moment_at(now: datetime, *, startpage_interval_months: int | None = None) -> Moment:
    """The values the flags need at ``now``; reads the institution's interval unless it is given."""
    if startpage_interval_months is None:
        from core.models import InstitutionSettings

        startpage_interval_months = InstitutionSettings.objects.get_solo().startpage_interval_months
    local = timezone.localtime(now, STOCKHOLM)
    # Calendar months on the Stockholm wall clock, as people count "every half-year".
    earlier = add_months(local.date(), -startpage_interval_months)
    cutoff = local.replace(year=earlier.year, month=earlier.month, day=earlier.day)
    return Moment(now=now, today=local.date(), startpage_cutoff=cutoff)


def with_flags(
    queryset: QuerySet[Account], *, now: datetime, moment: Moment | None = None
) -> QuerySet[Account]:
    """``queryset`` with one boolean ``flag_<key>`` per flag, computed in the same SQL query.

    Reads the institution's start-page interval once (one query) unless ``moment`` is given.
    """
    moment = moment or moment_at(now)
    open_account = ~Q(status=Account.Status.CLOSED)
    return queryset.annotate(
        **{
            flag.attribute: Case(
                When(open_account & flag.condition(moment), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
            for flag in all_flags()
        }
    )


def flagged(queryset: QuerySet[Account], key: str) -> QuerySet[Account]:
    """Of an annotated ``queryset``, the accounts with flag ``key`` raised, or with any flag ("any")."""
    if key == "any":
        condition = Q()
        for flag in all_flags():
            condition |= Q(**{flag.attribute: True})
        return queryset.filter(condition)
    chosen = flag_by_key(key)
    if chosen is None:
        raise KeyError(key)
    return queryset.filter(**{chosen.attribute: True})


def raised(account: Account) -> list[Flag]:
    """The flags raised on an account annotated by ``with_flags``, in their registered order."""
    return [flag for flag in all_flags() if getattr(account, flag.attribute, False)]


def rule_ids(flags: Iterable[Flag]) -> str:
    return " ".join(flag.rule for flag in flags)
