"""The secrecy review before a release of public records (*sekretessprövning*), and its one write path.

A request for public records (*begäran om allmän handling*, tryckfrihetsförordningen 2 kap.) is
answered with copies, promptly (TF 2 kap. 15 §), after the authority has tried whether any part is
secret under offentlighets- och sekretesslagen (OSL 6 kap.; KAU-PUBLIC-RECORD). Here:

- ``open_review``: the registrar or the social media lead opens a review from an archive search
  (archive.search); the items and screenshots it finds are frozen on the review, so the review is of
  a fixed set however the archive grows.
- ``mark_item``, ``mark_screenshot``, ``remove_mark``: the reviewer marks what must not be released
  (*Röjs ej*): a whole item, a field of an item, or a whole screenshot (image regions are not
  masked), each with its legal ground. While the review is open a mark can be removed; that is a
  change of the draft, kept in the mark's history.
- ``release_review``: the copy is written as PDF/A-2b (archive.pdfa): a cover note with the request,
  the reviewer, the date and every masked part with its ground, then each item with masked fields
  shown as "[Sekretess: <ground>]", withheld records listed with their ground, and the released
  screenshots' images; and as a CSV table of the same records, masked the same way. Both are
  stored with their SHA-256 and an entry each in the fixity ledger, and
  the Release row logs who, when, to whom and the marks as they stood. The review then closes.

Two decisions: the original records are only read, never changed (the copy is a new document); and
a screenshot of an item with a masked or withheld part cannot be released, since what the image
shows cannot be masked — the reviewer withholds it too.

Who: ``archive.review_secrecy`` (the registrar and the social media lead); anyone else learns of no
review (404) and is refused the list (403).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archive import ledger
from archive import search as archive_search
from archive.models import LedgerEntry, Release, Screenshot, SecrecyMark, SecrecyReview
from archive.pdfa import PdfaRefused, build_pdfa
from archive.search import ITEMS, SCREENSHOTS, Criteria
from core import csvfile
from core.calendar import STOCKHOLM
from core.history import record
from core.models import User
from moderation.models import Item

PERMISSION = "archive.review_secrecy"

# The most records one review covers: a copy is read by a person, and a larger request is split.
MAX_RECORDS = 500

# The grounds offered, by their provision (the stored value) and what each protects. Any other
# provision can be written in as text.
GROUNDS: tuple[tuple[str, Promise], ...] = (
    ("OSL 21 kap. 7 §", gettext_lazy("Personal data whose release would breach the data protection rules")),
    ("OSL 21 kap. 1 §", gettext_lazy("Health and sexual life")),
    ("OSL 26 kap. 1 §", gettext_lazy("Social services: an individual's personal circumstances")),
    ("OSL 25 kap. 1 §", gettext_lazy("Health care: an individual's health and personal circumstances")),
    ("OSL 39 kap. 3 §", gettext_lazy("Personnel matters: an employee's personal circumstances")),
    ("OSL 18 kap. 8 §", gettext_lazy("Security and protection of premises, systems and people")),
)
GROUND_MAX = 200
NOTE_MAX = 1000
TEXT_MAX = 300

# The fields of an item that can be masked, in the order of the copy.
ITEM_FIELDS: tuple[tuple[str, Promise], ...] = (
    ("author", gettext_lazy("Author")),
    ("author_platform_id", gettext_lazy("Author's platform id")),
    ("text", gettext_lazy("Text")),
    ("url", gettext_lazy("Link")),
    ("platform_id", gettext_lazy("Platform id")),
    ("in_reply_to", gettext_lazy("In reply to")),
    ("answer", gettext_lazy("Answer")),
)
FIELD_KEYS = frozenset(key for key, _label in ITEM_FIELDS)
WHOLE = ""  # a mark's field when the whole record is withheld


def may_review(user: Any) -> bool:
    """KAU-PUBLIC-RECORD: the registrar and the social media lead review and release."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(PERMISSION))


def reviews_visible_to(user: Any) -> QuerySet[SecrecyReview]:
    """Every review for those who review; none for anyone else (their pages answer 404)."""
    if not may_review(user):
        return SecrecyReview.objects.none()
    return SecrecyReview.objects.all()


def field_label(key: str) -> str:
    return str(dict(ITEM_FIELDS).get(key, key))


def masked(ground: str) -> str:
    """What stands in the copy in place of a masked value."""
    return _("[Secrecy: %(ground)s]") % {"ground": ground}


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value, STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def _text(value: str, name: str, limit: int, *, required: Any = None) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationError({name: required})
    if len(value) > limit:
        raise ValidationError({name: _("Keep it within %(max)s characters.") % {"max": limit}})
    return value


