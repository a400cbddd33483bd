"""Every change to a moderation item goes through here: logging (by hand, from a connector, from a
file), triage, answers, closing, the evidence, removal and escalation. Each change appends to the
moderation log in the same transaction (KAU-PUBLIC-RECORD, moderation.itemlog); what it routes is
moderation.routing's, and the deadline sweep is moderation.sweep's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core import bounds
from core.calendar import response_deadlines
from core.history import record
from core.models import InstitutionSettings, User
from moderation import events
from moderation.imports import ImportRow
from moderation.itemlog import locked_item, log_action, snapshot
from moderation.models import Alert, Classification, Item, LogEntry, Prohibited
from moderation.registration_models import REGISTRATION_FIELDS, follow_triage
from moderation.routing import clear_alerts, create_alert, route_item
from moderation.selectors import may_moderate


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


# --- Who may act ---------------------------------------------------------------------------------------


def require_moderator(user: User, item: Item) -> None:
    """Refuse anyone but the owner and the deputies of the item's account (PermissionDenied)."""
    if not may_moderate(user, item.account):
        raise PermissionDenied(_("Only the account owner and the deputies moderate this account."))


def require_open(item: Item) -> None:
    if item.handled_at is not None:
        raise ItemNotOpen(
            _("The item has already been dealt with: it is %(status)s.")
            % {"status": item.get_status_display().lower()}
        )


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
    author_platform_id: str = "",
    in_reply_to: str = "",
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
        author_platform_id=author_platform_id,
        in_reply_to=in_reply_to,
        due_at=due_at,
        limit_at=limit_at,
        alert_after=due_at,
        source=source,
        logged_by=by,
    )
    if triage is not None:
        _apply_triage(item, triage, by=by, now=now)
    # The fields are checked here; the constraints (the platform id checked above, the deadlines
    # computed above, open iff unhandled) are the database's, which refuses any row that breaks one.
    # Checking them here too would cost a query and a savepoint each for every item a connector brings.
    item.full_clean(exclude=["evidence", "account", "logged_by"], validate_constraints=False)
    record(item, by=by, reason="logged")
    item.save()
    log_action(item, LogEntry.Action.LOGGED, by=by, now=now)
    route_item(item, by=by, now=now)
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
    author_platform_id: str = "",
    in_reply_to: str = "",
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
                author_platform_id=author_platform_id,
                in_reply_to=in_reply_to,
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


# --- Triage --------------------------------------------------------------------------------------------


def _apply_triage(item: Item, triage: Triage, *, by: User | None, now: datetime) -> None:
    item.classification = triage.classification
    item.prohibited = sorted(set(triage.prohibited))
    item.pile_on_risk = triage.pile_on_risk
    item.threat = triage.threat
    # KAU-DIARY-ACTION: "requires registration" is the decision "required", with who and when.
    follow_triage(item, triage.requires_registration, by=by, now=now)


@transaction.atomic
def classify_item(item: Item, *, triage: Triage, by: User, now: datetime, note: str = "") -> Item:
    """Classify an item and set its flags; a new threat, pile-on risk or criticism is routed at once.

    Triage may change after an item is dealt with (a threat can be recognised late); the log keeps
    each reading.
    """
    locked = locked_item(item)
    require_moderator(by, locked)
    before = snapshot(locked)
    _apply_triage(locked, triage, by=by, now=now)
    if snapshot(locked) == before and not note:
        return locked
    record(locked, by=by, reason="classified")
    locked.save(
        update_fields=["classification", "prohibited", "pile_on_risk", "threat", *REGISTRATION_FIELDS]
    )
    log_action(locked, LogEntry.Action.CLASSIFIED, by=by, now=now, before=before, note=note)
    route_item(locked, by=by, now=now)
    return locked


@transaction.atomic
def escalate_item(item: Item, *, target: str, note: str, by: User, now: datetime) -> Alert:
    """Send an item to the head of unit, the central social media lead or the security officer, with a
    note saying why. Every escalation by hand is its own alert and its own log entry."""
    locked = locked_item(item)
    require_moderator(by, locked)
    if target not in {Alert.Target.HEAD, Alert.Target.CENTRAL, Alert.Target.SECURITY}:
        raise ValidationError({"target": _("Choose whom to escalate to.")})
    if not note.strip():
        raise ValidationError({"note": _("Say why the item is escalated.")})
    alert = create_alert(locked, kind=Alert.Kind.ESCALATION, target=target, by=by, now=now, note=note.strip())
    assert alert is not None  # escalations by hand are never unique
    log_action(
        locked,
        LogEntry.Action.ESCALATED,
        by=by,
        now=now,
        note=f"{alert.get_target_display()}: {note.strip()}",
    )
    return alert


