"""Search of the archive for a request for public records (*begäran om allmän handling*,
KAU-PUBLIC-RECORD): moderation items, the accounts' own publications, the moderation log, decisions
on new-account requests and screenshots, by text, account, unit, author, period and policy rule.

Who: the registrar/archivist and the social media lead (``archive.export_archive``) search
everything; nobody else uses the search. The export (archive.exports) reads the same querysets
without the page's cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account
from archive.models import DiaryPackage, Screenshot
from core.calendar import STOCKHOLM
from core.models import OrgUnit, User
from governance.models import AccountRequest
from governance.selectors import requests_visible_to
from moderation.models import Classification, Item, LogEntry, Publication, Registration

PERMISSION = "archive.export_archive"

ITEMS, LOG, DECISIONS, SCREENSHOTS = "items", "log", "decisions", "screenshots"
PUBLICATIONS = "publications"
KINDS: tuple[str, ...] = (ITEMS, PUBLICATIONS, LOG, DECISIONS, SCREENSHOTS)
KIND_LABELS = {
    ITEMS: _("Items"),
    PUBLICATIONS: _("The accounts' own publications"),
    LOG: _("Moderation log"),
    DECISIONS: _("Decisions on new accounts"),
    SCREENSHOTS: _("Screenshots"),
}

# The page shows at most this many rows of each kind; one more is fetched to say "more than".
CAP = 200

# The rules a search can filter by, with what each one means for the records (Item.rule_ids()).
RULES: tuple[tuple[str, Any], ...] = (
    ("KAU-PROHIBITED", _("Prohibited content")),
    ("KAU-PROHIBITED-EVIDENCE", _("Evidence of prohibited content kept")),
    ("KAU-THREAT", _("Threat")),
    ("KAU-DREV", _("Risk of a pile-on")),
    ("KAU-RESPONSE-CRITICISM", _("Criticism")),
    ("KAU-DIARY-ACTION", _("Requires registration")),
    ("KAU-STARTPAGE", _("Start-page screenshots")),
    ("KAU-START-APPROVAL", _("Decisions on new accounts")),
)
RULE_IDS = frozenset(rule for rule, _label in RULES)

# The registration decisions a search can filter by (KAU-DIARY-ACTION, KAU-DIARY-NONE): registered
# (a diary package with a registration number), awaiting registration (required, not registered yet),
# needs no registration, and undecided.
REGISTERED, AWAITING = "registered", "awaiting"
REGISTRATION_FILTERS: tuple[tuple[str, Any], ...] = (
    (REGISTERED, pgettext_lazy("diary package", "Registered")),
    (AWAITING, _("Awaiting registration")),
    (Registration.NOT_NEEDED.value, _("Needs no registration (KAU-DIARY-NONE)")),
    (Registration.UNDECIDED.value, _("Undecided")),
)
REGISTRATION_VALUES = frozenset(value for value, _label in REGISTRATION_FILTERS)
NOTHING = Q(pk__in=[])


def may_search(user: Any) -> bool:
    """KAU-PUBLIC-RECORD: the registrar/archivist and the social media lead search and export."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(PERMISSION))