# --- Opening ---------------------------------------------------------------------------------------------


def records_found(user: User, criteria: Criteria, *, limit: int = MAX_RECORDS) -> tuple[list[int], list[int]]:
    """The ids of the items and screenshots the search finds (each kind at most ``limit`` + 1, so a
    caller can tell "too many"), in the search's order."""
    found = archive_search.querysets(user, criteria)
    items = list(found[ITEMS].values_list("pk", flat=True)[: limit + 1]) if ITEMS in found else []
    shots = list(found[SCREENSHOTS].values_list("pk", flat=True)[: limit + 1]) if SCREENSHOTS in found else []
    return items, shots


@transaction.atomic
def open_review(
    *,
    criteria: Criteria,
    requester: str,
    requested_on: date,
    reference: str,
    by: User,
    now: datetime,
) -> SecrecyReview:
    """Open a secrecy review of what ``criteria`` finds now (KAU-PUBLIC-RECORD, OSL 6 kap.).

    The requester is optional (TF 2 kap. 18 §: nobody has to say who they are). The items and
    screenshots found are frozen on the review. Refused with ValidationError naming the field when
    the search finds nothing to review, more than MAX_RECORDS, or the texts are too long; with
    PermissionDenied for anyone but a reviewer. A refusal stores nothing.
    """
    if not may_review(by):
        raise PermissionDenied
    requester = _text(requester, "requester", TEXT_MAX)
    reference = _text(reference, "reference", 100)
    if requested_on > timezone.localtime(now, STOCKHOLM).date():
        raise ValidationError({"requested_on": _("The request cannot come after today.")})
    items, shots = records_found(by, criteria)
    if not items and not shots:
        raise ValidationError(
            {"kinds": _("The search finds no items or screenshots to review. Widen the search.")}
        )
    if len(items) + len(shots) > MAX_RECORDS:
        raise ValidationError(
            _(
                "The search finds more than %(max)s items and screenshots. Narrow it (a period, an "
                "account, a text), and review the rest in another review."
            )
            % {"max": MAX_RECORDS}
        )
    review = SecrecyReview(
        requester=requester,
        requested_on=requested_on,
        reference=reference,
        criteria=criteria.as_dict(),
        opened_at=now,
        opened_by=by,
    )
    record(review, by=by, reason="opened")
    review.save()
    review.items.set(items)
    review.screenshots.set(shots)
    return review


def _locked_open(review: SecrecyReview, by: User) -> SecrecyReview:
    if not may_review(by):
        raise PermissionDenied
    locked = SecrecyReview.objects.select_for_update().get(pk=review.pk)
    if not locked.is_open:
        raise ValidationError(_("The review is released and closed; open a new review for a new release."))
    return locked


def _ground(ground: str) -> str:
    return _text(ground, "ground", GROUND_MAX, required=_("Choose the legal ground, or write it in."))


# --- Marks -----------------------------------------------------------------------------------------------


