"""Student ambassadors and bloggers on assignment: people who speak for a unit without being its
official voice (KAU-PRIVATE, KTH-PRIVATE, KTH-BLOG)."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


class AmbassadorQuerySet(models.QuerySet["Ambassador"]):
    """The named states of an assignment on a given day (Europe/Stockholm)."""

    def current(self, today: date) -> AmbassadorQuerySet:
        """Approved, and the period includes ``today``: the ones the public list shows."""
        return self.filter(status=Ambassador.Status.APPROVED, starts_on__lte=today, ends_on__gte=today)

    def awaiting_approval(self) -> AmbassadorQuerySet:
        return self.filter(status=Ambassador.Status.PROPOSED)

    def ended(self, today: date) -> AmbassadorQuerySet:
        """Ended early, or approved and past the last day of the period."""
        return self.filter(
            Q(status=Ambassador.Status.ENDED) | Q(status=Ambassador.Status.APPROVED, ends_on__lt=today)
        )


class Ambassador(models.Model):
    """A student ambassador, a blogger on assignment or another voice who speaks for a unit for a
    period, approved by the head of the unit (KTH-BLOG: the authorised manager approves bloggers).

    They speak from their own perspective and are not official spokespersons (KAU-PRIVATE); the
    public list says so. A person who is not employed needs a direct assignment from the unit, whose
    text is kept (KTH-BLOG). Proposed, then approved or refused (with a reason); an approved one has
    ended when the period is over, or earlier when ended with a reason. Never deleted.
    """

    class Kind(models.TextChoices):
        STUDENT_AMBASSADOR = "student_ambassador", _("Student ambassador")
        BLOGGER = "blogger", _("Blogger")
        OTHER = "other", _("Other voice")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        ENDED = "ended", _("Ended early")

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    employed = models.BooleanField(_("employed by the university"), default=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = reference_field("core.OrgUnit", _("unit"), null=False, related_name="ambassadors")
    account = reference_field("accounts.Account", _("account"), related_name="ambassadors")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to and including"))
    duties = models.TextField(_("what they do"))
    # KTH-BLOG: the direct assignment from the unit, required for a person who is not employed.
    assignment = models.TextField(_("direct assignment from the unit"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("proposed at"))
    proposed_by = person_field(_("proposed by"), null=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = person_field(_("decided by"))
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = person_field(_("ended by"))
    end_reason = models.TextField(_("reason for ending early"), blank=True)

    history = HistoricalRecords()

    objects = AmbassadorQuerySet.as_manager()

    class Meta:
        verbose_name = _("ambassador or blogger")
        verbose_name_plural = _("ambassadors and bloggers")
        ordering = ["-starts_on", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="ambassador_ends_after_start"
            ),
            # KTH-BLOG: a person who is not employed speaks only on a direct assignment from the unit.
            models.CheckConstraint(
                condition=Q(employed=True) | ~Q(assignment=""), name="ambassador_external_has_assignment"
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(decision_reason=""), name="ambassador_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_at__isnull=False),
                name="ambassador_decided_has_decided_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | (Q(ended_at__isnull=False) & ~Q(end_reason="")),
                name="ambassador_ended_has_reason",
            ),
        ]
        indexes = [
            # The public list and the live figure: approved ones whose period includes today.
            models.Index(
                fields=["ends_on", "starts_on"],
                condition=Q(status="approved"),
                name="ambassador_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:ambassador_detail", args=[self.pk])

    def state_on(self, today: date) -> str:
        """The state as people read it on ``today``: an approved one past its last day has ended,
        one whose first day is still to come is upcoming."""
        if self.status == self.Status.APPROVED:
            if self.ends_on < today:
                return "ended_by_date"
            if self.starts_on > today:
                return "upcoming"
            return "current"
        return str(self.status)
