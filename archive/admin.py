"""Archive records in the admin: shown, never added, changed or deleted (KAU-PUBLIC-RECORD).

Screenshots, the fixity ledger and capture attempts are written only by archive.services; a change
here would break a file's fixity or the ledger's chain, and on PostgreSQL triggers refuse it anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from archive.models import (
    CaptureAttempt,
    DiaryNumberCorrection,
    Disposal,
    DisposalEntry,
    LedgerEntry,
    LegalHold,
    RetentionRule,
    Screenshot,
    TimestampToken,
    Tombstone,
)
from core.admin import NoDeleteAdminMixin


class ReadOnlyArchiveAdmin(NoDeleteAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Screenshot)
class ScreenshotAdmin(ReadOnlyArchiveAdmin):
    """Kept screenshots with their hashes, who took them, when and from where."""

    list_display = ("taken_at", "account", "item", "purpose", "source", "taken_by", "sha256")
    list_filter = ("purpose", "source")
    list_select_related = ("account", "item", "taken_by")
    search_fields = ("sha256", "stamped_sha256", "source_url")
    date_hierarchy = "taken_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyArchiveAdmin):
    """The fixity ledger, append-only; check it with ``manage.py verify_archive``."""

    list_display = ("pk", "recorded_at", "kind", "path", "size", "sha256", "recorded_by")
    list_filter = ("kind",)
    list_select_related = ("recorded_by",)
    search_fields = ("path", "sha256", "entry_hash")


@admin.register(CaptureAttempt)
class CaptureAttemptAdmin(ReadOnlyArchiveAdmin):
    """Every capture with headless Chromium and how it ended (KAU-STARTPAGE)."""

    list_display = ("started_at", "account", "purpose", "url", "outcome", "http_status", "requested_by")
    list_filter = ("outcome", "purpose")
    list_select_related = ("account", "requested_by")
    search_fields = ("url", "error")


@admin.register(DiaryNumberCorrection)
class DiaryNumberCorrectionAdmin(ReadOnlyArchiveAdmin):
    """Corrections of registration numbers, append-only; made by the registrar on the package page."""

    list_display = ("corrected_at", "package", "old_number", "new_number", "corrected_by")
    list_select_related = ("package", "corrected_by")
    search_fields = ("old_number", "new_number", "reason")


@admin.register(TimestampToken)
class TimestampTokenAdmin(ReadOnlyArchiveAdmin):
    """The RFC 3161 token of each ledger entry, or the attempts to get it; check them with
    ``manage.py verify_archive``."""

    list_display = ("entry", "gen_time", "serial", "policy", "attempts", "next_attempt_at", "last_error")
    list_select_related = ("entry",)
    search_fields = ("entry__path", "entry__sha256", "serial")
    exclude = ("token",)


# Retention and disposal (arkivlagen 10 §): changed only through archive.retention_services and
# archive.disposal, so that every change is versioned and every destruction has its decision.
@admin.register(RetentionRule)
class RetentionRuleAdmin(ReadOnlyArchiveAdmin):
    """The retention schedule; the archivist edits it in the app."""

    list_display = ("record_type", "period_months", "legal_basis", "updated_at", "updated_by")


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyArchiveAdmin):
    """Legal holds, placed and lifted in the app, never deleted."""

    list_display = ("placed_at", "reason", "account", "item", "start", "end", "lifted_at")
    list_select_related = ("account", "item")


@admin.register(Disposal)
class DisposalAdmin(ReadOnlyArchiveAdmin):
    """Disposal lists and their decisions."""

    list_display = ("pk", "status", "proposed_at", "decision_reference", "decided_at", "executed_at")
    list_filter = ("status",)


@admin.register(DisposalEntry)
class DisposalEntryAdmin(ReadOnlyArchiveAdmin):
    list_display = (
        "disposal",
        "record_type",
        "record_id",
        "record_at",
        "excluded_at",
        "held_at",
        "destroyed_at",
    )
    list_filter = ("record_type",)


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnlyArchiveAdmin):
    """Disposal notes: what was destroyed, when, under which decision."""

    list_display = ("disposed_at", "record_type", "record_id", "account", "disposal")
    list_filter = ("record_type",)
    list_select_related = ("account", "disposal")