@transaction.atomic
def mark_item(
    review: SecrecyReview, *, item_id: int, field: str, ground: str, note: str, by: User, now: datetime
) -> SecrecyMark:
    """Mark an item of the review, or one of its fields (``field``; empty for the whole item), as not
    to be released, with its legal ground (OSL). Refused (ValidationError naming the field) for an
    item outside the review, an unknown field, no ground, a part already marked, or a released
    review; nothing changes then."""
    locked = _locked_open(review, by)
    if field not in FIELD_KEYS and field != WHOLE:
        raise ValidationError({"field": _("Choose a field from the list.")})
    ground, note = _ground(ground), (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep it within %(max)s characters.") % {"max": NOTE_MAX}})
    if not locked.items.filter(pk=item_id).exists():
        raise ValidationError({"record": _("Choose an item or screenshot of this review.")})
    standing = locked.marks.filter(item_id=item_id, removed_at__isnull=True)
    if standing.filter(field__in={field, WHOLE}).exists():
        raise ValidationError({"field": _("That part is marked already.")})
    mark = SecrecyMark(
        review=locked, item_id=item_id, field=field, ground=ground, note=note, marked_at=now, marked_by=by
    )
    record(mark, by=by, reason="marked")
    mark.save()
    return mark


@transaction.atomic
def mark_screenshot(
    review: SecrecyReview, *, screenshot_id: int, ground: str, note: str, by: User, now: datetime
) -> SecrecyMark:
    """Withhold a whole screenshot of the review, with its legal ground (image regions are not
    masked). Refused like ``mark_item``."""
    locked = _locked_open(review, by)
    ground, note = _ground(ground), (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep it within %(max)s characters.") % {"max": NOTE_MAX}})
    if not locked.screenshots.filter(pk=screenshot_id).exists():
        raise ValidationError({"record": _("Choose an item or screenshot of this review.")})
    if locked.marks.filter(screenshot_id=screenshot_id, removed_at__isnull=True).exists():
        raise ValidationError({"record": _("That screenshot is withheld already.")})
    mark = SecrecyMark(
        review=locked, screenshot_id=screenshot_id, ground=ground, note=note, marked_at=now, marked_by=by
    )
    record(mark, by=by, reason="marked")
    mark.save()
    return mark


@transaction.atomic
def remove_mark(review: SecrecyReview, *, mark_id: int, by: User, now: datetime) -> SecrecyMark:
    """Take a mark off the draft while the review is open. The row stays, with who removed it and
    when, and the history shows it; after the release nothing is removed."""
    locked = _locked_open(review, by)
    mark = locked.marks.select_for_update().filter(pk=mark_id, removed_at__isnull=True).first()
    if mark is None:
        raise ValidationError(_("That mark is not on this review, or was removed already."))
    mark.removed_at, mark.removed_by = now, by
    record(mark, by=by, reason="removed")
    mark.save(update_fields=["removed_at", "removed_by"])
    return mark


# --- The copy --------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """The review as the copy will be written: its records and its standing marks, read once."""

    review: SecrecyReview
    items: list[Item]
    screenshots: list[Screenshot]
    marks: list[SecrecyMark]

    @property
    def withheld_items(self) -> dict[int, SecrecyMark]:
        return {m.item_id: m for m in self.marks if m.item_id and m.field == WHOLE}

    @property
    def masked_fields(self) -> dict[int, dict[str, SecrecyMark]]:
        fields: dict[int, dict[str, SecrecyMark]] = {}
        for mark in self.marks:
            if mark.item_id and mark.field:
                fields.setdefault(mark.item_id, {})[mark.field] = mark
        return fields

    @property
    def withheld_screenshots(self) -> dict[int, SecrecyMark]:
        return {m.screenshot_id: m for m in self.marks if m.screenshot_id}

    def unsafe_screenshots(self) -> list[Screenshot]:
        """Screenshots going out that show an item with a masked or withheld part: an image is not
        masked, so it would show what the marks hold back."""
        touched = {m.item_id for m in self.marks if m.item_id}
        return [
            shot
            for shot in self.screenshots
            if shot.item_id in touched and shot.pk not in self.withheld_screenshots
        ]


def standing_marks(review: SecrecyReview) -> QuerySet[SecrecyMark]:
    return (
        review.marks.filter(removed_at__isnull=True).select_related("marked_by").order_by("marked_at", "pk")
    )


def draft_of(review: SecrecyReview) -> Draft:
    """The review's frozen records and standing marks: three queries, whatever their number."""
    return Draft(
        review=review,
        items=list(review.items.select_related("account").order_by("received_at", "pk")),
        screenshots=list(review.screenshots.select_related("account", "taken_by").order_by("taken_at", "pk")),
        marks=list(standing_marks(review)),
    )


def _mark_line(mark: SecrecyMark) -> str:
    if mark.screenshot_id:
        what = _("Screenshot %(number)s, withheld in full") % {"number": mark.screenshot_id}
    elif mark.field:
        what = _("Item %(number)s, field %(field)s") % {
            "number": mark.item_id,
            "field": field_label(mark.field),
        }
    else:
        what = _("Item %(number)s, withheld in full") % {"number": mark.item_id}
    return f"{what}: {mark.ground}"


def criteria_lines(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The search a review was opened from, as (label, value) for each criterion used."""
    try:
        criteria = Criteria.from_dict(data)
    except ValidationError:
        return [(_("Search"), str(data))]
    lines = [
        (_("Text"), criteria.text),
        (_("Account"), criteria.account.name if criteria.account else ""),
        (_("Unit"), criteria.unit.display_name if criteria.unit else ""),
        (_("Author"), criteria.author),
        (_("From"), criteria.start.isoformat() if criteria.start else ""),
        (_("To"), criteria.end.isoformat() if criteria.end else ""),
        (_("Policy rule"), criteria.rule),
    ]
    kinds = ", ".join(str(archive_search.KIND_LABELS[k]) for k in archive_search.KINDS if k in criteria.kinds)
    return [(label, value) for label, value in lines if value] + [(_("Searched among"), kinds)]


def copy_fields(draft: Draft, *, recipient: str, by: User, now: datetime) -> list[tuple[str, str]]:
    """The copy's text, as (label, value) in its order: the cover note, then each record. Masked
    values never reach it: only the marks' grounds stand in their place."""
    review = draft.review
    withheld, fields, shots_withheld = draft.withheld_items, draft.masked_fields, draft.withheld_screenshots
    request = review.requester or _("Anonymous requester")
    request += ", " + _("received %(day)s") % {"day": review.requested_on.isoformat()}
    if review.reference:
        request += ", " + _("reference %(reference)s") % {"reference": review.reference}
    lines = [_mark_line(mark) for mark in draft.marks]
    cover = [
        (
            _("Release of public records after secrecy review"),
            _(
                "A copy made in answer to a request for public records (TF 2 kap.), after a secrecy "
                "review under the Public Access to Information and Secrecy Act (OSL). Where a part is "
                "withheld, the requester may ask for a written decision by the authority, which can be "
                "appealed (OSL 6 kap. 3 §)."
            ),
        ),
        (_("Request"), request),
        (_("Released to"), recipient),
        (_("Reviewed and released by"), f"{by}, {_local(now)}"),
        (_("Review"), f"{review.pk}, " + _("opened %(when)s") % {"when": _local(review.opened_at)}),
        (_("Search"), "; ".join(f"{k}: {v}" for k, v in criteria_lines(review.criteria))),
        (_("Masked and withheld parts, with their legal grounds"), "\n".join(lines) or _("None")),
    ]
    records: list[tuple[str, str]] = []
    for item in draft.items:
        heading = _("Item %(number)s: %(kind)s to %(account)s, received %(when)s") % {
            "number": item.pk,
            "kind": item.get_kind_display(),
            "account": item.account.name,
            "when": _local(item.received_at),
        }
        if item.pk in withheld:
            records.append(
                (heading, _("Withheld in full (Röjs ej).") + " " + masked(withheld[item.pk].ground))
            )
            continue
        values = []
        for key, label in ITEM_FIELDS:
            mark = fields.get(item.pk, {}).get(key)
            value = masked(mark.ground) if mark else (str(getattr(item, key)) or "–")
            values.append(f"{label}: {value}")
        records.append((heading, "\n".join(values)))
    page = 0
    for shot in draft.screenshots:
        heading = _("Screenshot %(number)s: %(purpose)s, %(account)s, taken %(when)s") % {
            "number": shot.pk,
            "purpose": shot.get_purpose_display(),
            "account": shot.account.name,
            "when": _local(shot.taken_at),
        }
        if shot.pk in shots_withheld:
            value = _("Withheld in full (Röjs ej).") + " " + masked(shots_withheld[shot.pk].ground)
        else:
            page += 1
            value = _("Released: image %(page)s after the text. SHA-256 of the original %(sha)s") % {
                "page": page,
                "sha": shot.sha256,
            }
        records.append((heading, value))
    return cover + records


def copy_rows(draft: Draft) -> list[list[object]]:
    """The copy as a table (core.csvfile): a heading, one row per item, one per screenshot. A masked
    field holds its ground in its place, a withheld record only its id and ground, as in the PDF."""
    withheld, fields, shots_withheld = draft.withheld_items, draft.masked_fields, draft.withheld_screenshots
    heading: list[object] = [
        _("Record"),
        _("Number"),
        _("Account"),
        _("Date"),
        *[str(label) for _key, label in ITEM_FIELDS],
        _("Released"),
    ]
    rows: list[list[object]] = [heading]
    blank = [""] * len(ITEM_FIELDS)
    for item in draft.items:
        if item.pk in withheld:
            rows.append(
                [
                    _("Item"),
                    item.pk,
                    "",
                    "",
                    *blank,
                    _("Röjs ej: %(ground)s") % {"ground": withheld[item.pk].ground},
                ]
            )
            continue
        values: list[object] = []
        for key, _label in ITEM_FIELDS:
            mark = fields.get(item.pk, {}).get(key)
            values.append(masked(mark.ground) if mark else str(getattr(item, key)))
        rows.append([_("Item"), item.pk, item.account.name, item.received_at, *values, _("Yes")])
    for shot in draft.screenshots:
        if shot.pk in shots_withheld:
            state = _("Röjs ej: %(ground)s") % {"ground": shots_withheld[shot.pk].ground}
            rows.append([_("Screenshot"), shot.pk, "", "", *blank, state])
        else:
            rows.append([_("Screenshot"), shot.pk, shot.account.name, shot.taken_at, *blank, _("Yes")])
    return rows


def _image_bytes(shot: Screenshot) -> bytes:
    # The date-stamped copy where there is one (KAU-DIARY-ACTION), else the original.
    file = shot.stamped if shot.stamped else shot.image
    with file.open("rb") as handle:
        return handle.read()


def release_file_name(review: SecrecyReview, now: datetime, extension: str = "pdf") -> str:
    """``utlamnande-<review>-<day released, Stockholm>.<extension>``: what the file is, at a glance."""
    day = timezone.localtime(now, STOCKHOLM).date().isoformat()
    return f"utlamnande-{review.pk}-{day}.{extension}"


def _frozen_marks(marks: Iterable[SecrecyMark]) -> list[dict[str, Any]]:
    return [
        {
            "mark": mark.pk,
            "item": mark.item_id,
            "screenshot": mark.screenshot_id,
            "field": mark.field,
            "ground": mark.ground,
            "note": mark.note,
            "marked_by": str(mark.marked_by),
            "marked_at": mark.marked_at.astimezone(UTC).isoformat(),
        }
        for mark in marks
    ]


@transaction.atomic
def release_review(
    review: SecrecyReview, *, recipient: str, confirmed: bool, by: User, now: datetime
) -> Release:
    """Release the review's copy (*utlämnande*, KAU-PUBLIC-RECORD) and close the review.

    Needs the recipient (to whom the copy goes; "anonymous requester by e-mail" will do) and the
    reviewer's confirmation. Refused (ValidationError naming the field; nothing stored) without
    them, when a screenshot going out shows an item with a masked or withheld part, or when the
    PDF/A cannot be written. The originals are only read.
    """
    locked = _locked_open(review, by)
    recipient = _text(recipient, "recipient", TEXT_MAX, required=_("Say to whom the copy is released."))
    if not confirmed:
        raise ValidationError({"confirm": _("Confirm that the marked parts are all that must be withheld.")})
    draft = draft_of(locked)
    unsafe = draft.unsafe_screenshots()
    if unsafe:
        raise ValidationError(
            _(
                "Screenshots %(numbers)s show items with masked or withheld parts. A screenshot "
                "cannot be masked: withhold it too before the release."
            )
            % {"numbers": ", ".join(str(shot.pk) for shot in unsafe)}
        )
    withheld_shots = draft.withheld_screenshots
    released_shots = [shot for shot in draft.screenshots if shot.pk not in withheld_shots]
    with translation.override(settings.LANGUAGE_CODE):  # a record for the requester: the authority's language
        fields = copy_fields(draft, recipient=recipient, by=by, now=now)
        table = csvfile.csv_bytes(copy_rows(draft))
        title = _("Release of public records after secrecy review")
        try:
            pdf = build_pdfa(
                cover_fields=fields,
                images=[_image_bytes(shot) for shot in released_shots],
                xmp={
                    "dc:title": f"{title} {locked.pk}",
                    "dc:creator": str(by),
                    "dc:date": timezone.localtime(now, STOCKHOLM).isoformat(),
                    "xmp:CreateDate": timezone.localtime(now, STOCKHOLM).isoformat(),
                },
                flavour="2b",
            )
        except PdfaRefused:
            raise ValidationError(
                gettext_lazy("Kanalvakt could not write the copy as PDF/A, so nothing was released.")
            ) from None
    release = Release(
        review=locked,
        released_at=now,
        released_by=by,
        recipient=recipient,
        marks=_frozen_marks(draft.marks),
        records={
            "items": {
                "released": [i.pk for i in draft.items if i.pk not in draft.withheld_items],
                "withheld": sorted(draft.withheld_items),
                "masked_fields": {str(k): sorted(v) for k, v in sorted(draft.masked_fields.items())},
            },
            "screenshots": {
                "released": [s.pk for s in released_shots],
                "withheld": sorted(withheld_shots),
            },
        },
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
    )
    release.file.save(release_file_name(locked, now), ContentFile(pdf), save=False)
    release.table.save(release_file_name(locked, now, "csv"), ContentFile(table), save=False)
    release.table_sha256 = hashlib.sha256(table).hexdigest()
    # The fixity ledger, in this transaction: the files commit with their entries or not at all.
    release.ledger_entry = ledger.append(
        kind=LedgerEntry.Kind.EXPORT, path=release.file.name, data_or_size_and_hash=pdf, by=by, now=now
    )
    ledger.append(
        kind=LedgerEntry.Kind.EXPORT, path=release.table.name, data_or_size_and_hash=table, by=by, now=now
    )
    release.save()
    locked.status = SecrecyReview.Status.RELEASED
    record(locked, by=by, reason="released")
    locked.save(update_fields=["status"])
    return release
