"""Diary registration: build the package and send it to the registry; the registration number is
recorded and corrected by archive.diary_numbers (KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE; the
registry-entry fields of offentlighets- och sekretesslagen 5 kap. 2 §).

Decisions written down here, because the pages depend on them:

- **Sent.** ``DiaryPackage.sent_at`` is the instant the package was handed to the outbox: the
  e-mail row to the registry address was written in the same transaction as the package, so the
  package cannot exist without the e-mail that carries it. Whether the mail server has *accepted*
  it is the notification row's own ``sent_at`` (``core.notifications.deliver_pending`` writes it);
  it is read from there (``with_delivery``), never copied onto the package. The pages say "sent"
  only once it was delivered, and "waiting to be sent" (with the last delivery error) before.
- **The registration number and the PDF.** The PDF is a record already sent to the registry; it is
  not rewritten when the number is recorded. The number lives on the package row (with who and
  when) and in the CSV and JSON fields (``package_fields_csv`` / ``package_fields_json``), which
  are produced from the row. ``dc:identifier`` is therefore absent from the XMP of every package
  built so far; ``archive.pdfa`` writes it should a number ever be known at build time.
- **Corrections.** A wrongly entered number is corrected by the registrar with a reason
  (``archive.diary_numbers.correct_diary_number``): an append-only DiaryNumberCorrection row beside
  the package keeps the number before and after, who and when. The PDF stays as it was sent, its
  XMP without the number; the package page and the CSV and JSON show the current number and every
  correction.
- **The same number twice.** It may be right (two documents of one case) or a slip, so it is never
  silent: registering or correcting to a number another package has asks for an explicit
  confirmation, and the queue and the package page mark packages that share a number.
- **Versions.** Building again for the same item writes a new package (a new version) as long as
  none of the item's packages is registered; the registrar's queue shows only the newest version,
  and an older one cannot be registered.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archive import ledger
from archive.models import DiaryNumberCorrection, DiaryPackage, LedgerEntry, Screenshot
from archive.pdfa import PdfaRefused, build_pdfa
from core import csvfile
from core.calendar import STOCKHOLM
from core.history import record
from core.models import InstitutionSettings, Notification, User
from core.notifications import notify
from core.roles import Role, has_role
from core.todo import TodoSection
from moderation.models import Item, Publication
from moderation.selectors import items_visible_to, may_moderate

logger = logging.getLogger(__name__)

NOTIFICATION_KIND = "diary_package"
PACKAGE_PURPOSES = (Screenshot.Purpose.ITEM, Screenshot.Purpose.EVIDENCE)
DEFAULT_FLAVOUR = "2b"


def pdfa_flavour() -> str:
    """The PDF/A flavour packages are written in: 2b, or 1b where the registry's archive asks for it
    (``KANALVAKT_PDFA_FLAVOUR``). archive.pdfa refuses what a flavour cannot hold."""
    return str(getattr(settings, "KANALVAKT_PDFA_FLAVOUR", DEFAULT_FLAVOUR))


# --- Who may do what ------------------------------------------------------------------------------------


def may_register(user: Any) -> bool:
    """KAU-DIARY-ACTION: the registrar records registration numbers (archive.register_package)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_perm("archive.register_package")
    )


def may_build(user: Any, item: Item) -> bool:
    """The account owner and the deputies build the item's package (they moderate it)."""
    return may_moderate(user, item.account)


def registration_refusal(item: Item) -> str | None:
    """Why the item takes no diary package, or None when it does (KAU-DIARY-ACTION,
    KAU-PROHIBITED-EVIDENCE): it must be marked as requiring registration, or be removed as
    prohibited content."""
    if item.requires_registration or item.status == Item.Status.REMOVED:
        return None
    return _(
        "Only an item marked as requiring registration, or removed as prohibited content, is "
        "registered (KAU-DIARY-ACTION)."
    )


