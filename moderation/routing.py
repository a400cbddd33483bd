"""Alert routing: who is told about an item, and what they are told.

At once, when an item is logged or classified: a threat goes to the security officer (KAU-THREAT), a
risk of a pile-on to the central social media address (KAU-DREV), criticism to the head of the
account's unit (KAU-RESPONSE-CRITICISM). The deadline sweep (moderation.sweep) writes its reminders
and escalations with the same audience and texts, and escalation by hand (moderation.services) with
the same alerts. Each alert and its e-mails are written in the transaction of the change that causes
it, and appended to the moderation log (KAU-PUBLIC-RECORD).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Platform
from accounts.selectors import heads_of
from core.calendar import add_working_hours
from core.models import InstitutionSettings, User
from core.notifications import Event, notify_many
from core.roles import Role
from core.templatetags.kanalvakt import when
from moderation import sweep_sql
from moderation.cases import open_case
from moderation.itemlog import log_action
from moderation.models import Alert, Classification, Item, LogEntry
from moderation.selectors import may_moderate

# --- Routing at once -----------------------------------------------------------------------------------


ROUTES: tuple[tuple[str, str, str], ...] = (
    # (alert kind, target, the rule): at once, and once per item.
    (Alert.Kind.THREAT, Alert.Target.SECURITY, "KAU-THREAT"),
    (Alert.Kind.PILE_ON, Alert.Target.CENTRAL, "KAU-DREV"),
    (Alert.Kind.CRITICISM, Alert.Target.HEAD, "KAU-RESPONSE-CRITICISM"),
)


def _wanted_routes(item: Item) -> list[tuple[str, str, str]]:
    wanted: dict[str, bool] = {
        Alert.Kind.THREAT: item.threat,
        Alert.Kind.PILE_ON: item.pile_on_risk,
        Alert.Kind.CRITICISM: item.classification == Classification.CRITICISM,
    }
    return [route for route in ROUTES if wanted[route[0]]]


def route_item(item: Item, *, by: User | None, now: datetime) -> None:
    """Threat → the security officer (KAU-THREAT); risk of a pile-on → the central social media
    address (KAU-DREV); criticism → the head of the account's unit (KAU-RESPONSE-CRITICISM).

    At once (in the transaction that logs or classifies the item) and exactly once per item and
    kind: the alert's unique constraint decides, whoever routes first.
    """
    for kind, target, rule in _wanted_routes(item):
        alert = create_alert(item, kind=kind, target=target, by=by, now=now)
        if alert is not None:
            log_action(
                item, LogEntry.Action.ROUTED, by=by, now=now, note=f"{alert.get_kind_display()} ({rule})"
            )
            if kind == Alert.Kind.THREAT:
                _follow_threat(alert, item, now=now)


def _follow_threat(alert: Alert, item: Item, *, now: datetime) -> None:
    """KAU-THREAT: the threat is a case from the start, and is alerted again if nobody has acknowledged
    it after the institution's working hours for it (moderation.realert)."""
    institution = InstitutionSettings.objects.get_solo()
    alert.realert_at = add_working_hours(
        now, institution.threat_reacknowledge_hours, institution.working_calendar()
    )
    alert.save(update_fields=["realert_at"])
    open_case(item, now=now)


def create_alert(
    item: Item,
    *,
    kind: str,
    target: str,
    by: User | None,
    now: datetime,
    note: str = "",
    audience: Audience | None = None,
    sent: set[str] | None = None,
) -> Alert | None:
    """Write the alert and its e-mails, or nothing when this item already has this kind of alert.

    ``sent`` is the kinds the caller already knows this item has (the sweep reads them for a whole
    batch at once); without it the database is asked.
    """
    if kind != Alert.Kind.ESCALATION:
        if sent is None:
            if Alert.objects.filter(item=item, kind=kind).exists():
                return None
        elif kind in sent:
            return None
    audience = audience or Audience([item])
    head = audience.head(item.account) if target in HEAD_TARGETS else None
    try:
        with transaction.atomic():  # a savepoint: losing the race leaves the caller's transaction usable
            alert = Alert.objects.create(
                item=item, kind=kind, target=target, head=head, created_at=now, created_by=by, note=note
            )
    except IntegrityError:
        return None  # another process routed it first (alert_once_per_item_and_kind)
    _notify_alert(alert, item, audience)
    return alert


# --- Who an alert reaches ------------------------------------------------------------------------------


HEAD_TARGETS = frozenset({Alert.Target.HEAD, Alert.Target.HEAD_AND_LEAD})
# Alerts that are not cleared when their item is handled: a threat remains a case until handled.
NEVER_CLEARED = frozenset({Alert.Kind.THREAT, Alert.Kind.THREAT_UNACKNOWLEDGED})


