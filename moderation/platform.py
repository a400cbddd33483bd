"""The connectors' side of moderation's one write path: what happens on the platforms.

Moderation knows no platform; a connector calls these, and ``services.receive_item`` for a single
item. ``receive_many`` logs a burst of items in a few statements; ``record_edit`` keeps the author's
edit (both texts in the log), ``record_platform_change`` what others did on the platform (nothing is
deleted), ``record_platform_outcome`` what the platform answered when an answer or a removal was sent,
and ``keep_publication`` the account's own posts and replies (KAU-PUBLIC-RECORD).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.models import Account
from core import bounds
from core.calendar import response_deadlines
from core.history import record
from core.models import InstitutionSettings
from moderation.itemlog import locked_item, log_action, snapshot
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.services import AccountClosed


@dataclass(frozen=True)
class Received:
    """One item a connector brings in, for ``receive_many``."""

    platform_id: str
    kind: str
    author: str
    text: str
    received_at: datetime
    url: str = ""
    author_platform_id: str = ""
    in_reply_to: str = ""


@transaction.atomic
def receive_many(
    account: Account, rows: Sequence[Received], *, now: datetime, source: str = Item.Source.PLATFORM
) -> dict[str, Item]:
    """Many items from a connector at once, in a few statements whatever their number: the items, their
    history and their first log entries (KAU-PUBLIC-RECORD), with their deadlines
    (KAU-RESPONSE-DEADLINE). The same as ``receive_item`` for each row, for a burst of webhook events.

    Rows whose platform id the account already holds, and rows repeated, are left out; a row that
    ``receive_item`` would refuse raises ValidationError and nothing is stored. Items come in with no
    triage, so nothing is routed. Returns the items created, by platform id.
    """
    if account.status == Account.Status.CLOSED:
        raise AccountClosed({"account": _("The account is closed and takes no new items (KAU-CLOSE).")})
    wanted: dict[str, Received] = {}
    for row in rows:
        if row.platform_id and row.platform_id not in wanted:
            wanted[row.platform_id] = row
    known = set(
        Item.objects.filter(account=account, platform_id__in=list(wanted)).values_list(
            "platform_id", flat=True
        )
    )
    fresh = [row for platform_id, row in wanted.items() if platform_id not in known]
    if not fresh:
        return {}
    institution = InstitutionSettings.objects.get_solo()
    calendar = institution.working_calendar()
    items = []
    for row in fresh:
        if row.received_at > now + timedelta(minutes=5):
            raise ValidationError({"received_at": _("The time received cannot be in the future.")})
        bounds.check_time(row.received_at, now=now, field="received_at")
        due_at, limit_at = response_deadlines(
            row.received_at,
            due_hours=institution.response_due_hours,
            limit_hours=institution.response_limit_hours,
            calendar=calendar,
        )
        item = Item(
            account=account,
            kind=row.kind,
            author=row.author,
            text=row.text,
            received_at=row.received_at,
            url=row.url,
            platform_id=row.platform_id,
            author_platform_id=row.author_platform_id,
            in_reply_to=row.in_reply_to,
            due_at=due_at,
            limit_at=limit_at,
            alert_after=due_at,
            source=source,
        )
        item.full_clean(exclude=["evidence", "account", "logged_by"], validate_constraints=False)
        items.append(item)
    created = bulk_create_with_history(items, Item, default_change_reason="logged", default_date=now)
    LogEntry.objects.bulk_create(
        [
            LogEntry(item=item, action=LogEntry.Action.LOGGED, actor=None, at=now, after=snapshot(item))
            for item in created
        ]
    )
    return {item.platform_id: item for item in created}


@transaction.atomic
def record_edit(item: Item, *, text: str, at: datetime, now: datetime) -> Item:
    """The author edited the item on the platform. Both texts are public records
    (KAU-PUBLIC-RECORD): the item shows the new text, the log keeps the old one and the new. The
    same text again records nothing."""
    locked = locked_item(item)
    if text == locked.text:
        return locked
    old = locked.text
    locked.text = text
    record(locked, by=None, reason="edited on the platform")
    locked.save(update_fields=["text"])
    log_action(
        locked,
        LogEntry.Action.EDITED,
        by=None,
        now=now,
        before=snapshot(locked),
        note=_("Edited on the platform at %(at)s.\nBefore: %(old)s\nAfter: %(new)s")
        % {"at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"), "old": old, "new": text},
    )
    return locked


@transaction.atomic
def record_platform_change(item: Item, *, status: str, note: str, now: datetime) -> Item:
    """Someone else hid or removed the item on the platform: recorded, nothing deleted here
    (KAU-PUBLIC-RECORD). The same status again records nothing."""
    if status not in PlatformStatus.values:
        raise ValueError(f"unknown platform status {status!r}")
    locked = locked_item(item)
    if locked.platform_status == status:
        return locked
    locked.platform_status = status
    record(locked, by=None, reason="changed on the platform")
    locked.save(update_fields=["platform_status"])
    log_action(
        locked,
        LogEntry.Action.PLATFORM_CHANGED,
        by=None,
        now=now,
        before=snapshot(locked),
        note=f"{PlatformStatus(status).label}. {note}".strip(),
    )
    return locked


_OUTCOMES = {LogEntry.Action.POSTED, LogEntry.Action.POST_FAILED, LogEntry.Action.POST_UNKNOWN}


@transaction.atomic
def record_platform_outcome(item: Item, *, action: str, note: str, now: datetime) -> LogEntry:
    """What the platform answered when an answer or a removal was sent to it: posted (with its id
    and link), refused (with its reason) or unknown (a time-out). Appended to the item's log."""
    if action not in _OUTCOMES:
        raise ValueError(f"not an outcome on the platform: {action!r}")
    locked = locked_item(item)
    return log_action(locked, action, by=None, now=now, before=snapshot(locked), note=note)