@dataclass(frozen=True)
class Criteria:
    """What a search asks for. Empty fields do not filter; ``kinds`` names the records searched.
    ``accounts`` (several accounts, any of them: a delivery of accounts and a period) filters as
    ``account`` does for one."""

    text: str = ""
    account: Account | None = None
    unit: OrgUnit | None = None
    author: str = ""
    start: date | None = None
    end: date | None = None
    rule: str = ""
    kinds: tuple[str, ...] = KINDS
    accounts: tuple[Account, ...] = ()
    registration: str = ""

    def __post_init__(self) -> None:
        if self.rule and self.rule not in RULE_IDS:
            raise ValidationError({"rule": _("Choose a rule from the list.")})
        if self.registration and self.registration not in REGISTRATION_VALUES:
            raise ValidationError({"registration": _("Choose a registration decision from the list.")})
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValidationError({"kinds": _("Choose what to search among.")})
        if self.start and self.end and self.start > self.end:
            raise ValidationError({"end": _("The last day cannot come before the first.")})

    @property
    def is_empty(self) -> bool:
        """No filter at all: the whole archive."""
        return not (
            self.text
            or self.account
            or self.accounts
            or self.unit
            or self.author
            or self.start
            or self.end
            or self.rule
            or self.registration
        )

    def as_dict(self) -> dict[str, Any]:
        """The criteria as JSON (ExportJob.criteria): ids and ISO dates."""
        return {
            "text": self.text,
            "account": self.account.pk if self.account else None,
            "unit": self.unit.pk if self.unit else None,
            "author": self.author,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "rule": self.rule,
            "kinds": [kind for kind in KINDS if kind in self.kinds],
            "accounts": [account.pk for account in self.accounts],
            "registration": self.registration,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Criteria:
        """Criteria from their JSON; an account or unit that does not exist is refused."""

        def one(model: type[Model], key: str, message: Any) -> Any:
            pk = data.get(key)
            if pk in (None, ""):
                return None
            try:
                return model._default_manager.get(pk=int(pk))
            except (ValueError, TypeError, ObjectDoesNotExist) as exc:
                raise ValidationError({key: message}) from exc

        def many(key: str) -> tuple[Account, ...]:
            ids = data.get(key) or []
            try:
                found = Account.objects.in_bulk([int(pk) for pk in ids])
            except (ValueError, TypeError) as exc:
                raise ValidationError({key: _("Choose an account from the list.")}) from exc
            if len(found) != len(set(ids)):
                raise ValidationError({key: _("Choose an account from the list.")})
            return tuple(found[int(pk)] for pk in dict.fromkeys(ids))

        def day(key: str) -> date | None:
            value = data.get(key)
            if not value:
                return None
            try:
                return date.fromisoformat(str(value))
            except ValueError as exc:
                raise ValidationError({key: _("Enter a valid date.")}) from exc

        return cls(
            text=str(data.get("text") or "").strip(),
            account=one(Account, "account", _("Choose an account from the list.")),
            unit=one(OrgUnit, "unit", _("Choose a unit from the list.")),
            author=str(data.get("author") or "").strip(),
            start=day("start"),
            end=day("end"),
            rule=str(data.get("rule") or ""),
            kinds=tuple(data.get("kinds") or KINDS),
            accounts=many("accounts"),
            registration=str(data.get("registration") or ""),
        )


def _period(field_name: str, start: date | None, end: date | None) -> Q:
    """Both days included, on the Stockholm wall clock: a Swedish day, whatever the server's zone."""
    condition = Q()
    if start:
        condition &= Q(**{f"{field_name}__gte": datetime.combine(start, time.min, tzinfo=STOCKHOLM)})
    if end:
        next_day = datetime.combine(end + timedelta(days=1), time.min, tzinfo=STOCKHOLM)
        condition &= Q(**{f"{field_name}__lt": next_day})
    return condition


def item_rule_filter(rule: str, prefix: str = "") -> Q:
    """The items that engage ``rule``, as Item.rule_ids() reads their triage (KAU-THREAT, KAU-DREV,
    KAU-PROHIBITED, KAU-PROHIBITED-EVIDENCE, KAU-RESPONSE-CRITICISM, KAU-DIARY-ACTION)."""
    p = prefix
    if rule == "KAU-THREAT":
        return Q(**{f"{p}threat": True})
    if rule == "KAU-DREV":
        return Q(**{f"{p}pile_on_risk": True})
    if rule == "KAU-PROHIBITED":
        return ~Q(**{f"{p}prohibited": []})
    if rule == "KAU-PROHIBITED-EVIDENCE":
        # The evidence kept (or due to be kept) for prohibited content.
        return Q(**{f"{p}evidence__isnull": False}) | ~Q(**{f"{p}prohibited": []})
    if rule == "KAU-RESPONSE-CRITICISM":
        return Q(**{f"{p}classification": Classification.CRITICISM})
    if rule == "KAU-DIARY-ACTION":
        return Q(**{f"{p}requires_registration": True})
    return NOTHING  # a rule about accounts or requests: no item engages it


def _registered(p: str = "") -> Exists:
    """The item has a diary package with a registration number (KAU-DIARY-ACTION)."""
    return Exists(
        DiaryPackage.objects.filter(
            item=OuterRef(p.removesuffix("__") if p else "pk"), registered_at__isnull=False
        )
    )


def item_registration_filter(decision: str, prefix: str = "") -> Q:
    """The items with the registration decision asked for (KAU-DIARY-ACTION, KAU-DIARY-NONE): a
    registered item is "registered" whatever was decided; the others by their decision."""
    p = prefix
    if decision == REGISTERED:
        return Q(_registered(p))
    if decision == AWAITING:
        return Q(**{f"{p}registration": Registration.REQUIRED}) & ~Q(_registered(p))
    if decision in (Registration.NOT_NEEDED, Registration.UNDECIDED):
        return Q(**{f"{p}registration": decision}) & ~Q(_registered(p))
    return Q()


def _icontains(fields: Iterable[str], text: str) -> Q:
    condition = Q(pk__in=[])
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return condition


def _item_filter(criteria: Criteria, p: str = "") -> Q:
    """The filters that concern an item, on Item or (with a prefix) on a row that points to one."""
    condition = Q()
    if criteria.account:
        condition &= Q(**{f"{p}account": criteria.account})
    if criteria.accounts:
        condition &= Q(**{f"{p}account__in": criteria.accounts})
    if criteria.unit:
        condition &= Q(**{f"{p}account__unit__path__startswith": criteria.unit.path})
    if criteria.author:
        condition &= Q(**{f"{p}author__icontains": criteria.author})
    if criteria.rule:
        condition &= item_rule_filter(criteria.rule, p)
    if criteria.registration:
        condition &= item_registration_filter(criteria.registration, p)
    return condition


def items_matching(criteria: Criteria) -> QuerySet[Item]:
    condition = _item_filter(criteria) & _period("received_at", criteria.start, criteria.end)
    if criteria.text:
        condition &= _icontains(("text", "author", "url", "platform_id", "answer"), criteria.text)
    # The registration decision and, once registered, its number (KAU-DIARY-ACTION, KAU-DIARY-NONE):
    # one subquery, so a page of results stays one query.
    number = DiaryPackage.objects.filter(item=OuterRef("pk"), registered_at__isnull=False).order_by(
        "-registered_at", "-pk"
    )
    return (
        Item.objects.filter(condition)
        .annotate(registered_number=Subquery(number.values("diary_number")[:1]))
        .select_related("account", "account__unit", "handled_by", "evidence", "registration_decided_by")
        .order_by("-received_at", "-pk")
    )


def publications_matching(criteria: Criteria) -> QuerySet[Publication]:
    """The accounts' own posts and replies, kept by the connectors (KAU-PUBLIC-RECORD). They engage
    no item rule, and their author is the account: an author or rule filter finds none."""
    if criteria.author or criteria.rule or criteria.registration:
        return Publication.objects.none()
    condition = _period("published_at", criteria.start, criteria.end)
    if criteria.account:
        condition &= Q(account=criteria.account)
    if criteria.accounts:
        condition &= Q(account__in=criteria.accounts)
    if criteria.unit:
        condition &= Q(account__unit__path__startswith=criteria.unit.path)
    if criteria.text:
        condition &= _icontains(("text", "url", "platform_id"), criteria.text)
    return (
        Publication.objects.filter(condition)
        .select_related("account", "account__unit")
        .order_by("-published_at", "-pk")
    )


def log_matching(criteria: Criteria) -> QuerySet[LogEntry]:
    condition = _item_filter(criteria, "item__") & _period("at", criteria.start, criteria.end)
    if criteria.text:
        needle = criteria.text.lower()
        # The action is stored as a code; match its code or its label in the language in use.
        actions = [
            value
            for value, label in LogEntry.Action.choices
            if needle in value.lower() or needle in str(label).lower()
        ]
        condition &= Q(note__icontains=criteria.text) | Q(action__in=actions)
    return (
        LogEntry.objects.filter(condition)
        .select_related("item", "item__account", "actor")
        .order_by("-at", "-pk")
    )


def decisions_matching(user: User, criteria: Criteria) -> QuerySet[AccountRequest]:
    """Approved and rejected new-account requests (KAU-START-APPROVAL), as governance shows them."""
    if (criteria.rule and criteria.rule != "KAU-START-APPROVAL") or criteria.registration:
        return AccountRequest.objects.none()
    condition = Q(
        status__in=[AccountRequest.Status.APPROVED, AccountRequest.Status.REJECTED], decided_at__isnull=False
    ) & _period("decided_at", criteria.start, criteria.end)
    if criteria.account:
        condition &= Q(account=criteria.account) | Q(existing_account=criteria.account)
    if criteria.accounts:
        condition &= Q(account__in=criteria.accounts) | Q(existing_account__in=criteria.accounts)
    if criteria.unit:
        condition &= Q(unit__path__startswith=criteria.unit.path)
    if criteria.author:
        condition &= _icontains(
            ("requester__username", "requester__first_name", "requester__last_name"), criteria.author
        )
    if criteria.text:
        condition &= _icontains(("name", "handle", "purpose", "decision_reason"), criteria.text)
    return (
        requests_visible_to(user)
        .filter(condition)
        .select_related("unit", "requester", "decided_by", "account")
        .order_by("-decided_at", "-pk")
    )


def _of_items(rule: str) -> Q:
    # A start-page screenshot has no item: a negated filter on the item must not take it for one.
    return Q(item__isnull=False) & item_rule_filter(rule, "item__")


def screenshots_matching(criteria: Criteria) -> QuerySet[Screenshot]:
    condition = _period("taken_at", criteria.start, criteria.end)
    if criteria.account:
        condition &= Q(account=criteria.account)
    if criteria.accounts:
        condition &= Q(account__in=criteria.accounts)
    if criteria.unit:
        condition &= Q(account__unit__path__startswith=criteria.unit.path)
    if criteria.author:
        condition &= Q(item__author__icontains=criteria.author)
    if criteria.rule == "KAU-STARTPAGE":
        condition &= Q(purpose=Screenshot.Purpose.STARTPAGE)
    elif criteria.rule == "KAU-PROHIBITED-EVIDENCE":
        condition &= Q(purpose=Screenshot.Purpose.EVIDENCE) | _of_items(criteria.rule)
    elif criteria.rule:
        condition &= _of_items(criteria.rule)
    if criteria.registration:
        condition &= Q(item__isnull=False) & item_registration_filter(criteria.registration, "item__")
    if criteria.text:
        condition &= _icontains(
            ("source_url", "account__name", "account__handle", "item__text", "item__author"), criteria.text
        ) | Q(sha256__startswith=criteria.text.lower())
    return (
        Screenshot.objects.filter(condition)
        .select_related("account", "item", "taken_by")
        .order_by("-taken_at", "-pk")
    )


def querysets(user: User, criteria: Criteria) -> dict[str, QuerySet[Any]]:
    """Every record of the kinds asked for that matches, uncapped, newest first (KAU-PUBLIC-RECORD).

    Refused (PermissionDenied) for anyone but the registrar/archivist and the social media lead.
    """
    if not may_search(user):
        raise PermissionDenied
    builders = {
        ITEMS: lambda: items_matching(criteria),
        PUBLICATIONS: lambda: publications_matching(criteria),
        LOG: lambda: log_matching(criteria),
        DECISIONS: lambda: decisions_matching(user, criteria),
        SCREENSHOTS: lambda: screenshots_matching(criteria),
    }
    return {kind: builders[kind]() for kind in KINDS if kind in criteria.kinds}


T = TypeVar("T")


@dataclass
class Section(Generic[T]):
    """The first ``cap`` rows of one kind, and whether there were more (fetched cap + 1: no COUNT)."""

    kind: str
    rows: list[T] = field(default_factory=list)
    more: bool = False

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class SearchResults:
    """What the search page shows: one section per kind searched."""

    criteria: Criteria
    cap: int
    sections: dict[str, Section[Any]]

    def __getitem__(self, kind: str) -> Section[Any]:
        return self.sections.get(kind) or Section(kind)

    @property
    def found(self) -> bool:
        return any(section.rows for section in self.sections.values())


def search(
    user: User,
    *,
    text: str = "",
    account: Account | None = None,
    unit: OrgUnit | None = None,
    author: str = "",
    start: date | None = None,
    end: date | None = None,
    rule: str = "",
    kinds: Iterable[str] = KINDS,
    cap: int = CAP,
    registration: str = "",
) -> SearchResults:
    """Find items, publications, log entries, decisions and screenshots for a request for public records
    (KAU-PUBLIC-RECORD). One query per kind, whatever the number of rows; each kind is capped."""
    criteria = Criteria(
        text=text.strip(),
        account=account,
        unit=unit,
        author=author.strip(),
        start=start,
        end=end,
        rule=rule,
        kinds=tuple(kinds),
        registration=registration,
    )
    return search_by(user, criteria, cap=cap)


def search_by(user: User, criteria: Criteria, *, cap: int = CAP) -> SearchResults:
    """``search`` for criteria already built, as the search form builds them."""
    sections: dict[str, Section[Any]] = {}
    for kind, queryset in querysets(user, criteria).items():
        rows = list(queryset[: cap + 1])
        sections[kind] = Section(kind, rows[:cap], len(rows) > cap)
    return SearchResults(criteria=criteria, cap=cap, sections=sections)
