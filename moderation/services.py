"""Every change to moderation items goes through here: logging, triage, answers, closing, removal,
escalation, routing and the deadline sweep. Each change appends to the moderation log in the same
transaction (KAU-PUBLIC-RECORD)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Platform
from accounts.selectors import heads_of, is_owner_or_deputy
from archive.models import Screenshot
from archive.services import store_screenshot
from core import bounds
from core.bulk import insert_rows
from core.calendar import response_deadlines
from core.history import record
from core.models import InstitutionSettings, User
from core.notifications import Event, deliver_after_commit, notify_many
from core.roles import Role
from core.templatetags.kanalvakt import when
from moderation import sweep_sql
from moderation.imports import ImportRow
from moderation.models import Alert, Classification, Item, LogEntry, Prohibited

SNAPSHOT_FIELDS = (
    "status",
    "classification",
    "prohibited",
    "pile_on_risk",
    "threat",
    "requires_registration",
    "answer",
    "close_reason",
    "evidence_id",
)


class ItemNotOpen(ValidationError):
    """The item has already been answered, closed or removed."""


class AccountClosed(ValidationError):
    """A closed account takes no new items (KAU-CLOSE)."""


class RowRefused(Exception):
    """A row of an import that the service refused: the whole import is rolled back."""

    def __init__(self, row: int, error: ValidationError) -> None:
        super().__init__(row)
        self.row, self.error = row, error


@dataclass(frozen=True)
class Triage:
    """How a moderator reads an item: its classification and its flags (KAU-PROHIBITED 1–6, KAU-DREV,
    KAU-THREAT, KAU-DIARY-ACTION)."""

    classification: str = ""
    prohibited: Sequence[int] = field(default_factory=tuple)
    pile_on_risk: bool = False
    threat: bool = False
    requires_registration: bool = False

    def __post_init__(self) -> None:
        if self.classification and self.classification not in Classification.values:
            raise ValidationError({"classification": _("Choose a classification from the list.")})
        unknown = [code for code in self.prohibited if code not in Prohibited.values]
        if unknown:
            raise ValidationError({"prohibited": _("Unknown category of prohibited content.")})


def proposes_registration(classification: str, prohibited: Iterable[int]) -> bool:
    """KAU-DIARY-ACTION: critical posts and posts that break laws or rules are registered; the form
    proposes "requires registration" for them, and the moderator decides."""
    return classification == Classification.CRITICISM or bool(list(prohibited))


# --- Who may do what -----------------------------------------------------------------------------------


def may_moderate(user: Any, account: Account) -> bool:
    """The account owner and the deputies moderate an account's items; nobody else does."""
    return is_owner_or_deputy(user, account)


def _require_moderator(user: User, item: Item) -> None:
    if not may_moderate(user, item.account):
        raise PermissionDenied(_("Only the account owner and the deputies moderate this account."))


def _require_open(item: Item) -> None:
    if item.handled_at is not None:
        raise ItemNotOpen(
            _("The item has already been dealt with: it is %(status)s.")
            % {"status": item.get_status_display().lower()}
        )


# --- The log -------------------------------------------------------------------------------------------


def snapshot(item: Item) -> dict[str, Any]:
    """The item's triage and state as the log keeps them, before and after each action."""
    values = {name: getattr(item, name) for name in SNAPSHOT_FIELDS}
    values["prohibited"] = sorted(values["prohibited"])
    return values


def _log(
    item: Item,
    action: str,
    *,
    by: User | None,
    now: datetime,
    before: dict[str, Any] | None = None,
    note: str = "",
) -> LogEntry:
    return LogEntry.objects.create(
        item=item, action=action, actor=by, at=now, note=note, before=before or {}, after=snapshot(item)
    )


def _locked(item: Item | int) -> Item:
    pk = item if isinstance(item, int) else item.pk
    return Item.objects.select_for_update(of=("self",)).select_related("account", "account__unit").get(pk=pk)


# --- Logging an item -----------------------------------------------------------------------------------


def _deadlines(received_at: datetime) -> tuple[datetime, datetime]:
    institution = InstitutionSettings.objects.get_solo()
    return response_deadlines(
        received_at,
        due_hours=institution.response_due_hours,
        limit_hours=institution.response_limit_hours,
        calendar=institution.working_calendar(),
    )


