"""Screenshots, diary packages and archive exports (KAU-DIARY-*, KAU-STARTPAGE, KAU-PROHIBITED-EVIDENCE)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def screenshot_path(instance: Screenshot, filename: str) -> str:
    # Named by content, never by the uploader's file name: nothing they chose reaches the disk.
    return f"screenshots/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class Screenshot(models.Model):
    """A date-stamped picture of a post, a comment or an account's start page, kept as a public record.

    The file is the image as Kanalvakt stored it: decoded and re-encoded by archive.images, so that it
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

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="screenshots"
    )
    item = models.ForeignKey(
        "moderation.Item",
        verbose_name=_("item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="screenshots",
    )
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
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    taken_from = models.CharField(
        _("taken from"), max_length=100, blank=True, help_text=_("The client address.")
    )

    class Meta:
        verbose_name = _("screenshot")
        verbose_name_plural = _("screenshots")
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["account", "purpose", "-taken_at"], name="screenshot_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.taken_at:%Y-%m-%d %H:%M} ({self.sha256[:12]})"