def packages_visible_to(user: Any) -> QuerySet[DiaryPackage]:
    """The packages ``user`` may see: those of the items they may see, and every package for the
    registrar, who registers them all. Seeing a package does not widen who sees its item."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return DiaryPackage.objects.none()
    if has_role(user, Role.REGISTRAR) or may_register(user):
        return DiaryPackage.objects.all()
    return DiaryPackage.objects.filter(item__in=items_visible_to(user).values("pk"))


def with_delivery(packages: QuerySet[DiaryPackage]) -> QuerySet[DiaryPackage]:
    """Annotate each package with its e-mail's delivery: ``delivered_at`` (the notification row's
    ``sent_at``), ``delivery_attempts`` and ``delivery_error``. One subquery each, so a list stays at
    a fixed number of queries."""
    notification = Notification.objects.filter(
        kind=NOTIFICATION_KIND,
        key__startswith=Concat(
            Value(f"{NOTIFICATION_KIND}:"),
            Cast(OuterRef("pk"), CharField()),
            Value(":"),
            output_field=CharField(),
        ),
    ).order_by("pk")
    return packages.annotate(
        delivered_at=Subquery(notification.values("sent_at")[:1]),
        delivery_attempts=Subquery(notification.values("attempts")[:1]),
        delivery_error=Subquery(notification.values("last_error")[:1]),
    )


def newer_version_exists() -> Exists:
    return Exists(
        DiaryPackage.objects.filter(item_id=OuterRef("item_id")).filter(
            Q(built_at__gt=OuterRef("built_at")) | Q(built_at=OuterRef("built_at"), pk__gt=OuterRef("pk"))
        )
    )


def awaiting_registration() -> QuerySet[DiaryPackage]:
    """The registrar's queue: the newest package of each item, not registered yet, oldest first
    (the partial index diary_awaiting_idx)."""
    return (
        DiaryPackage.objects.filter(registered_at__isnull=True)
        .exclude(newer_version_exists())
        .order_by("built_at", "pk")
    )


# --- The registry fields -----------------------------------------------------------------------------


FIELD_LABELS = {
    "received_at": gettext_lazy("Date received"),
    "sender": gettext_lazy("Sender"),
    "recipient": gettext_lazy("Recipient"),
    "subject": gettext_lazy("Subject"),
    "text": gettext_lazy("Text as received"),
    "in_reply_to": gettext_lazy("In reply to"),
    "replies": gettext_lazy("Replies"),
    "action": gettext_lazy("What was done"),
    "handled": gettext_lazy("Done by and when"),
    "log": gettext_lazy("Moderation log"),
    "rule_ids": gettext_lazy("Rules"),
    "url": gettext_lazy("Post address"),
    "screenshots": gettext_lazy("Screenshots (capture time, person, SHA-256)"),
    "secrecy": gettext_lazy("Secrecy marking"),
    "item": gettext_lazy("Item in Kanalvakt"),
    "version": gettext_lazy("Package version"),
    "built": gettext_lazy("Package built by and when"),
}
# Added to the CSV and JSON from the row, as they become known (never written into the PDF).
EXPORT_EXTRA = ("diary_number", "diary_number_corrections", "registered_at", "registered_by", "pdf_sha256")


def _local(value: datetime | None) -> str:
    """A registry date: ISO 8601 in Stockholm time, to the minute ("2026-11-26 10:00+01:00")."""
    if value is None:
        return ""
    return timezone.localtime(value, STOCKHOLM).isoformat(sep=" ", timespec="minutes")


def _action(item: Item) -> str:
    status = str(item.get_status_display())
    if item.status == Item.Status.ANSWERED:
        return f"{status}: {item.answer}"
    if item.status == Item.Status.CLOSED:
        return f"{status}: {item.close_reason}"
    if item.status == Item.Status.REMOVED:
        return _("%(status)s from the platform as prohibited content (%(categories)s).") % {
            "status": status,
            "categories": "; ".join(item.prohibited_labels()) or "–",
        }
    return status


def _screenshot_line(number: int, shot: Screenshot) -> str:
    line = _("%(number)s. %(purpose)s, taken %(when)s by %(who)s, SHA-256 %(sha)s") % {
        "number": number,
        "purpose": shot.get_purpose_display(),
        "when": _local(shot.taken_at),
        "who": shot.taken_by or "Kanalvakt",
        "sha": shot.sha256,
    }
    if shot.stamped_sha256:
        line += " " + _("(date-stamped copy: SHA-256 %(sha)s)") % {"sha": shot.stamped_sha256}
    return line


def _said(at: datetime | None, who: str, text: str) -> str:
    """One message of the thread: when, who, then the text exactly as received on lines of its own."""
    return f"{_local(at)} {who}:\n{text}"


def _in_reply_to(item: Item) -> str:
    """What the item answers, when Kanalvakt keeps it: the visitor's post or comment, or the
    account's own publication; only the platform's id otherwise. Empty when it answers nothing."""
    if not item.in_reply_to:
        return ""
    parent = Item.objects.filter(account_id=item.account_id, platform_id=item.in_reply_to).first()
    if parent is not None:
        return _said(parent.received_at, parent.author, parent.text)
    publication = Publication.objects.filter(account_id=item.account_id, platform_id=item.in_reply_to).first()
    if publication is not None:
        return _said(publication.published_at, f"{item.account.name} ({_('the account')})", publication.text)
    return _("A post or comment Kanalvakt does not keep (platform id %(id)s).") % {"id": item.in_reply_to}


def _replies(item: Item) -> str:
    """The replies to the item, oldest first, each as received: the visitors' (items that answer it)
    and the account's own as published (publications answering it). The answer written in Kanalvakt
    is under "What was done"."""
    replies: list[tuple[datetime, int, str]] = []
    if item.platform_id:
        for reply in Item.objects.filter(account_id=item.account_id, in_reply_to=item.platform_id).exclude(
            pk=item.pk
        ):
            replies.append((reply.received_at, 0, _said(reply.received_at, reply.author, reply.text)))
    own = Q(answers=item) | (Q(in_reply_to=item.platform_id) if item.platform_id else Q(pk__in=[]))
    account = f"{item.account.name} ({_('the account')})"
    for publication in Publication.objects.filter(own, account_id=item.account_id):
        replies.append(
            (publication.published_at, 1, _said(publication.published_at, account, publication.text))
        )
    return "\n\n".join(text for _at, _order, text in sorted(replies, key=lambda reply: reply[:2]))


def registry_fields(
    item: Item,
    *,
    subject: str,
    secrecy: str,
    shots: list[Screenshot],
    version: int,
    by: User,
    now: datetime,
) -> list[tuple[str, str]]:
    """(key, value) of every registry field, in the order of the cover page."""
    account = item.account
    log = [
        f"{_local(entry.at)} {entry.actor or 'Kanalvakt'}: {entry.get_action_display()}"
        + (f" – {entry.note}" if entry.note else "")
        for entry in item.log.select_related("actor").order_by("at", "pk")
    ]
    recipient = f"{account.name} ({account.platform_label}"
    recipient += f", {account.handle})" if account.handle else ")"
    recipient += f", {account.unit.display_name}"
    handled = (
        f"{item.handled_by or '–'}, {_local(item.handled_at)}" if item.handled_at else _("Not handled yet")
    )
    return [
        ("received_at", _local(item.received_at)),
        ("sender", item.author),
        ("recipient", recipient),
        ("subject", subject),
        # The post and its replies as text, exactly as received, beside their screenshots: a reader
        # searches and copies the words, and the registry has them whatever the images show.
        ("text", item.text),
        ("in_reply_to", _in_reply_to(item) or "–"),
        ("replies", _replies(item) or _("No replies")),
        ("action", _action(item)),
        ("handled", handled),
        ("log", "\n".join(log)),
        ("rule_ids", ", ".join(item.rule_ids())),
        ("url", item.url or "–"),
        ("screenshots", "\n".join(_screenshot_line(n, s) for n, s in enumerate(shots, start=1))),
        ("secrecy", secrecy or _("none")),
        ("item", f"{item.pk}"),
        ("version", f"{version}"),
        ("built", f"{by}, {_local(now)}"),
    ]


def _image_bytes(shot: Screenshot) -> bytes:
    # KAU-DIARY-ACTION wants the date-stamped copy. Until archive.services writes one for every
    # screenshot (``stamped`` empty on older rows), the original goes into the package instead; the
    # cover names the SHA-256 of the original either way, and of the stamped copy when there is one.
    file = shot.stamped if shot.stamped else shot.image
    with file.open("rb") as handle:
        return handle.read()


def package_file_name(package: DiaryPackage, extension: str) -> str:
    """The name the package's files go by, in storage, as the e-mail's attachments and as downloads:
    ``diariepaket-<id>-<day built, Stockholm>.<extension>``, so that the registry can tell them apart
    and see what they are ("1.pdf" could be anything)."""
    built = timezone.localtime(package.built_at, STOCKHOLM).date().isoformat()
    return f"diariepaket-{package.pk}-{built}.{extension}"


# --- Services -----------------------------------------------------------------------------------------


@transaction.atomic
def build_package(item: Item, *, subject: str, secrecy: str, by: User, now: datetime) -> DiaryPackage:
    """Build the item's diary package and send it to the registry (KAU-DIARY-ACTION,
    KAU-PROHIBITED-EVIDENCE).

    Only the owner and the deputies build it (PermissionDenied), only for an item that requires
    registration or was removed as prohibited content, only with at least one screenshot of the post
    and its replies, and not once a package of the item is registered (ValidationError naming the
    field). A PDF/A that cannot be written is refused too (ValidationError without a field; the
    log has why). A refusal stores nothing. The PDF/A, and the CSV and JSON of its fields, are written to
    storage and the e-mail to the registry address goes to the outbox in the same transaction;
    ``sent_at`` records that hand-off (see the module's docstring for what "sent" means).
    """
    locked = (
        Item.objects.select_for_update(of=("self",))
        .select_related("account", "account__unit", "handled_by")
        .get(pk=item.pk)
    )
    if not may_build(by, locked):
        raise PermissionDenied(_("Only the account owner and the deputies build the diary package."))
    subject, secrecy, shots = _checked_request(locked, subject=subject, secrecy=secrecy)
    version = DiaryPackage.objects.filter(item=locked).count() + 1
    with translation.override(settings.LANGUAGE_CODE):  # a record for the registry: its language
        values = registry_fields(
            locked, subject=subject, secrecy=secrecy, shots=shots, version=version, by=by, now=now
        )
        cover = [(str(FIELD_LABELS[key]), value) for key, value in values]
        labels = {key: str(label) for key, label in FIELD_LABELS.items()}
        pdf = _package_pdf(locked, subject=subject, cover=cover, values=values, shots=shots, by=by, now=now)
    package = DiaryPackage(
        item=locked,
        subject=subject,
        secrecy=secrecy,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        fields={"rows": [{"key": k, "label": labels[k], "value": v} for k, v in values]},
        built_at=now,
        built_by=by,
    )
    record(package, by=by, reason="built")
    package.save()  # the pk names the files
    attachments = _store_files(package, pdf, shots=shots, by=by, now=now)
    sent = notify(
        kind=NOTIFICATION_KIND,
        key=f"{NOTIFICATION_KIND}:{package.pk}",
        recipients=[InstitutionSettings.objects.get_solo().registry_address],
        subject=gettext_lazy("Diary package for registration: %(subject)s"),
        subject_params={"subject": subject},
        template="diary_package.txt",
        context={"package": package, "item": locked, "account": locked.account, "rows": cover},
        url=reverse("archive:package", args=[package.pk]),
        attachments=attachments,
    )
    package.sent_at = now if sent else None  # handed to the outbox; delivery is the notification's
    record(package, by=by, reason="sent to the registry" if sent else "built")
    package.save(update_fields=["pdf", "sent_at"])
    return package


def _checked_request(locked: Item, *, subject: str, secrecy: str) -> tuple[str, str, list[Screenshot]]:
    """The subject and the secrecy marking as they will be stored, and the screenshots the package
    is built from; every refusal at once, each naming its field (ValidationError)."""
    refusal = registration_refusal(locked)
    if refusal:
        raise ValidationError({"item": refusal})
    subject = " ".join(subject.split())
    secrecy = secrecy.strip()
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Write the short subject (ärendemening) the registry enters.")
    elif len(subject) > DiaryPackage._meta.get_field("subject").max_length:  # type: ignore[operator]
        errors["subject"] = _("Keep the subject within 300 characters.")
    if len(secrecy) > DiaryPackage._meta.get_field("secrecy").max_length:  # type: ignore[operator]
        errors["secrecy"] = _("Keep the secrecy marking within 300 characters.")
    shots = list(
        locked.screenshots.filter(purpose__in=PACKAGE_PURPOSES)
        .select_related("taken_by")
        .order_by("taken_at", "pk")
    )
    if not shots:
        errors["screenshots"] = _(
            "Add a screenshot of the post and its replies first: the package is built from the "
            "item's screenshots."
        )
    if DiaryPackage.objects.filter(item=locked, registered_at__isnull=False).exists():
        errors["item"] = _("A package of this item is registered already; it is not built again.")
    if errors:
        raise ValidationError(errors)
    return subject, secrecy, shots


def _package_pdf(
    locked: Item,
    *,
    subject: str,
    cover: list[tuple[str, str]],
    values: list[tuple[str, str]],
    shots: list[Screenshot],
    by: User,
    now: datetime,
) -> bytes:
    """The package as PDF/A: the cover with the registry's fields, then the screenshots, and the
    fields again in the XMP. A PDF/A that cannot be written refuses the whole build."""
    value_of = dict(values)
    try:
        return build_pdfa(
            cover_fields=[(str(_("Diary package")), subject), *cover],
            images=[_image_bytes(shot) for shot in shots],
            xmp={
                "dc:title": subject,
                "dc:description": "\n".join(f"{label}: {value}" for label, value in cover),
                "dc:source": locked.url,
                "dc:date": timezone.localtime(locked.received_at, STOCKHOLM).isoformat(),
                "dc:creator": str(by),
                "xmp:CreateDate": timezone.localtime(now, STOCKHOLM).isoformat(),
                "xmp:Label": value_of["secrecy"],
            },
            flavour=pdfa_flavour(),
        )
    except PdfaRefused:
        # Nothing is written before the PDF exists, so refusing here stores and sends nothing.
        logger.exception("The diary package of item %s could not be written as PDF/A", locked.pk)
        raise ValidationError(
            # Lazy: said in the language of the person building, not the record's.
            gettext_lazy(
                "Kanalvakt could not write the diary package as PDF/A, so nothing was built or "
                "sent. Try again; if it fails again, tell the administrator (the server's log "
                "has the details)."
            )
        ) from None


def _store_files(
    package: DiaryPackage, pdf: bytes, *, shots: list[Screenshot], by: User, now: datetime
) -> list[str]:
    """Write the PDF and, beside it, the CSV and JSON of its fields, each with its fixity-ledger entry
    in this transaction; return their names, which the e-mail to the registry attaches."""
    package.pdf.save(package_file_name(package, "pdf"), ContentFile(pdf), save=False)
    package.screenshots.set(shots)
    base = package.pdf.name.removesuffix(".pdf")
    # Beside the PDF and sent with it. The stored copies are what was sent: no registration number
    # yet; the downloads (package_fields_csv/json) add it from the row.
    csv_data, json_data = package_fields_csv(package), package_fields_json(package)
    csv_name = default_storage.save(f"{base}.csv", ContentFile(csv_data))
    json_name = default_storage.save(f"{base}.json", ContentFile(json_data))
    # The fixity ledger, in this transaction: the files commit with their entries or not at all. The
    # CSV and JSON are kept too: they are what the registry was sent beside the PDF.
    for name, data in ((package.pdf.name, pdf), (csv_name, csv_data), (json_name, json_data)):
        ledger.append(kind=LedgerEntry.Kind.PACKAGE, path=name, data_or_size_and_hash=data, by=by, now=now)
    return [package.pdf.name, csv_name, json_name]


# --- The fields as CSV and JSON ---------------------------------------------------------------------------


def correction_line(correction: DiaryNumberCorrection) -> str:
    """One correction as the CSV and JSON write it: when, who, the numbers, why."""
    return _("%(when)s %(who)s: %(old)s → %(new)s (%(reason)s)") % {
        "when": _local(correction.corrected_at),
        "who": correction.corrected_by,
        "old": correction.old_number,
        "new": correction.new_number,
        "reason": correction.reason,
    }


def export_fields(package: DiaryPackage) -> list[tuple[str, str, str]]:
    """(key, label, value) of the package's registry fields, with the registration as known now."""
    rows = [(row["key"], row["label"], row["value"]) for row in package.fields.get("rows", [])]
    with translation.override(settings.LANGUAGE_CODE):
        extra = {
            "diary_number": (str(_("Registration number")), package.diary_number),
            "diary_number_corrections": (
                str(_("Registration number corrections")),
                "\n".join(correction_line(c) for c in package.number_corrections.all()),
            ),
            "registered_at": (str(_("Registered at")), _local(package.registered_at)),
            "registered_by": (str(_("Registered by")), str(package.registered_by or "")),
            "pdf_sha256": (str(_("SHA-256 of the PDF")), package.pdf_sha256),
        }
    return rows + [(key, *extra[key]) for key in EXPORT_EXTRA]


def package_fields_csv(package: DiaryPackage) -> bytes:
    """The registry fields as CSV: one header row of field keys, one row of values, in the dialect
    and under the formula rule of every CSV of Kanalvakt (core.csvfile); the JSON beside it holds
    each value exactly."""
    rows = export_fields(package)
    return csvfile.csv_bytes([[key for key, _label, _value in rows], [value for _key, _label, value in rows]])


def package_fields_json(package: DiaryPackage) -> bytes:
    """The registry fields as JSON: ``fields`` maps key to value, ``labels`` key to label."""
    rows = export_fields(package)
    document = {
        "package": package.pk,
        "item": package.item_id,
        "fields": {key: value for key, _label, value in rows},
        "labels": {key: label for key, label, _value in rows},
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def packages_todo(user: Any, now: datetime) -> TodoSection | None:
    """The registrar's start page: the diary packages waiting for a registration number, oldest
    first (KAU-DIARY-ACTION). Absent for everyone else."""
    if not (getattr(user, "is_authenticated", False) and has_role(user, Role.REGISTRAR)):
        return None
    return TodoSection(
        key="packages",
        title=gettext_lazy("Diary packages to register"),
        empty=gettext_lazy("No diary package waits for a registration number."),
        template="archive/todo_packages.html",
        rows=list(awaiting_registration().select_related("item", "item__account")[:20]),
    )