@transaction.atomic
def log_item(
    account: Account,
    *,
    kind: str,
    author: str,
    text: str,
    received_at: datetime,
    by: User | None,
    now: datetime | None = None,
    url: str = "",
    platform_id: str = "",
    source: str = Item.Source.FORM,
    triage: Triage | None = None,
) -> Item:
    """Log an incoming post, comment or message and fix its deadlines (KAU-RESPONSE-DEADLINE).

    Triage given at once is applied and routed like a later classification. A platform id already
    logged for the account is refused on that field.
    """
    now = now or timezone.now()
    if account.status == Account.Status.CLOSED:
        raise AccountClosed({"account": _("The account is closed and takes no new items (KAU-CLOSE).")})
    if received_at > now + timedelta(minutes=5):
        raise ValidationError({"received_at": _("The time received cannot be in the future.")})
    # KAU-RESPONSE-DEADLINE: the deadlines are counted from it, on every page that shows the item.
    bounds.check_time(received_at, now=now, field="received_at")
    if platform_id and Item.objects.filter(account=account, platform_id=platform_id).exists():
        raise ValidationError(
            {"platform_id": _("An item with this platform id is already logged for the account.")}
        )
    due_at, limit_at = _deadlines(received_at)
    item = Item(
        account=account,
        kind=kind,
        author=author,
        text=text,
        received_at=received_at,
        url=url,
        platform_id=platform_id,
        due_at=due_at,
        limit_at=limit_at,
        alert_after=due_at,
        source=source,
        logged_by=by,
    )
    if triage is not None:
        _apply_triage(item, triage)
    item.full_clean(exclude=["evidence"])
    record(item, by=by, reason="logged")
    item.save()
    _log(item, LogEntry.Action.LOGGED, by=by, now=now)
    _route(item, by=by, now=now)
    return item