@transaction.atomic
def keep_publication(
    account: Account,
    *,
    platform_id: str,
    kind: str,
    text: str,
    published_at: datetime,
    url: str = "",
    in_reply_to: str = "",
    answers: Item | None = None,
) -> tuple[Publication, bool]:
    """Keep one of the account's own publications as its published record (KAU-PUBLIC-RECORD),
    idempotent on (account, platform id); a later text is an edit, kept in the history. Returns the
    publication and whether it was created now."""
    if kind not in Publication.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of publication from the list.")})
    publication = (
        Publication.objects.select_for_update().filter(account=account, platform_id=platform_id).first()
    )
    if publication is None:
        publication = Publication(
            account=account,
            platform_id=platform_id,
            kind=kind,
            text=text,
            published_at=published_at,
            url=url,
            in_reply_to=in_reply_to,
            answers=answers,
        )
        publication.full_clean(exclude=["answers", "account"], validate_constraints=False)
        record(publication, by=None, reason="published")
        try:
            with transaction.atomic():
                publication.save()
        except IntegrityError:
            return Publication.objects.get(account=account, platform_id=platform_id), False
        return publication, True
    changed = []
    for name, value in (("text", text), ("url", url or publication.url)):
        if getattr(publication, name) != value:
            setattr(publication, name, value)
            changed.append(name)
    if answers is not None and publication.answers_id is None:
        publication.answers = answers
        changed.append("answers")
    if changed:
        record(publication, by=None, reason="edited on the platform")
        publication.save(update_fields=changed)
    return publication, False


@transaction.atomic
def record_publication_change(publication: Publication, *, status: str) -> Publication:
    """The account's own publication was hidden or removed on the platform: recorded, kept here."""
    if status not in PlatformStatus.values:
        raise ValueError(f"unknown platform status {status!r}")
    if publication.platform_status != status:
        publication.platform_status = status
        record(publication, by=None, reason="changed on the platform")
        publication.save(update_fields=["platform_status"])
    return publication
