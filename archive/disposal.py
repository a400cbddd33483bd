"""Disposal lists (*gallringsförslag*): proposed, reviewed, approved or rejected (arkivlagen 10 §).

Kanalvakt never disposes of anything by itself. The daily job (``propose_disposal`` with ``by=None``)
or the archivist's button lists the records past their period under the schedule in force, leaving out
everything under a legal hold and everything already on a list; the archivist takes records off the
list, then approves it with the disposal decision's reference (dnr) and a confirmation, or rejects it.
Only an approved list is carried out (``archive.disposal_execution``).

The proposal is a claimed sweep: one proposal under review at a time (a partial unique constraint), made
under an advisory lock, so the job and the button, or two runs at once, make one list and no more.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from archive import retention
from archive.models import (
    DiaryPackage,
    Disposal,
    DisposalEntry,
    ExportJob,
    LegalHold,
    RecordType,
    RetentionRule,
    Screenshot,
    Tombstone,
)
from archive.retention_services import may_manage
from core.calendar import STOCKHOLM
from core.history import record
from core.models import User
from governance.models import AccountRequest
from moderation.models import Item, Publication

# At most this many records on one list; the rest come on the next one.
MAX_ENTRIES = 5000
LOCK_KEY = int.from_bytes(b"kvgallr", "big")


@dataclass(frozen=True)
class Source:
    """Where the records of one rule are, and which of their fields a hold and the list read."""

    queryset: QuerySet[Any]
    date_field: str
    account_field: str | None
    item_field: str | None
    label: Any  # (row) -> str: what the record is, without its content


def _listed(record_type: str) -> Exists:
    """On a list under review or being carried out, and not taken off it."""
    return Exists(
        DisposalEntry.objects.filter(
            record_type=record_type,
            record_id=OuterRef("pk"),
            disposal__status__in=[Disposal.Status.PROPOSED, Disposal.Status.APPROVED],
            excluded_at__isnull=True,
            held_at__isnull=True,
        )
    )


def _item_label(item: Item) -> str:
    return f"{item.get_kind_display()} {item.platform_id or f'#{item.pk}'} ({item.account.name})"


def _screenshots(purpose: str, record_type: str) -> Source:
    """The screenshots of one purpose (start pages, evidence) not yet disposed of or listed."""
    return Source(
        Screenshot.objects.filter(purpose=purpose, disposed_at__isnull=True)
        .select_related("account")
        .filter(~_listed(record_type)),
        "taken_at",
        "account_id",
        "item_id",
        lambda shot: f"{shot.sha256[:12]} ({shot.account.name})",
    )


def sources() -> dict[str, Source]:
    """Each record type's records that could be disposed of: not yet disposed of, settled (an open item or
    one waiting for registration is never listed), and not on a list already."""
    registered = Exists(DiaryPackage.objects.filter(item=OuterRef("pk"), registered_at__isnull=False))
    any_package = Exists(DiaryPackage.objects.filter(item=OuterRef("pk")))
    settled = Item.objects.filter(disposed_at__isnull=True).exclude(status=Item.Status.OPEN)
    items = settled.select_related("account")
    return {
        RecordType.ITEM: Source(
            items.filter(requires_registration=False).filter(~any_package).filter(~_listed("item")),
            "received_at",
            "account_id",
            "pk",
            _item_label,
        ),
        RecordType.REGISTERED_ITEM: Source(
            items.filter(registered).filter(~_listed("registered_item")),
            "received_at",
            "account_id",
            "pk",
            _item_label,
        ),
        RecordType.PUBLICATION: Source(
            Publication.objects.filter(disposed_at__isnull=True)
            .select_related("account")
            .filter(~_listed("publication")),
            "published_at",
            "account_id",
            "answers_id",
            lambda pub: f"{pub.get_kind_display()} {pub.platform_id} ({pub.account.name})",
        ),
        RecordType.STARTPAGE: _screenshots(Screenshot.Purpose.STARTPAGE, RecordType.STARTPAGE),
        RecordType.EVIDENCE: _screenshots(Screenshot.Purpose.EVIDENCE, RecordType.EVIDENCE),
        RecordType.DECISION: Source(
            AccountRequest.objects.filter(
                status__in=[AccountRequest.Status.APPROVED, AccountRequest.Status.REJECTED],
                decided_at__isnull=False,
            )
            .filter(~Exists(Tombstone.objects.filter(record_type="decision", record_id=OuterRef("pk"))))
            .filter(~_listed("decision")),
            "decided_at",
            "account_id",
            None,
            lambda req: f"{req.name} ({req.get_status_display()})",
        ),
        RecordType.EXPORT: Source(
            ExportJob.objects.filter(status=ExportJob.Status.DONE, disposed_at__isnull=True).filter(
                ~_listed("export")
            ),
            "finished_at",
            None,
            None,
            lambda job: job.description[:300],
        ),
    }


def active_holds() -> list[LegalHold]:
    return list(LegalHold.objects.active())


def as_holds(holds: Iterable[LegalHold]) -> list[retention.Hold]:
    return [retention.Hold(hold.account_id, hold.item_id, hold.start, hold.end) for hold in holds]


def _held_q(source: Source, holds: Iterable[LegalHold]) -> Q:
    """The records of a source that a hold in force covers, as one filter."""
    held = Q(pk__in=[])
    for hold in holds:
        if hold.item_id is not None:
            if source.item_field is not None:
                held |= Q(**{source.item_field: hold.item_id})
        elif hold.start is not None and hold.end is not None:
            first = datetime.combine(hold.start, time.min, tzinfo=STOCKHOLM)
            after = datetime.combine(hold.end + timedelta(days=1), time.min, tzinfo=STOCKHOLM)
            period = Q(**{f"{source.date_field}__gte": first, f"{source.date_field}__lt": after})
            if hold.account_id is not None:
                if source.account_field is None:
                    continue
                period &= Q(**{source.account_field: hold.account_id})
            held |= period
        elif hold.account_id is not None and source.account_field is not None:
            held |= Q(**{source.account_field: hold.account_id})
    return held


def due_records(
    rule: RetentionRule, *, now: datetime, holds: list[LegalHold], limit: int
) -> Iterator[tuple[Any, Source]]:
    """The records of a rule past its period, oldest first, none under a hold; nothing for a rule that
    keeps for ever."""
    cutoff = retention.cutoff_for(rule.period_months, now=now)
    if cutoff is None or limit <= 0:
        return
    source = sources()[rule.record_type]
    rows = (
        source.queryset.filter(**{f"{source.date_field}__lt": cutoff})
        .exclude(_held_q(source, holds))
        .order_by(source.date_field, "pk")[:limit]
    )
    for row in rows:
        yield row, source


def schedule_in_force() -> dict[str, dict[str, Any]]:
    """The version of every rule, for the list to name the schedule it followed."""
    versions = dict(
        RetentionRule.history.values("id").annotate(last=Max("history_id")).values_list("id", "last")
    )
    return {
        rule.record_type: {
            "version": versions.get(rule.pk),
            "period_months": rule.period_months,
            "legal_basis": rule.legal_basis,
        }
        for rule in RetentionRule.objects.order_by("pk")
    }


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def propose_disposal(*, by: User | None, now: datetime) -> Disposal | None:
    """List the records past their period (the daily job with ``by=None``, or the archivist).

    None when nothing is due (no rule has a period, or nothing has passed it) or when a list is already
    under review: one at a time, so the archivist reviews one list and a second run makes nothing."""
    if by is not None and not may_manage(by):
        raise PermissionDenied
    try:
        with transaction.atomic():
            _lock()
            if Disposal.objects.filter(status=Disposal.Status.PROPOSED).exists():
                return None
            holds = active_holds()
            rows: list[DisposalEntry] = []
            for rule in RetentionRule.objects.exclude(period_months__isnull=True).order_by("pk"):
                for obj, source in due_records(rule, now=now, holds=holds, limit=MAX_ENTRIES - len(rows)):
                    account_id = getattr(obj, source.account_field) if source.account_field else None
                    rows.append(
                        DisposalEntry(
                            record_type=rule.record_type,
                            record_id=obj.pk,
                            account_id=account_id,
                            record_at=getattr(obj, source.date_field),
                            label=str(source.label(obj))[:300],
                        )
                    )
            if not rows:
                return None
            disposal = Disposal(proposed_at=now, proposed_by=by, cutoff_at=now, schedule=schedule_in_force())
            record(disposal, by=by, reason="proposed")
            disposal.save()
            for row in rows:
                row.disposal = disposal
            DisposalEntry.objects.bulk_create(rows, batch_size=1000)
            return disposal
    except IntegrityError:
        # disposal_one_open_proposal: another run made the list first.
        return None


@transaction.atomic
def exclude_entry(entry_id: int, *, by: User, now: datetime) -> DisposalEntry:
    """Take a record off a list under review: it stays, and a later list may name it again."""
    if not may_manage(by):
        raise PermissionDenied
    entry = DisposalEntry.objects.select_for_update().select_related("disposal").get(pk=entry_id)
    if entry.disposal.status != Disposal.Status.PROPOSED:
        raise ValidationError(_("Only a list under review can be changed."))
    if entry.excluded_at is None:
        entry.excluded_at, entry.excluded_by = now, by
        entry.save(update_fields=["excluded_at", "excluded_by"])
    return entry


@transaction.atomic
def approve_disposal(
    disposal_id: int, *, decision_reference: str, confirmed: bool, note: str, by: User, now: datetime
) -> Disposal:
    """Approve a list under the disposal decision named by its reference (beslut dnr). Only now may its
    records be destroyed; the work is queued after the commit."""
    from archive import tasks

    if not may_manage(by):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if not decision_reference.strip():
        errors["decision_reference"] = _("Give the disposal decision's reference (dnr).")
    if not confirmed:
        errors["confirm"] = _("Confirm that the records on the list are to be destroyed.")
    if errors:
        raise ValidationError(errors)
    disposal = Disposal.objects.select_for_update().get(pk=disposal_id)
    if disposal.status != Disposal.Status.PROPOSED:
        raise ValidationError(_("Only a list under review can be approved."))
    if not disposal.entries.filter(excluded_at__isnull=True).exists():
        raise ValidationError(_("Every record has been taken off the list: reject it instead."))
    # The list was made under one version of the schedule; approving it under another would destroy
    # records under rules nobody decided on together.
    in_force = schedule_in_force()
    listed = set(disposal.entries.values_list("record_type", flat=True).distinct())
    if any(disposal.schedule.get(kind, {}).get("version") != in_force[kind]["version"] for kind in listed):
        raise ValidationError(
            _("The retention schedule has changed since the list was made: reject it and propose a new one.")
        )
    disposal.status = Disposal.Status.APPROVED
    disposal.decision_reference = decision_reference.strip()
    disposal.decided_at, disposal.decided_by, disposal.decision_note = now, by, note.strip()
    record(disposal, by=by, reason="approved")
    disposal.save()
    tasks.execute_disposal.delay_on_commit(disposal.pk)
    return disposal


@transaction.atomic
def reject_disposal(disposal_id: int, *, note: str, by: User, now: datetime) -> Disposal:
    """Reject a list: nothing on it is destroyed, and the next proposal may list the records again."""
    if not may_manage(by):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": _("Say why the list is rejected.")})
    disposal = Disposal.objects.select_for_update().get(pk=disposal_id)
    if disposal.status != Disposal.Status.PROPOSED:
        raise ValidationError(_("Only a list under review can be rejected."))
    disposal.status = Disposal.Status.REJECTED
    disposal.decided_at, disposal.decided_by, disposal.decision_note = now, by, note.strip()
    record(disposal, by=by, reason="rejected")
    disposal.save()
    return disposal
