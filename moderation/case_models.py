"""Threat cases (KAU-THREAT): a threat followed by the security officer and the social media lead, with
its record of notes and actions. Registered with the app through moderation.models."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


class ThreatCase(models.Model):
    """A threat handled as a case (KAU-THREAT): opened with the threat's alert, one per item, and
    followed by the security officer and the social media lead until closed (and re-opened if need
    be). What was done is its entries, each with who and when; the case itself only says whether it
    is open. Never deleted (KAU-PUBLIC-RECORD)."""

    item = models.OneToOneField(
        "moderation.Item", verbose_name=_("item"), on_delete=models.PROTECT, related_name="threat_case"
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = person_field(_("closed by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("threat case")
        verbose_name_plural = _("threat cases")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("opened_at")),
                name="threatcase_closed_after_opened",
            ),
        ]
        indexes = [
            # The case list: open cases first, newest first (keyset on opened_at, id).
            models.Index(fields=["-opened_at", "-id"], name="threatcase_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{_('Threat case')} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ThreatCaseEntry(models.Model):
    """One line of a threat case's record (KAU-THREAT): a note, or an action taken, by whom and when.
    Append-only: on PostgreSQL a trigger refuses to change or delete a row (KAU-PUBLIC-RECORD)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        NOTE = "note", _("Note")
        POLICE_REPORT = "police_report", _("Police report filed")
        RISK_ASSESSMENT = "risk_assessment", _("Risk assessment made")
        TARGET_INFORMED = "target_informed", _("The person targeted informed")
        CLOSED = "closed", _("Case closed")
        REOPENED = "reopened", _("Case re-opened")

    case = reference_field(ThreatCase, _("case"), null=False, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    by = person_field(_("by"), help_text=_("Empty when Kanalvakt itself opened the case."))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("threat case entry")
        verbose_name_plural = _("threat case entries")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="threatcaseentry_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
