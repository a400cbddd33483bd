"""The campaign register: paid marketing in the official accounts, approved before it starts (KAU-ADS)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field


class Campaign(models.Model):
    """One paid campaign in an official account: what is marketed, when, for how much and by whom.

    KAU-ADS: paid marketing of courses, programmes or services in official accounts is handled or
    supervised by the communications department or appointed persons, so a campaign is approved by
    one of them (permission ``governance.approve_campaign``) before it starts. A campaign on a
    subsidiary's account is outside the rule and needs no approval. Campaigns are public records:
    they change only through governance.campaigns and are never deleted; one no longer wanted is
    withdrawn.
    """

    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        PROGRAMME = "programme", _("Programme")
        SERVICE = "service", _("Service")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        NOT_REQUIRED = "not_required", _("No approval needed: subsidiary")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The states in which the campaign may run: approved, or on a subsidiary's account.
    CLEARED = (Status.APPROVED, Status.NOT_REQUIRED)
    WITHDRAWABLE = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.NOT_REQUIRED)

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="campaigns"
    )
    kind = models.CharField(_("what is marketed"), max_length=12, choices=Kind.choices)
    subject = models.CharField(_("name of what is marketed"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    budget = models.DecimalField(
        _("budget (SEK)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    run_by = person_field(_("run by (person)"))
    agency = models.CharField(_("run by (agency)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="campaigns_filed",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = person_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    withdrawn_by = person_field(_("withdrawn by"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-pk"]
        permissions = [
            ("approve_campaign", _("Can approve paid campaigns in official accounts (KAU-ADS)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "refused"]) | Q(decided_by__isnull=False),
                name="campaign_decided_has_decider",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
                name="campaign_withdrawn_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_on"], name="campaign_status_start_idx")]

    def __str__(self) -> str:
        return f"{self.subject} ({self.starts_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("governance:campaign_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def phase(self, today: date) -> str:
        """Where the campaign stands on ``today``: "running", "upcoming" or "ended" once cleared to run;
        "unapproved" when its start has come while it still awaits approval (KAU-ADS); else ""."""
        if self.status in self.CLEARED:
            if today < self.starts_on:
                return "upcoming"
            return "ended" if today > self.ends_on else "running"
        if self.status == self.Status.SUBMITTED and self.starts_on <= today:
            return "unapproved"
        return ""