# --- Answering, closing, removing ----------------------------------------------------------------------


# The fields _finish sets, for save(update_fields=...) with the fields of each action.
FINISH_FIELDS = ["status", "handled_at", "handled_by", "alert_after", "taken_by", "taken_at"]


def _finish(item: Item, status: str, *, by: User, now: datetime, cleared_at: datetime | None = None) -> None:
    # Answered, closed or removed: its alerts need nobody's acknowledgement any more (not threats).
    clear_alerts(item, reason=status, now=cleared_at or now)
    item.status = status
    item.handled_at, item.handled_by = now, by
    item.alert_after = None  # answered, closed or removed: nothing more to remind of
    item.taken_by, item.taken_at = None, None  # dealt with: nobody is handling it any more


@transaction.atomic
def answer_item(
    item: Item, *, answer: str, by: User, now: datetime, answered_at: datetime | None = None
) -> Item:
    """Record the answer given on the platform: its text, when, by whom (KAU-RESPONSE-DEADLINE,
    KAU-RESPONSE-TONE)."""
    locked = locked_item(item)
    require_moderator(by, locked)
    require_open(locked)
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
    _finish(locked, Item.Status.ANSWERED, by=by, now=answered_at, cleared_at=now)
    record(locked, by=by, reason="answered")
    locked.save(update_fields=["answer", "answered_at", *FINISH_FIELDS])
    log_action(locked, LogEntry.Action.ANSWERED, by=by, now=now, before=before)
    # Recorded first: a connector posts it to the platform from a worker, after this commits.
    events.answer_recorded.announce(item=locked, by=by, now=now)
    return locked


@transaction.atomic
def close_item(item: Item, *, reason: str, by: User, now: datetime) -> Item:
    """Close an item that needs no answer; the reason is required and kept."""
    locked = locked_item(item)
    require_moderator(by, locked)
    require_open(locked)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the item needs no answer.")})
    before = snapshot(locked)
    locked.close_reason = reason.strip()
    _finish(locked, Item.Status.CLOSED, by=by, now=now)
    record(locked, by=by, reason="closed")
    locked.save(update_fields=["close_reason", *FINISH_FIELDS])
    log_action(locked, LogEntry.Action.CLOSED, by=by, now=now, before=before, note=locked.close_reason)
    return locked


class KeptScreenshot(Protocol):
    """What moderation reads of a screenshot the archive kept (archive.models.Screenshot)."""

    @property
    def pk(self) -> Any: ...

    @property
    def item_id(self) -> int | None: ...

    @property
    def purpose(self) -> str: ...

    @property
    def sha256(self) -> str: ...


EVIDENCE = "evidence"  # the purpose of an evidence screenshot (archive.models.Screenshot.Purpose)


@transaction.atomic
def attach_evidence(item: Item, shot: KeptScreenshot, *, by: User, now: datetime) -> Item:
    """Make a screenshot the archive has just kept of the item its evidence, before the item is removed
    (KAU-PROHIBITED-EVIDENCE). The archive stores the file and calls this in the same transaction
    (archive.services.store_evidence), so that a refused image stores nothing and sets nothing."""
    locked = locked_item(item)
    require_moderator(by, locked)
    if shot.item_id != locked.pk or shot.purpose != EVIDENCE:
        raise ValueError("only an evidence screenshot of this item is its evidence")
    before = snapshot(locked)
    locked.evidence_id = shot.pk
    record(locked, by=by, reason="evidence attached")
    locked.save(update_fields=["evidence"])
    log_action(locked, LogEntry.Action.EVIDENCE, by=by, now=now, before=before, note=f"SHA-256 {shot.sha256}")
    return locked


@transaction.atomic
def remove_item(item: Item, *, note: str, by: User, now: datetime) -> Item:
    """Record that prohibited content was removed from the platform (KAU-PROHIBITED). Refused until a
    category is named and the evidence screenshot is kept (KAU-PROHIBITED-EVIDENCE)."""
    locked = locked_item(item)
    require_moderator(by, locked)
    require_open(locked)
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
    locked.save(update_fields=FINISH_FIELDS)
    log_action(locked, LogEntry.Action.REMOVED, by=by, now=now, before=before, note=note.strip())
    # The evidence is kept (above), so a connector may now hide or delete it on the platform.
    events.removal_recorded.announce(item=locked, by=by, now=now)
    return locked