class Audience:
    """Who the alerts of a set of items reach, looked up once for the whole set: the heads of the
    accounts' units, the people holding a role and the institution's function addresses. The sweep
    shares one per batch, so that a batch of any size costs the same lookups."""

    def __init__(self, items: Sequence[Item]) -> None:
        self._accounts = list({item.account_id: item.account for item in items}.values())
        self._heads: dict[int, User | None] | None = None
        self._roles: dict[Role, list[User]] = {}
        self._institution: InstitutionSettings | None = None

    def head(self, account: Account) -> User | None:
        if self._heads is None:
            self._heads = heads_of(self._accounts)
        if account.pk not in self._heads:
            self._heads.update(heads_of([account]))
        return self._heads[account.pk]

    def people_with(self, role: Role) -> list[User]:
        if role not in self._roles:
            self._roles[role] = people_with(role)
        return self._roles[role]

    def institution(self) -> InstitutionSettings:
        if self._institution is None:
            self._institution = InstitutionSettings.objects.get_solo()
        return self._institution


def recipients(item: Item, target: str, *, audience: Audience | None = None) -> list[User | str]:
    """The people, and the function addresses, an alert to ``target`` reaches.

    The owner and the deputies (the sweep's reminder); the head of the unit, the nearest active head
    up the tree (KAU-RESP-MANAGER, KAU-RESPONSE-CRITICISM); with the social media lead after the
    outer limit; the lead and the central address at a pile-on (KAU-DREV); the security officers and
    the security officer's address at a threat (KAU-THREAT). Inactive people are dropped when the
    e-mails are written (core.notifications).
    """
    audience = audience or Audience([item])
    account = item.account
    if target == Alert.Target.OWNERS:
        return [account.owner, *account.deputies.all()]
    if target in {Alert.Target.HEAD, Alert.Target.HEAD_AND_LEAD}:
        head = audience.head(account)
        heads: list[User | str] = [head] if head is not None else []
        if target == Alert.Target.HEAD_AND_LEAD:
            return [*heads, *audience.people_with(Role.SOCIAL_MEDIA_LEAD)]
        return heads
    if target == Alert.Target.CENTRAL:
        return [*audience.people_with(Role.SOCIAL_MEDIA_LEAD), audience.institution().social_media_address]
    if target == Alert.Target.SECURITY:
        return [*audience.people_with(Role.SECURITY_OFFICER), audience.institution().security_officer_address]
    if target == Alert.Target.SECURITY_AND_LEAD:
        return [
            *audience.people_with(Role.SECURITY_OFFICER),
            audience.institution().security_officer_address,
            *audience.people_with(Role.SOCIAL_MEDIA_LEAD),
        ]
    raise ValueError(target)


def people_with(role: Role) -> list[User]:
    return list(User.objects.filter(groups__name=role.value, is_active=True).distinct().order_by("pk"))


# --- What they are told --------------------------------------------------------------------------------


ALERT_SUBJECTS = {
    Alert.Kind.DUE: gettext_lazy("Due now: %(kind)s on %(account)s"),
    Alert.Kind.LIMIT: gettext_lazy("Unanswered past the outer limit: %(kind)s on %(account)s"),
    Alert.Kind.THREAT: gettext_lazy("Threat on %(account)s"),
    Alert.Kind.PILE_ON: gettext_lazy("Risk of a pile-on on %(account)s"),
    Alert.Kind.CRITICISM: gettext_lazy("Criticism on %(account)s"),
    Alert.Kind.ESCALATION: gettext_lazy("Escalated to you: %(kind)s on %(account)s"),
    Alert.Kind.THREAT_UNACKNOWLEDGED: gettext_lazy("Threat on %(account)s not yet acknowledged"),
}


def alert_event(alert: Alert, item: Item, audience: Audience) -> Event:
    """The alert's e-mails: one per person, keyed by item, kind and person, so that an alert is never
    mailed twice to anyone. The sweep's reminder and escalation are written from texts translated once
    per run (it writes thousands a second); the other kinds from their templates."""
    account = item.account
    texts = deadline_texts(translation.get_language())
    kind = texts.kinds[item.kind]
    return Event(
        kind=f"item_{alert.kind}",
        key=f"item:{item.pk}:{alert.kind}" + (f":{alert.pk}" if alert.kind == Alert.Kind.ESCALATION else ""),
        recipients=recipients(item, alert.target, audience=audience),
        subject=texts.subjects[alert.kind] % {"kind": kind, "account": account.name},
        template=f"item_{alert.kind}.txt",
        context={"item": item, "account": account, "alert": alert},
        url=reverse("moderation:item", args=[item.pk]),
        body=_deadline_body(alert.kind, item, kind=kind, texts=texts),
    )


