"""Screenshots, diary packages and archive exports (KAU-DIARY-*, KAU-STARTPAGE, KAU-PROHIBITED-EVIDENCE)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


def screenshot_path(instance: Screenshot, filename: str) -> str:
    # Named by content, never by the uploader's file name: nothing they chose reaches the disk.
    return f"screenshots/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class ScreenshotQuerySet(models.QuerySet["Screenshot"]):
    def startpages(self) -> ScreenshotQuerySet:
        """Start-page screenshots (KAU-STARTPAGE): the proof the registry reads, as
        ``account.screenshots.startpages()``."""
        return self.filter(purpose=Screenshot.Purpose.STARTPAGE)


class Screenshot(models.Model):
    """A date-stamped picture of a post, a comment or an account's start page, kept as a public record.

    The file is the image as Kanalvakt stored it: decoded and re-encoded by core.images, so that it
    is a real image of an allowed type with no EXIF (no GPS) left in it. ``sha256`` is its fixity,
    computed when it arrived; ``received_sha256`` is that of the bytes as they were uploaded. Never
    deleted, in the app or the admin (KAU-PUBLIC-RECORD).
    """

    class Purpose(models.TextChoices):
        EVIDENCE = "evidence", _("Evidence of prohibited content")
        ITEM = "item", _("Post and replies")
        STARTPAGE = "startpage", _("Start page")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded")
        CAPTURE = "capture", _("Captured by Kanalvakt")

    account = reference_field("accounts.Account", _("account"), null=False, related_name="screenshots")
    item = reference_field("moderation.Item", _("item"), related_name="screenshots")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.UPLOAD)
    source_url = models.URLField(_("address shown"), max_length=500, blank=True)
    image = models.FileField(_("image"), upload_to=screenshot_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=20)
    extension = models.CharField(_("extension"), max_length=5)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    received_sha256 = models.CharField(_("SHA-256 as received"), max_length=64)
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = person_field(_("taken by"))
    taken_from = models.CharField(
        _("taken from"), max_length=100, blank=True, help_text=_("The client address.")
    )

    # KAU-DIARY-ACTION: "marked with the date". The stamp goes on a derived copy; the original is never
    # altered. Written by archive.services when the screenshot is kept.
    stamped = models.FileField(_("date-stamped copy"), upload_to="stamped/", max_length=200, blank=True)
    stamped_sha256 = models.CharField(_("SHA-256 of the stamped copy"), max_length=64, blank=True)
    # Set by archive.disposal_execution when an approved disposal destroyed the files (gallring); the
    # row stays as the record that the screenshot existed.
    disposed_at = models.DateTimeField(_("disposed of at"), null=True, blank=True, editable=False)

    objects = ScreenshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("screenshot")
        verbose_name_plural = _("screenshots")
        ordering = ["-taken_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "purpose", "-taken_at"], name="screenshot_account_idx"),
            # The disposal proposal: screenshots of a purpose past their period, not yet disposed of.
            models.Index(
                fields=["purpose", "taken_at"],
                condition=Q(disposed_at__isnull=True),
                name="screenshot_disposable_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.taken_at:%Y-%m-%d %H:%M} ({self.sha256[:12]})"

    def is_startpage_of(self, account_id: int) -> bool:
        """Whether this is a screenshot of that account's start page (KAU-STARTPAGE)."""
        return self.account_id == account_id and self.purpose == self.Purpose.STARTPAGE

    def is_capture(self) -> bool:
        """Whether Kanalvakt captured it by itself, rather than a person uploading it."""
        return self.source == self.Source.CAPTURE


