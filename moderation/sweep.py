"""The deadline sweep (KAU-RESPONSE-DEADLINE): reminders when an item falls due, escalation when it
passes its outer limit, each sent once; and the recomputation of open items' deadlines when the
institution changes its hours or its days off."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet, prefetch_related_objects
from django.utils import translation

from core.bulk import insert_rows
from core.calendar import response_deadlines
from core.digests import digest_schedule
from core.history import record
from core.models import InstitutionSettings, User
from core.notifications import deliver_after_commit, notify_many
from core.roles import Role
from moderation import sweep_sql
from moderation.itemlog import log_action, snapshot
from moderation.models import Alert, Item, LogEntry
from moderation.routing import HEAD_TARGETS, Audience, alert_event, deadline_texts, people_with

# --- The sweep -----------------------------------------------------------------------------------------

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
    digests: dict[str, datetime | None] | None = None  # the next digest times (core.digests), per run
    while True:
        with transaction.atomic():
            if set_based:
                claimed = sweep_sql.claim(now, batch)
                if not claimed:
                    return swept
                with translation.override(settings.LANGUAGE_CODE):  # the institution's language
                    texts = deadline_texts(translation.get_language())
                if leads is None:
                    leads = [person.pk for person in people_with(Role.SOCIAL_MEDIA_LEAD)]
                if digests is None:
                    digests = digest_schedule(now)
                if sweep_sql.sweep_batch(
                    claimed, now=now, leads=leads, texts=texts, heads=heads, digests=digests
                ):
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
    sent = _deadline_alerts_sent(items)
    audience = Audience(items)
    alerts = _alerts_due(items, now=now, sent=sent, audience=audience)
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
        notify_many([alert_event(alert, item, audience) for item, alert in alerts], now=now)
    _move_alert_after(items, now=now, sent=sent)


def _deadline_alerts_sent(items: list[Item]) -> dict[int, set[str]]:
    """The reminder and escalation kinds each item already has, in one query."""
    sent: dict[int, set[str]] = {item.pk: set() for item in items}
    for item_id, kind in Alert.objects.filter(
        item__in=items, kind__in=[Alert.Kind.DUE, Alert.Kind.LIMIT]
    ).values_list("item_id", "kind"):
        sent[item_id].add(kind)
    return sent


def _alerts_due(
    items: list[Item], *, now: datetime, sent: dict[int, set[str]], audience: Audience
) -> list[tuple[Item, Alert]]:
    """The reminders and escalations the batch's open items are due (unsaved), adding each to ``sent``."""
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
    return alerts


def _move_alert_after(items: list[Item], *, now: datetime, sent: dict[int, set[str]]) -> None:
    """Move each item's ``alert_after`` on to its next moment: its due time, its limit, or never.

    Bookkeeping only, not audited (alert_after is outside the item's history): the rows are ours,
    claimed by the sweep's transaction. At most three updates, one per column the value comes from.
    """
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
            sent = _deadline_alerts_sent(items)
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
                log_action(
                    item,
                    LogEntry.Action.DEADLINES_CHANGED,
                    by=by,
                    now=now,
                    note=note,
                )
                changed += 1
            last_pk = items[-1].pk