@dataclass(frozen=True)
class DeadlineTexts:
    kinds: dict[str, str]
    platforms: dict[str, str]
    subjects: dict[str, str]
    due: tuple[str, str, str]
    limit: tuple[str, str, str]
    months: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def deadline_texts(language: str | None) -> DeadlineTexts:
    """Every fixed text of the deadline e-mails, translated once per language."""
    return DeadlineTexts(
        kinds={value: str(label).lower() for value, label in Item.Kind.choices},
        platforms={value: str(label) for value, label in Platform.choices},
        subjects={str(kind): str(subject) for kind, subject in ALERT_SUBJECTS.items()},
        due=(
            _(
                "A %(kind)s from %(author)s on %(name)s (%(platform)s) was due for an answer at %(due)s. "
                "The outer limit is %(limit)s."
            ),
            _(
                "Questions and comments are answered within 24–48 working hours "
                "(KAU-RESPONSE-DEADLINE). You are told as the account owner or a deputy. After the outer "
                "limit the head of unit and the social media lead are told."
            ),
            _("Answer or close the item here:"),
        ),
        limit=(
            _(
                "A %(kind)s from %(author)s on %(name)s (%(platform)s) has had no answer by its outer "
                "limit, %(limit)s. The account owner is %(owner)s."
            ),
            _(
                "You are told as the head of unit, who answers for the account (KAU-RESP-MANAGER), or "
                "as the social media lead (KAU-RESPONSE-DEADLINE)."
            ),
            _("Read the item here:"),
        ),
        # "M" as the ``when`` filter writes it: "24 nov 2026 10:00".
        months=(
            "",
            *(when(datetime(2000, month, 15, 12, tzinfo=UTC)).split(" ")[1] for month in range(1, 13)),
        ),
    )


def _when(value: datetime, months: tuple[str, ...]) -> str:
    """The ``when`` filter's "24 nov 2026 10:00", from the month names translated once."""
    local = timezone.localtime(value)
    return f"{local.day} {months[local.month]} {local.year} {local:%H:%M}"


def _deadline_body(alert_kind: str, item: Item, *, kind: str, texts: DeadlineTexts) -> str | None:
    """The e-mail of the sweep's reminder and escalation (KAU-RESPONSE-DEADLINE); None for the other
    kinds, whose templates write theirs."""
    if alert_kind not in {Alert.Kind.DUE, Alert.Kind.LIMIT}:
        return None
    account = item.account
    first, rule, link = texts.due if alert_kind == Alert.Kind.DUE else texts.limit
    params = {
        "kind": kind,
        "name": account.name,
        "platform": account.platform_other
        if account.platform == Platform.OTHER and account.platform_other
        else texts.platforms.get(account.platform, account.platform),
        "author": item.author,
        "due": _when(item.due_at, texts.months),
        "limit": _when(item.limit_at, texts.months),
        "owner": str(account.owner),
    }
    return "\n\n".join((first % params, f"«{excerpt(item.text)}»", rule, link))


def excerpt(text: str) -> str:
    """The item's text as the deadline e-mails quote it: whole, or its first characters and "…"."""
    return text if len(text) <= sweep_sql.EXCERPT else f"{text[: sweep_sql.EXCERPT - 1]}…"


def _notify_alert(alert: Alert, item: Item, audience: Audience) -> None:
    """The alert's e-mails, in the outbox of the same transaction (the outbox's one bulk path)."""
    notify_many([alert_event(alert, item, audience)])


# --- Acknowledging -------------------------------------------------------------------------------------


def may_acknowledge(user: Any, alert: Alert) -> bool:
    """Whether ``user`` is one of the people ``alert`` reaches, or moderates its item's account."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if may_moderate(user, alert.item.account) or (alert.head_id is not None and alert.head_id == user.pk):
        return True
    return any(
        isinstance(person, User) and person.pk == user.pk for person in recipients(alert.item, alert.target)
    )


@transaction.atomic
def acknowledge_alert(alert: Alert, *, by: User, now: datetime) -> Alert:
    """Take an alert off the start page: someone it reached has seen it and acts. Only a person the
    alert reaches, or the account's owner or a deputy, acknowledges it; anyone else is refused."""
    locked = (
        Alert.objects.select_for_update(of=("self",)).select_related("item__account__unit").get(pk=alert.pk)
    )
    if not may_acknowledge(by, locked):
        raise PermissionDenied(_("Only the people this alert was sent to acknowledge it."))
    if locked.acknowledged_at is None and locked.cleared_at is None:
        locked.acknowledged_at, locked.acknowledged_by, locked.realert_at = now, by, None
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "realert_at"])
        log_action(locked.item, LogEntry.Action.ACKNOWLEDGED, by=by, now=now, note=locked.get_kind_display())
    return locked


@transaction.atomic
def acknowledge_alerts(alerts: Sequence[Alert], *, by: User, now: datetime) -> int:
    """ "Acknowledge all": every alert given that ``by`` may acknowledge, in one transaction; threats
    are left to be acknowledged one by one (KAU-THREAT). Returns how many were acknowledged."""
    done = 0
    for alert in alerts:
        if alert.kind in NEVER_CLEARED or not alert.is_open:
            continue
        if may_acknowledge(by, alert):
            acknowledge_alert(alert, by=by, now=now)
            done += 1
    return done


def clear_alerts(item: Item, *, reason: str, now: datetime) -> int:
    """The item was answered, closed or removed: its open alerts need nobody's acknowledgement any more
    and leave the start pages, marked as cleared and why (never as acknowledged by someone). Threats
    stay (KAU-THREAT: a case until handled). Called in the finishing service's transaction."""
    return (
        Alert.objects.filter(item=item, acknowledged_at__isnull=True, cleared_at__isnull=True)
        .exclude(kind__in=NEVER_CLEARED)
        .update(cleared_at=now, cleared_reason=reason)
    )