class LedgerEntry(models.Model):
    """One archived file in the fixity ledger: its path, size and SHA-256, chained to the entry before.

    ``entry_hash`` is the SHA-256 of this entry's own fields and ``previous_hash``, so changing or
    removing any earlier entry breaks every later one; ``manage.py verify_archive`` re-hashes every
    file and the chain. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE, and
    ``previous_hash`` is unique, so the chain cannot fork even when two writers race.
    """

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Original screenshot")
        STAMPED = "stamped", _("Date-stamped copy")
        PACKAGE = "package", _("Diary package")
        EXPORT = "export", _("Archive export")
        # A file destroyed under an approved disposal decision (archive.disposal_ledger): its path and
        # original SHA-256, so that verify_archive reads its absence as lawful.
        DISPOSAL = "disposal", _("Disposed of")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    path = models.CharField(_("file"), max_length=300)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = person_field(_("recorded by"))
    previous_hash = models.CharField(_("previous entry's hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("fixity ledger")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["previous_hash"], name="ledger_chain_does_not_fork"),
            models.UniqueConstraint(fields=["entry_hash"], name="ledger_entry_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_kind_display()} {self.sha256[:12]}"


class CaptureAttempt(models.Model):
    """One attempt to capture a page with headless Chromium, and how it ended. A failure (time-out,
    login wall, an answer other than 200) is kept and reported to the account owner, never silent."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        CAPTURED = "captured", _("Captured")
        FAILED = "failed", _("Failed")

    account = reference_field("accounts.Account", _("account"), null=False, related_name="captures")
    item = reference_field("moderation.Item", _("item"), related_name="captures")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Screenshot.Purpose.choices)
    url = models.URLField(_("address"), max_length=500)
    requested_by = person_field(_("requested by"), help_text=_("Empty when the daily start-page job asked."))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    screenshot = reference_field(Screenshot, _("screenshot"))

    class Meta:
        verbose_name = _("capture attempt")
        verbose_name_plural = _("capture attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="captured") | Q(screenshot__isnull=False),
                name="capture_captured_has_screenshot",
            ),
            # One capture of a page at a time (archive.services._begin_capture): an item, and an
            # account's start page. Their indexes also serve the look-up of a running capture.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(outcome="pending", item__isnull=False),
                name="capture_one_pending_per_item",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(outcome="pending", purpose="startpage"),
                name="capture_one_pending_startpage_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.url} {self.get_outcome_display()}"


class DiaryPackage(models.Model):
    """What the registry (*diariet*) registers for one item (KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE):
    a PDF/A with the date-stamped screenshots of the post and its replies behind a cover page of the
    registry fields (offentlighets- och sekretesslagen 5 kap. 2 §), and the same fields as CSV and JSON.

    Built by archive.registration and handed to the e-mail outbox for the registry address (``sent_at``;
    whether it was delivered is read from the notification itself); the registrar records the registration
    number (*diarienummer*), which Kanalvakt never invents. Never deleted (KAU-PUBLIC-RECORD).
    """

    item = reference_field("moderation.Item", _("item"), null=False, related_name="diary_packages")
    subject = models.CharField(_("subject"), max_length=300, help_text=_("The short subject (ärendemening)."))
    secrecy = models.CharField(
        _("secrecy marking"),
        max_length=300,
        blank=True,
        help_text=_("Where secrecy applies: the provision and what it covers. Empty when none applies."),
    )
    pdf = models.FileField(_("PDF/A"), upload_to="diary/", max_length=200)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    fields = models.JSONField(_("registry fields"), default=dict)
    screenshots = models.ManyToManyField(Screenshot, verbose_name=_("screenshots"), related_name="packages")
    built_at = models.DateTimeField(_("built at"))
    built_by = person_field(_("built by"), null=False)
    sent_at = models.DateTimeField(_("queued for the registry at"), null=True, blank=True)
    diary_number = models.CharField(_("registration number"), max_length=60, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    registered_by = person_field(_("registered by"))
    # Set when an approved disposal destroyed the PDF with its item; the registry fields stay.
    disposed_at = models.DateTimeField(_("disposed of at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("diary package")
        verbose_name_plural = _("diary packages")
        permissions = [("register_package", _("Can record registration numbers"))]
        ordering = ["-built_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_at__isnull=True) | ~Q(diary_number=""),
                name="diary_registered_has_number",
            ),
        ]
        indexes = [
            # The registrar's queue: packages waiting for a registration number, oldest first.
            models.Index(
                fields=["built_at"], condition=Q(registered_at__isnull=True), name="diary_awaiting_idx"
            ),
            # Whether another package has the same registration number (the warning when registering
            # or correcting, and the badge on the queue and the package page).
            models.Index(fields=["diary_number"], condition=~Q(diary_number=""), name="diary_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.diary_number or '–'})"


class DiaryNumberCorrection(models.Model):
    """The registrar's correction of a wrongly entered registration number (KAU-DIARY-ACTION): the
    number before and after, why, who and when (archive.diary_numbers.correct_diary_number).

    The PDF/A sent to the registry is a kept record and is not rewritten: the correction is recorded
    here, beside it, and the package page and the CSV and JSON of its fields show the current number
    with every correction. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE
    (KAU-PUBLIC-RECORD).
    """

    package = reference_field(DiaryPackage, _("diary package"), null=False, related_name="number_corrections")
    old_number = models.CharField(_("registration number before"), max_length=60)
    new_number = models.CharField(_("registration number after"), max_length=60)
    reason = models.TextField(_("reason"))
    corrected_by = person_field(_("corrected by"), null=False)
    corrected_at = models.DateTimeField(_("corrected at"))

    class Meta:
        verbose_name = _("registration number correction")
        verbose_name_plural = _("registration number corrections")
        ordering = ["corrected_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(new_number=models.F("old_number")), name="diary_correction_changes_number"
            ),
            models.CheckConstraint(condition=~Q(new_number=""), name="diary_correction_has_number"),
            models.CheckConstraint(condition=~Q(reason=""), name="diary_correction_has_reason"),
        ]
        indexes = [
            # A package's corrections, in order (the package page, the CSV and JSON of its fields).
            models.Index(fields=["package", "corrected_at"], name="diary_correction_package_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.old_number} → {self.new_number}"


class ExportJob(models.Model):
    """An archive export (KAU-PUBLIC-RECORD): who asked for what, when, how far it has come, in which
    package format, and the zipped package it produced (a BagIt bag, or an E-ARK SIP following
    Riksarkivet's FGS Paketstruktur 2.0). The row is the log of the export; it is never deleted."""

    class PackageFormat(models.TextChoices):
        BAGIT = "bagit", _("BagIt bag")
        FGS = "fgs", _("FGS 2.0 / E-ARK SIP (Riksarkivet)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = person_field(_("requested by"), null=False)
    requested_at = models.DateTimeField(_("requested at"))
    description = models.CharField(_("what"), max_length=500)
    criteria = models.JSONField(_("search"), default=dict)
    package_format = models.CharField(
        _("package format"), max_length=10, choices=PackageFormat.choices, default=PackageFormat.BAGIT
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("files in all"), default=0)
    done = models.PositiveIntegerField(_("files done"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("bag"), upload_to="exports/", max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 of the bag"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Set when an approved disposal destroyed the bag; the row stays as the log of the export.
    disposed_at = models.DateTimeField(_("disposed of at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("archive export")
        verbose_name_plural = _("archive exports")
        permissions = [("export_archive", _("Can search and export the archive"))]
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="export_done_has_file"),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.get_status_display()})"

    @property
    def download_name(self) -> str:
        """The zip's name as downloaded: it says which package format it holds."""
        return f"kanalvakt-export-{self.pk}-{self.package_format}.zip"

    @property
    def percent(self) -> int:
        return (
            100 if self.status == self.Status.DONE else (100 * self.done // self.total if self.total else 0)
        )


# Models kept in modules of their own subject, imported here so that Django registers them with the app.
from archive.retention_models import (  # noqa: E402
    Disposal,
    DisposalEntry,
    DisposedFile,
    LegalHold,
    RecordType,
    RetentionRule,
    Tombstone,
)
from archive.secrecy_models import Release, SecrecyMark, SecrecyReview  # noqa: E402
from archive.timestamp_models import TimestampToken  # noqa: E402

__all__ = [
    "CaptureAttempt",
    "DiaryNumberCorrection",
    "DiaryPackage",
    "Disposal",
    "DisposalEntry",
    "DisposedFile",
    "ExportJob",
    "LedgerEntry",
    "LegalHold",
    "RecordType",
    "Release",
    "RetentionRule",
    "Screenshot",
    "SecrecyMark",
    "SecrecyReview",
    "TimestampToken",
    "Tombstone",
]