@transaction.atomic
def receive_item(
    account: Account,
    *,
    platform_id: str,
    kind: str,
    author: str,
    text: str,
    received_at: datetime,
    url: str = "",
    now: datetime,
    source: str = Item.Source.API,
    by: User | None = None,
) -> tuple[Item, bool]:
    """An item from a connector or an import, idempotent on (account, platform id): a replay returns
    the stored item and creates nothing. Returns the item and whether it was created now."""
    existing = Item.objects.filter(account=account, platform_id=platform_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # a savepoint: losing a race for the key leaves the caller usable
            item = log_item(
                account,
                kind=kind,
                author=author,
                text=text,
                received_at=received_at,
                url=url,
                platform_id=platform_id,
                source=source,
                by=by,
                now=now,
            )
    except IntegrityError:
        return Item.objects.get(account=account, platform_id=platform_id), False
    except ValidationError as exc:
        # The unique check, when the row committed between our read and our insert.
        errors = getattr(exc, "message_dict", {})
        if ("platform_id" in errors or "__all__" in errors) and Item.objects.filter(
            account=account, platform_id=platform_id
        ).exists():
            return Item.objects.get(account=account, platform_id=platform_id), False
        raise
    return item, True


@transaction.atomic
def import_items(account: Account, rows: Iterable[ImportRow], *, by: User, now: datetime) -> tuple[int, int]:
    """Import the clean rows of a file: every row or none, each idempotent on its platform id.
    Returns (created, already there); a refused row raises RowRefused and nothing is imported."""
    created = existed = 0
    for row in rows:
        try:
            _item, is_new = receive_item(
                account,
                platform_id=row.platform_id,
                kind=row.kind,
                author=row.author,
                text=row.text,
                received_at=row.received_at,
                url=row.url,
                now=now,
                source=Item.Source.IMPORT,
                by=by,
            )
        except ValidationError as exc:
            raise RowRefused(row.row, exc) from exc
        created, existed = created + is_new, existed + (not is_new)
    return created, existed


# --- Triage and routing --------------------------------------------------------------------------------


def _apply_triage(item: Item, triage: Triage) -> None:
    item.classification = triage.classification
    item.prohibited = sorted(set(triage.prohibited))
    item.pile_on_risk = triage.pile_on_risk
    item.threat = triage.threat
    item.requires_registration = triage.requires_registration


@transaction.atomic
def classify_item(item: Item, *, triage: Triage, by: User, now: datetime, note: str = "") -> Item:
    """Classify an item and set its flags; a new threat, pile-on risk or criticism is routed at once.

    Triage may change after an item is dealt with (a threat can be recognised late); the log keeps
    each reading.
    """
    locked = _locked(item)
    _require_moderator(by, locked)
    before = snapshot(locked)
    _apply_triage(locked, triage)
    if snapshot(locked) == before and not note:
        return locked
    record(locked, by=by, reason="classified")
    locked.save(
        update_fields=["classification", "prohibited", "pile_on_risk", "threat", "requires_registration"]
    )
    _log(locked, LogEntry.Action.CLASSIFIED, by=by, now=now, before=before, note=note)
    _route(locked, by=by, now=now)
    return locked


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


def _route(item: Item, *, by: User | None, now: datetime) -> None:
    """Threat → the security officer (KAU-THREAT); risk of a pile-on → the central social media
    address (KAU-DREV); criticism → the head of the account's unit (KAU-RESPONSE-CRITICISM).

    At once (in the transaction that logs or classifies the item) and exactly once per item and
    kind: the alert's unique constraint decides, whoever routes first.
    """
    for kind, target, rule in _wanted_routes(item):
        alert = _create_alert(item, kind=kind, target=target, by=by, now=now)
        if alert is not None:
            _log(item, LogEntry.Action.ROUTED, by=by, now=now, note=f"{alert.get_kind_display()} ({rule})")


def _create_alert(
    item: Item,
    *,
    kind: str,
    target: str,
    by: User | None,
    now: datetime,
    note: str = "",
    audience: _Audience | None = None,
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
    audience = audience or _Audience([item])
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


HEAD_TARGETS = frozenset({Alert.Target.HEAD, Alert.Target.HEAD_AND_LEAD})


class _Audience:
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
            self._roles[role] = _people_with(role)
        return self._roles[role]

    def institution(self) -> InstitutionSettings:
        if self._institution is None:
            self._institution = InstitutionSettings.objects.get_solo()
        return self._institution


def recipients(item: Item, target: str, *, audience: _Audience | None = None) -> list[User | str]:
    """The people, and the function addresses, an alert to ``target`` reaches.

    The owner and the deputies (the sweep's reminder); the head of the unit, the nearest active head
    up the tree (KAU-RESP-MANAGER, KAU-RESPONSE-CRITICISM); with the social media lead after the
    outer limit; the lead and the central address at a pile-on (KAU-DREV); the security officers and
    the security officer's address at a threat (KAU-THREAT). Inactive people are dropped when the
    e-mails are written (core.notifications).
    """
    audience = audience or _Audience([item])
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
    raise ValueError(target)


def _people_with(role: Role) -> list[User]:
    return list(User.objects.filter(groups__name=role.value, is_active=True).distinct().order_by("pk"))


ALERT_SUBJECTS = {
    Alert.Kind.DUE: gettext_lazy("Due now: %(kind)s on %(account)s"),
    Alert.Kind.LIMIT: gettext_lazy("Unanswered past the outer limit: %(kind)s on %(account)s"),
    Alert.Kind.THREAT: gettext_lazy("Threat on %(account)s"),
    Alert.Kind.PILE_ON: gettext_lazy("Risk of a pile-on on %(account)s"),
    Alert.Kind.CRITICISM: gettext_lazy("Criticism on %(account)s"),
    Alert.Kind.ESCALATION: gettext_lazy("Escalated to you: %(kind)s on %(account)s"),
}


def _alert_event(alert: Alert, item: Item, audience: _Audience) -> Event:
    """The alert's e-mails: one per person, keyed by item, kind and person, so that an alert is never
    mailed twice to anyone. The sweep's reminder and escalation are written from texts translated once
    per run (it writes thousands a second); the other kinds from their templates."""
    account = item.account
    texts = _deadline_texts(translation.get_language())
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
class _DeadlineTexts:
    kinds: dict[str, str]
    platforms: dict[str, str]
    subjects: dict[str, str]
    due: tuple[str, str, str]
    limit: tuple[str, str, str]
    months: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def _deadline_texts(language: str | None) -> _DeadlineTexts:
    """Every fixed text of the deadline e-mails, translated once per language."""
    return _DeadlineTexts(
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


def _deadline_body(alert_kind: str, item: Item, *, kind: str, texts: _DeadlineTexts) -> str | None:
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


def _notify_alert(alert: Alert, item: Item, audience: _Audience) -> None:
    """The alert's e-mails, in the outbox of the same transaction (the outbox's one bulk path)."""
    notify_many([_alert_event(alert, item, audience)])


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
    if locked.acknowledged_at is None:
        locked.acknowledged_at, locked.acknowledged_by = now, by
        locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _log(locked.item, LogEntry.Action.ACKNOWLEDGED, by=by, now=now, note=locked.get_kind_display())
    return locked


@transaction.atomic
def escalate_item(item: Item, *, target: str, note: str, by: User, now: datetime) -> Alert:
    """Send an item to the head of unit, the central social media lead or the security officer, with a
    note saying why. Every escalation by hand is its own alert and its own log entry."""
    locked = _locked(item)
    _require_moderator(by, locked)
    if target not in {Alert.Target.HEAD, Alert.Target.CENTRAL, Alert.Target.SECURITY}:
        raise ValidationError({"target": _("Choose whom to escalate to.")})
    if not note.strip():
        raise ValidationError({"note": _("Say why the item is escalated.")})
    alert = _create_alert(
        locked, kind=Alert.Kind.ESCALATION, target=target, by=by, now=now, note=note.strip()
    )
    assert alert is not None  # escalations by hand are never unique
    _log(
        locked,
        LogEntry.Action.ESCALATED,
        by=by,
        now=now,
        note=f"{alert.get_target_display()}: {note.strip()}",
    )
    return alert


# --- Answering, closing, removing ----------------------------------------------------------------------


def _finish(item: Item, status: str, *, by: User, now: datetime) -> None:
    item.status = status
    item.handled_at, item.handled_by = now, by
    item.alert_after = None  # answered, closed or removed: nothing more to remind of


@transaction.atomic
def answer_item(
    item: Item, *, answer: str, by: User, now: datetime, answered_at: datetime | None = None
) -> Item:
    """Record the answer given on the platform: its text, when, by whom (KAU-RESPONSE-DEADLINE,
    KAU-RESPONSE-TONE)."""
    locked = _locked(item)
    _require_moderator(by, locked)
    _require_open(locked)
    if not answer.strip():
        raise ValidationError({"answer": _("Write the answer that was given.")})
    answered_at = answered_at or now
    if answered_at > now + timedelta(minutes=5):
        raise ValidationError({"answered_at": _("The time of the answer cannot be in the future.")})
    bounds.check_time(answered_at, now=now, field="answered_at")
    if answered_at < locked.received_at:
        raise ValidationError({"answered_at": _("The answer cannot come before the item was received.")})
    before = snapshot(locked)
    locked.answer, locked.answered_at = answer.strip(), answered_at
    _finish(locked, Item.Status.ANSWERED, by=by, now=answered_at)
    record(locked, by=by, reason="answered")
    locked.save(update_fields=["answer", "answered_at", "status", "handled_at", "handled_by", "alert_after"])
    _log(locked, LogEntry.Action.ANSWERED, by=by, now=now, before=before)
    return locked


@transaction.atomic
def close_item(item: Item, *, reason: str, by: User, now: datetime) -> Item:
    """Close an item that needs no answer; the reason is required and kept."""
    locked = _locked(item)
    _require_moderator(by, locked)
    _require_open(locked)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the item needs no answer.")})
    before = snapshot(locked)
    locked.close_reason = reason.strip()
    _finish(locked, Item.Status.CLOSED, by=by, now=now)
    record(locked, by=by, reason="closed")
    locked.save(update_fields=["close_reason", "status", "handled_at", "handled_by", "alert_after"])
    _log(locked, LogEntry.Action.CLOSED, by=by, now=now, before=before, note=locked.close_reason)
    return locked


@transaction.atomic
def attach_evidence(
    item: Item,
    *,
    data: bytes,
    by: User,
    now: datetime,
    taken_at: datetime | None = None,
    taken_from: str = "",
) -> Screenshot:
    """Keep a screenshot of the item before it is removed (KAU-PROHIBITED-EVIDENCE). A refused image
    (archive.images.ImageRefused) stores nothing."""
    locked = _locked(item)
    _require_moderator(by, locked)
    shot = store_screenshot(
        locked.account,
        data=data,
        purpose=Screenshot.Purpose.EVIDENCE,
        item=locked,
        by=by,
        now=now,
        taken_at=taken_at,
        source_url=locked.url,
        taken_from=taken_from,
    )
    before = snapshot(locked)
    locked.evidence = shot
    record(locked, by=by, reason="evidence attached")
    locked.save(update_fields=["evidence"])
    _log(locked, LogEntry.Action.EVIDENCE, by=by, now=now, before=before, note=f"SHA-256 {shot.sha256}")
    return shot


@transaction.atomic
def remove_item(item: Item, *, note: str, by: User, now: datetime) -> Item:
    """Record that prohibited content was removed from the platform (KAU-PROHIBITED). Refused until a
    category is named and the evidence screenshot is kept (KAU-PROHIBITED-EVIDENCE)."""
    locked = _locked(item)
    _require_moderator(by, locked)
    _require_open(locked)
    if not locked.prohibited:
        raise ValidationError(
            {"prohibited": _("Only prohibited content is removed: mark its category first.")}
        )
    if locked.evidence_id is None:
        raise ValidationError(
            {"evidence": _("Keep a screenshot of the item before it is removed (KAU-PROHIBITED-EVIDENCE).")}
        )
    before = snapshot(locked)
    _finish(locked, Item.Status.REMOVED, by=by, now=now)
    record(locked, by=by, reason="removed")
    locked.save(update_fields=["status", "handled_at", "handled_by", "alert_after"])
    _log(locked, LogEntry.Action.REMOVED, by=by, now=now, before=before, note=note.strip())
    return locked


# --- The deadline sweep --------------------------------------------------------------------------------

# Items per claimed batch. In Python each item costs work, so batches stay small; on PostgreSQL a
# batch is one statement, and larger batches spend less on claiming (a batch of 5,000 holds its rows
# for about a second: someone answering one of them waits that long).
SWEEP_BATCH = 500
SET_BASED_BATCH = 5000


def claimable(now: datetime) -> QuerySet[Item]:
    """The sweep's claim: items whose next reminder or escalation is due, oldest first, locked
    without waiting for rows another sweep holds. One indexed query (item_alert_after_idx, partial on
    ``alert_after IS NOT NULL``: answered items and items with nothing more to send are not in it)."""
    return (
        Item.objects.alert_due(now)
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("account", "account__owner", "account__unit")
        .order_by("alert_after", "pk")
    )


def sweep_deadlines(*, now: datetime, batch: int | None = None, set_based: bool | None = None) -> int:
    """Remind owner and deputies of items past due; escalate items past the outer limit to the head of
    unit and the social media lead (KAU-RESPONSE-DEADLINE). Returns how many items were swept.

    One indexed query finds the due rows; each batch is claimed with ``SELECT … FOR UPDATE SKIP
    LOCKED`` in its own transaction, so two sweeps at once share the work, and a sweep killed
    mid-batch leaves that batch, rolled back, to the next. Each (item, kind) alert is unique in the
    database (alert_once_per_item_and_kind), written with its e-mails (the outbox) and its log entry
    in the claiming transaction: each reminder and escalation is sent once. A batch costs a fixed
    number of queries whatever its size. On PostgreSQL the batch is written by the database in one
    statement (``moderation.sweep_sql``, ``set_based``); elsewhere by ``_sweep_batch`` in bulk.
    """
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    if batch is None:
        batch = SET_BASED_BATCH if set_based else SWEEP_BATCH
    swept = 0
    heads: dict[int, int | None] = {}  # per account, read once per run (set-based)
    leads: list[int] | None = None
    while True:
        with transaction.atomic():
            if set_based:
                claimed = sweep_sql.claim(now, batch)
                if not claimed:
                    return swept
                with translation.override(settings.LANGUAGE_CODE):  # the institution's language
                    texts = _deadline_texts(translation.get_language())
                if leads is None:
                    leads = [person.pk for person in _people_with(Role.SOCIAL_MEDIA_LEAD)]
                if sweep_sql.sweep_batch(claimed, now=now, leads=leads, texts=texts, heads=heads):
                    deliver_after_commit()
                swept += len(claimed)
                continue
            items = list(claimable(now)[:batch])
            if not items:
                return swept
            _sweep_batch(items, now=now)
        swept += len(items)


def _sweep_batch(items: list[Item], *, now: datetime) -> None:
    """The claimed batch's reminders and escalations: alerts, log entries and e-mails in one bulk
    insert each, then ``alert_after`` moved on in at most three updates. Only the sweep writes the
    due and limit alerts, and these items are locked by this transaction, so the alerts read here
    are all there are."""
    prefetch_related_objects(items, "account__deputies")
    sent: dict[int, set[str]] = {item.pk: set() for item in items}
    for item_id, kind in Alert.objects.filter(
        item__in=items, kind__in=[Alert.Kind.DUE, Alert.Kind.LIMIT]
    ).values_list("item_id", "kind"):
        sent[item_id].add(kind)
    audience = _Audience(items)
    alerts: list[tuple[Item, Alert]] = []
    for item in items:
        if item.handled_at is not None:
            continue
        for kind, target, deadline in (
            (Alert.Kind.DUE, Alert.Target.OWNERS, item.due_at),
            (Alert.Kind.LIMIT, Alert.Target.HEAD_AND_LEAD, item.limit_at),
        ):
            if deadline <= now and kind not in sent[item.pk]:
                head = audience.head(item.account) if target in HEAD_TARGETS else None
                alerts.append((item, Alert(item=item, kind=kind, target=target, head=head, created_at=now)))
                sent[item.pk].add(kind)
    insert_rows(
        Alert,
        [
            {
                "item_id": item.pk,
                "kind": alert.kind,
                "target": alert.target,
                "head_id": alert.head_id,
                "created_at": now,
            }
            for item, alert in alerts
        ],
    )
    actions: dict[str, str] = {
        Alert.Kind.DUE: LogEntry.Action.REMINDED,
        Alert.Kind.LIMIT: LogEntry.Action.LIMIT_PASSED,
    }
    insert_rows(
        LogEntry,
        [
            {"item_id": item.pk, "action": actions[alert.kind], "at": now, "after": snapshot(item)}
            for item, alert in alerts
        ],
    )
    with translation.override(settings.LANGUAGE_CODE):  # the e-mails are in the institution's language
        notify_many([_alert_event(alert, item, audience) for item, alert in alerts])
    # Bookkeeping only, not audited (alert_after is outside the item's history): the rows are ours,
    # claimed above. Each item's next moment is one of three: its due time, its limit, or never.
    moved: dict[str, list[int]] = {"due_at": [], "limit_at": [], "": []}
    for item in items:
        item.alert_after = _next_alert_after(item, now=now, sent=sent[item.pk])
        if item.alert_after is None:
            moved[""].append(item.pk)
        else:
            moved["due_at" if item.alert_after == item.due_at else "limit_at"].append(item.pk)
    for column, pks in moved.items():
        if pks:
            Item.objects.filter(pk__in=pks).update(alert_after=F(column) if column else None)


def _next_alert_after(item: Item, *, now: datetime, sent: set[str]) -> datetime | None:
    """The next instant the sweep has something to send for ``item``, or None when nothing more will
    be: the due time until the reminder is sent, then the outer limit until the escalation is."""
    if item.handled_at is not None or Alert.Kind.LIMIT in sent:
        return None
    if Alert.Kind.DUE not in sent:
        return item.due_at
    return item.limit_at


# --- When the calendar changes -------------------------------------------------------------------------


def recompute_open_deadlines(*, by: User | None, now: datetime, batch: int = 500) -> int:
    """Recompute ``due_at`` and ``limit_at`` of every unanswered item after the institution changes its
    hours or its days off (KAU-RESPONSE-DEADLINE). Alerts already sent stay sent; the next one falls
    due on the new time. Returns how many items changed."""
    changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            institution = InstitutionSettings.objects.get_solo()
            calendar = institution.working_calendar()
            items = list(
                Item.objects.unanswered().filter(pk__gt=last_pk).select_for_update().order_by("pk")[:batch]
            )
            if not items:
                return changed
            sent: dict[int, set[str]] = {item.pk: set() for item in items}
            for item_id, kind in Alert.objects.filter(
                item__in=items, kind__in=[Alert.Kind.DUE, Alert.Kind.LIMIT]
            ).values_list("item_id", "kind"):
                sent[item_id].add(kind)
            for item in items:
                due_at, limit_at = response_deadlines(
                    item.received_at,
                    due_hours=institution.response_due_hours,
                    limit_hours=institution.response_limit_hours,
                    calendar=calendar,
                )
                if (due_at, limit_at) == (item.due_at, item.limit_at):
                    continue
                note = (
                    f"{item.due_at.isoformat()} → {due_at.isoformat()}; "
                    f"{item.limit_at.isoformat()} → {limit_at.isoformat()}"
                )
                item.due_at, item.limit_at = due_at, limit_at
                item.alert_after = _next_alert_after(item, now=now, sent=sent[item.pk])
                record(item, by=by, reason="deadlines recomputed")
                item.save(update_fields=["due_at", "limit_at", "alert_after"])
                _log(
                    item,
                    LogEntry.Action.DEADLINES_CHANGED,
                    by=by,
                    now=now,
                    note=note,
                )
                changed += 1
            last_pk = items[-1].pk
