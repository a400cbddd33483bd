"""The secrecy review before a release of public records (*sekretessprövning*, KAU-PUBLIC-RECORD).

A request for public records (*begäran om allmän handling*, TF 2 kap.) is answered with copies after
a review under offentlighets- och sekretesslagen (OSL). A review is opened from an archive search;
the records it covers are frozen when it opens. The reviewer marks what must not be released (an
item, a field of an item, a screenshot), each with its legal ground; the release is a PDF/A copy in
which those parts are masked and the grounds listed. The originals never change. archive.secrecy is
the one write path.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


class SecrecyReview(models.Model):
    """One request for public records under review: who asked (as given, possibly nobody: TF 2 kap.
    18 § lets a requester stay anonymous), when, the search that found the records, and the records
    themselves, frozen when the review opened so that the review is of a fixed set.

    Open while the reviewer marks; released once, after which it never changes (a new release needs
    a new review). Never deleted (KAU-PUBLIC-RECORD); the frozen record lists cannot change
    (PostgreSQL triggers, archive migration 0004).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Under review")
        RELEASED = "released", _("Released")

    requester = models.CharField(
        _("requester"),
        max_length=300,
        blank=True,
        help_text=_("Name or contact as given. Leave empty when the requester is anonymous."),
    )
    requested_on = models.DateField(_("date of the request"))
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("The request's registration number, if any.")
    )
    criteria = models.JSONField(_("search"), default=dict)
    items = models.ManyToManyField("moderation.Item", verbose_name=_("items"), related_name="+")
    screenshots = models.ManyToManyField(
        "archive.Screenshot", verbose_name=_("screenshots"), related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = person_field(_("opened by"), null=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("secrecy review")
        verbose_name_plural = _("secrecy reviews")
        ordering = ["-opened_at", "-pk"]
        permissions = [
            ("review_secrecy", _("Can review secrecy and release copies of public records")),
        ]
        indexes = [
            # The list of reviews: open ones first, newest first.
            models.Index(fields=["status", "-opened_at"], name="secrecyreview_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.requester or '–'} ({self.requested_on:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class SecrecyMark(models.Model):
    """One part the reviewer found must not be released (*Röjs ej*), with its legal ground: a whole
    item (``field`` empty), one field of an item, or a whole screenshot. Image regions are not
    masked: a screenshot is released or withheld whole.

    A mark is part of the draft while the review is open: removing it sets ``removed_at`` and keeps
    the row (and its history), so the history shows every change of the draft. After the release the
    marks as they stood are frozen on the Release.
    """

    review = reference_field(SecrecyReview, _("review"), null=False, related_name="marks")
    item = reference_field("moderation.Item", _("item"))
    screenshot = reference_field("archive.Screenshot", _("screenshot"))
    field = models.CharField(_("field"), max_length=30, blank=True)
    ground = models.CharField(_("legal ground"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    marked_at = models.DateTimeField(_("marked at"))
    marked_by = person_field(_("marked by"), null=False)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = person_field(_("removed by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("secrecy mark")
        verbose_name_plural = _("secrecy marks")
        ordering = ["marked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(item__isnull=False) & Q(screenshot__isnull=True))
                | (Q(item__isnull=True) & Q(screenshot__isnull=False) & Q(field="")),
                name="secrecymark_one_record",
            ),
            models.CheckConstraint(condition=~Q(ground=""), name="secrecymark_has_ground"),
            # One standing mark per part: the index also serves the review page's look-up of its marks.
            models.UniqueConstraint(
                fields=["review", "item", "field"],
                condition=Q(removed_at__isnull=True, item__isnull=False),
                name="secrecymark_once_per_item_field",
            ),
            models.UniqueConstraint(
                fields=["review", "screenshot"],
                condition=Q(removed_at__isnull=True, screenshot__isnull=False),
                name="secrecymark_once_per_screenshot",
            ),
        ]

    def __str__(self) -> str:
        target = f"item {self.item_id}" if self.item_id else f"screenshot {self.screenshot_id}"
        return f"{target} {self.field or '*'}: {self.ground}"


def release_path(instance: Release, filename: str) -> str:
    return f"releases/{filename}"


class Release(models.Model):
    """The release of a review's copy (*utlämnande*): who released it, when, to whom, the marks as
    they stood (frozen), which records went out and which were withheld, and the PDF/A copy with
    its SHA-256 and its entry in the fixity ledger (and the same as a CSV table, ledgered too).

    One per review. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE (archive
    migration 0004), so the log of what was released cannot be rewritten.
    """

    review = models.OneToOneField(
        SecrecyReview, verbose_name=_("review"), on_delete=models.PROTECT, related_name="release"
    )
    released_at = models.DateTimeField(_("released at"))
    released_by = person_field(_("released by"), null=False)
    recipient = models.CharField(
        _("released to"),
        max_length=300,
        help_text=_("To whom the copy goes, for example “anonymous requester by e-mail”."),
    )
    marks = models.JSONField(_("marks at release"), default=list)
    records = models.JSONField(_("records released and withheld"), default=dict)
    file = models.FileField(_("copy"), upload_to=release_path, max_length=200)
    sha256 = models.CharField(_("SHA-256 of the copy"), max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    # The same records as a table, for the requester's own tools; masked and withheld as in the copy.
    table = models.FileField(_("table (CSV)"), upload_to=release_path, max_length=200, blank=True)
    table_sha256 = models.CharField(_("SHA-256 of the table"), max_length=64, blank=True)
    ledger_entry = reference_field("archive.LedgerEntry", _("ledger entry"), null=False)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-released_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(recipient=""), name="release_has_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} → {self.recipient} ({self.released_at:%Y-%m-%d})"
