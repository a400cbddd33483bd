"""The RFC 3161 timestamp kept beside each fixity-ledger entry (archive.timestamps)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimestampToken(models.Model):
    """A timestamp authority's signed token over one ledger entry's SHA-256, or the attempts to get it.

    A row is written with its ledger entry when a TSA is configured (archive.ledger.append), pending
    (``token`` empty, ``next_attempt_at`` set); the token is asked for after the entry commits and,
    while the TSA cannot be reached, again with a growing delay. Once stored, the token never
    changes: on PostgreSQL a trigger refuses an UPDATE of a row that has its token, and any DELETE.
    ``manage.py verify_archive`` verifies every token against the configured certificate.
    """

    entry = models.OneToOneField(
        "archive.LedgerEntry",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="timestamp",
        verbose_name=_("ledger entry"),
    )
    tsa_url = models.CharField(_("timestamp authority"), max_length=500)
    queued_at = models.DateTimeField(_("queued at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    token = models.BinaryField(_("timestamp token"), null=True, blank=True)
    gen_time = models.DateTimeField(_("time in the token"), null=True, blank=True)
    serial = models.CharField(_("serial number"), max_length=60, blank=True)
    policy = models.CharField(_("TSA policy"), max_length=200, blank=True)
    stored_at = models.DateTimeField(_("stored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("timestamp token")
        verbose_name_plural = _("timestamp tokens")
        ordering = ["entry"]
        constraints = [
            # A stored token comes with what it says and is asked for no more; a pending one has none.
            models.CheckConstraint(
                condition=Q(
                    token__isnull=False,
                    gen_time__isnull=False,
                    stored_at__isnull=False,
                    next_attempt_at__isnull=True,
                )
                | Q(
                    token__isnull=True,
                    gen_time__isnull=True,
                    stored_at__isnull=True,
                    next_attempt_at__isnull=False,
                ),
                name="timestamp_stored_or_pending",
            ),
        ]
        indexes = [
            # The sweep's query: pending tokens whose next attempt is due, oldest first.
            models.Index(
                fields=["next_attempt_at"], condition=Q(token__isnull=True), name="timestamp_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.gen_time.isoformat() if self.gen_time else 'pending'}"

    def is_stored(self) -> bool:
        return self.token is not None
