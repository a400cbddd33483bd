"""The records of an export, one row per record, as the bag's CSV and JSON and the delivery package's
JSON hold them (KAU-PUBLIC-RECORD): every value as recorded, instants in Stockholm time, people by
name and username. Shared by archive.exports (BagIt) and archive.sip (FGS 2.0 / E-ARK SIP)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from archive.models import DiaryPackage, Screenshot
from core.calendar import STOCKHOLM
from core.models import User
from governance.models import AccountRequest
from moderation.models import Item, LogEntry, Publication


def when(value: datetime | None) -> str:
    return timezone.localtime(value, STOCKHOLM).isoformat() if value else ""


def person(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.get_full_name() or user.username} ({user.username})"


def item_row(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "account_id": item.account_id,
        "account": item.account.name,
        "handle": item.account.handle,
        "platform": item.account.platform,
        "unit": item.account.unit.name,
        "kind": item.kind,
        "platform_id": item.platform_id,
        "url": item.url,
        "author": item.author,
        "text": item.text,
        "received_at": when(item.received_at),
        "due_at": when(item.due_at),
        "limit_at": when(item.limit_at),
        "source": item.source,
        "classification": item.classification,
        "prohibited": sorted(item.prohibited),
        "pile_on_risk": item.pile_on_risk,
        "threat": item.threat,
        "requires_registration": item.requires_registration,
        # KAU-DIARY-ACTION, KAU-DIARY-NONE: the registration decision as its own record.
        "registration": item.registration,
        "registration_decided_by": person(item.registration_decided_by),
        "registration_decided_at": when(item.registration_decided_at),
        "registration_reason": item.registration_reason,
        "registration_found_at": item.registration_found_at,
        "rule_ids": item.rule_ids(),
        "status": item.status,
        "handled_at": when(item.handled_at),
        "handled_by": person(item.handled_by),
        "answer": item.answer,
        "answered_at": when(item.answered_at),
        "close_reason": item.close_reason,
        "evidence_sha256": item.evidence.sha256 if item.evidence else "",
    }


def publication_row(publication: Publication) -> dict[str, Any]:
    return {
        "id": publication.pk,
        "account_id": publication.account_id,
        "account": publication.account.name,
        "handle": publication.account.handle,
        "platform": publication.account.platform,
        "unit": publication.account.unit.name,
        "kind": publication.kind,
        "platform_id": publication.platform_id,
        "in_reply_to": publication.in_reply_to,
        "url": publication.url,
        "text": publication.text,
        "published_at": when(publication.published_at),
        "on_platform": publication.platform_status,
        "answers_item_id": publication.answers_id or "",
    }


def log_row(entry: LogEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "item_id": entry.item_id,
        "account": entry.item.account.name,
        "action": entry.action,
        "action_label": str(entry.get_action_display()),
        "by": person(entry.actor),
        "at": when(entry.at),
        "note": entry.note,
        "before": entry.before,
        "after": entry.after,
    }


def decision_row(request: AccountRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "status": request.status,
        "unit": request.unit.name,
        "platform": request.platform_label,
        "name": request.name,
        "handle": request.handle,
        "purpose": request.purpose,
        "requested_by": person(request.requester),
        "decided_by": person(request.decided_by),
        "decided_at": when(request.decided_at),
        "decision_reason": request.decision_reason,
        "account_id": request.account_id,
        "existing_account_id": request.existing_account_id,
    }


def screenshot_row(shot: Screenshot) -> dict[str, Any]:
    return {
        "id": shot.pk,
        "account_id": shot.account_id,
        "account": shot.account.name,
        "item_id": shot.item_id,
        "purpose": shot.purpose,
        "source": shot.source,
        "source_url": shot.source_url,
        "taken_at": when(shot.taken_at),
        "taken_by": person(shot.taken_by),
        "taken_from": shot.taken_from,
        "content_type": shot.content_type,
        "width": shot.width,
        "height": shot.height,
        "size": shot.size,
        "sha256": shot.sha256,
        "received_sha256": shot.received_sha256,
        "file": f"data/screenshots/original/{shot.sha256}.{shot.extension}",
        "stamped_file": f"data/screenshots/stamped/{shot.stamped_sha256}.png" if shot.stamped else "",
        "stamped_sha256": shot.stamped_sha256,
    }


def package_row(package: DiaryPackage) -> dict[str, Any]:
    return {
        "id": package.pk,
        "item_id": package.item_id,
        "subject": package.subject,
        "secrecy": package.secrecy,
        "built_at": when(package.built_at),
        "built_by": person(package.built_by),
        "sent_at": when(package.sent_at),
        "diary_number": package.diary_number,
        "registered_at": when(package.registered_at),
        "file": f"data/packages/{package.pk}.pdf",
        "pdf_sha256": package.pdf_sha256,
    }
