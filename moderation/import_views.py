"""Bulk import of items from a CSV or JSON file into one account.

Upload, preview, confirm. The file is read by the pure moderation.imports; a file with any bad row is
shown with every problem named and imports nothing. A clean file is previewed, and its rows kept in
the session under the file's SHA-256 until the person confirms; the confirmation imports every row in
one transaction through moderation.services.receive_item (all or nothing), which fixes each item's
deadlines (KAU-RESPONSE-DEADLINE). The platform id is the key, so a file imported twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Account
from core.calendar import response_deadlines
from core.downloads import table_response
from core.http import signed_in
from core.models import InstitutionSettings, User
from core.uploads import display_name
from moderation import imports, services
from moderation.import_forms import ImportConfirmForm, ImportUploadForm
from moderation.imports import ImportRow, RowError
from moderation.models import Item
from moderation.selectors import account_inbox_or_404, may_moderate

TEMPLATE = "moderation/import.html"


def session_key(account: Account) -> str:
    """One preview per account and session: a new upload replaces the last one."""
    return f"moderation:import:{account.pk}"


@dataclass(frozen=True)
class PreviewRow:
    row: ImportRow
    due_at: datetime
    limit_at: datetime
    exists: bool


def _context(account: Account, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "account": account,
        "form": ImportUploadForm(),
        "fields": imports.FIELDS,
        "columns": [(name, imports.COLUMN_NAMES[name][0]) for name in imports.FIELDS],
        "required": imports.REQUIRED,
        "max_rows": imports.MAX_ROWS,
        "max_megabytes": imports.MAX_BYTES // (1024 * 1024),
        "errors": [],
        "preview": None,
    }
    context.update(extra)
    return context


def _example_row(swedish: bool) -> list[object]:
    """One item as the template file shows it; the author has no leading "@", which the CSV would
    have to defuse (core.csvfile) and a person would then copy."""
    if swedish:
        return ["17895", "kommentar", "besokare_1", "När öppnar anmälan?", EXAMPLE_URL, "2026-11-27 15:00"]
    return ["17895", "comment", "visitor_1", "When does registration open?", EXAMPLE_URL, "2026-11-27 15:00"]


EXAMPLE_URL = "https://www.instagram.com/p/abc/"


@require_GET
def import_template(request: HttpRequest, account_id: int) -> HttpResponse:
    """A CSV file to fill in: the columns in the person's language and one example row, in the
    dialect of every CSV Kanalvakt writes (core.csvfile), which the import reads back as it is. For
    the same people as the import."""
    user = signed_in(request)
    account = account_inbox_or_404(user, account_id)
    if not may_moderate(user, account):
        raise PermissionDenied
    swedish = (get_language() or "").startswith("sv")
    return table_response(
        [imports.column_names(swedish), _example_row(swedish)],
        fmt="csv",
        filename="importmall" if swedish else "import-template",
        title="",
    )


@require_http_methods(["GET", "POST"])
def import_items(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account owner and the deputies import items; the head of unit and the social media lead,
    who read the account's items but do not moderate them, are refused (403); anyone else sees 404."""
    user = signed_in(request)
    account = account_inbox_or_404(user, account_id)
    if not may_moderate(user, account):
        raise PermissionDenied
    if request.method != "POST":
        return render(request, TEMPLATE, _context(account))
    if "digest" in request.POST:
        return _confirm(request, user, account)
    return _preview(request, account)


def _preview(request: HttpRequest, account: Account) -> HttpResponse:
    key = session_key(account)
    request.session.pop(key, None)  # whatever happens next, an earlier preview is no longer current
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(account, form=form), status=400)
    upload = form.cleaned_data["file"]
    now = timezone.now()
    result = imports.parse_items(upload.read(), now=now)
    if not result.is_clean:
        return render(
            request,
            TEMPLATE,
            _context(account, form=form, errors=result.errors, filename=display_name(upload.name)),
            status=400,
        )
    existing = set(
        Item.objects.filter(
            account=account, platform_id__in=[row.platform_id for row in result.rows]
        ).values_list("platform_id", flat=True)
    )
    institution = InstitutionSettings.objects.get_solo()
    calendar = institution.working_calendar()
    rows = []
    for row in result.rows:
        due_at, limit_at = response_deadlines(
            row.received_at,
            due_hours=institution.response_due_hours,
            limit_hours=institution.response_limit_hours,
            calendar=calendar,
        )
        rows.append(PreviewRow(row=row, due_at=due_at, limit_at=limit_at, exists=row.platform_id in existing))
    new = [row for row in rows if not row.exists]
    request.session[key] = {
        "digest": result.digest,
        "filename": display_name(upload.name),
        "rows": [row.as_data() for row in result.rows],
    }
    preview = {
        "rows": rows,
        "new": len(new),
        "existing": len(rows) - len(new),
        # Imported items are open: those already past a deadline are reminded and escalated by the
        # next deadline sweep (KAU-RESPONSE-DEADLINE), so the person is told before confirming.
        "past_due": sum(1 for row in new if row.due_at <= now),
        "past_limit": sum(1 for row in new if row.limit_at <= now),
        "filename": display_name(upload.name),
    }
    confirm = ImportConfirmForm(initial={"digest": result.digest})
    return render(request, TEMPLATE, _context(account, preview=preview, confirm_form=confirm, now=now))


def _confirm(request: HttpRequest, user: User, account: Account) -> HttpResponse:
    key = session_key(account)
    form = ImportConfirmForm(request.POST)
    stored = request.session.get(key)
    if not form.is_valid() or not stored or stored.get("digest") != form.cleaned_data["digest"]:
        # The preview expired, was replaced by another upload, or never was: nothing is imported
        # from a file the person has not just seen.
        messages.error(
            request,
            _(
                "That preview is no longer current: nothing was imported. "
                "Upload the file again to see it first."
            ),
        )
        return render(request, TEMPLATE, _context(account), status=409)
    rows = [ImportRow.from_data(data) for data in stored["rows"]]
    try:
        created, existed = services.import_items(account, rows, by=user, now=timezone.now())
    except services.RowRefused as exc:
        request.session.pop(key, None)
        errors = [
            RowError(exc.row, field if field != "__all__" else "", message)
            for field, messages_ in _messages(exc.error).items()
            for message in messages_
        ]
        return render(
            request, TEMPLATE, _context(account, errors=errors, filename=stored.get("filename")), status=400
        )
    request.session.pop(key, None)
    imported = ngettext("%(count)s item imported.", "%(count)s items imported.", created) % {"count": created}
    skipped = ngettext(
        "%(count)s already existed and was skipped.", "%(count)s already existed and were skipped.", existed
    ) % {"count": existed}
    messages.success(request, f"{imported} {skipped}")
    return redirect("moderation:inbox", account_id=account.pk)


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return dict(error.message_dict)
    return {"": list(error.messages)}
