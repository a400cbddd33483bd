"""Crisis mode (KAU-CRISIS): a crisis declared by the social media lead or the communications
department, what the accounts published during it, and its ending. Registered with the app through
moderation.models; the crisis's own saved replies are ``SavedReply.crisis`` (reply_models.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


class CrisisQuerySet(models.QuerySet["Crisis"]):
    def active(self) -> CrisisQuerySet:
        return self.filter(ended_at__isnull=True)

    def ended(self) -> CrisisQuerySet:
        return self.filter(ended_at__isnull=False)


class Crisis(models.Model):
    """A crisis (*kris*, KAU-CRISIS): while it is active every signed-in page carries its banner and
    every queue its link to the university's own website, which is required (KTH-COMPLEMENT,
    KAU-ACCESS: the important information is always in the university's own channels; the social
    channels complement them). One is active at a time (``crisis_one_active``). Ended with a summary,
    never deleted: the page stays as a record, and the history says who declared and ended it."""

    title = models.CharField(_("title"), max_length=160)
    what_happened = models.TextField(_("what happened"), max_length=1000)
    website_url = models.URLField(
        _("information on the website"),
        max_length=500,
        help_text=_("The page on the university's own website where the information is (KTH-COMPLEMENT)."),
    )
    intranet_url = models.URLField(_("information on the intranet"), max_length=500, blank=True)
    declared_at = models.DateTimeField(_("declared at"))
    declared_by = person_field(_("declared by"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = person_field(_("ended by"))
    summary = models.TextField(_("summary"), blank=True, max_length=4000)

    history = HistoricalRecords()

    objects = CrisisQuerySet.as_manager()

    class Meta:
        verbose_name = _("crisis")
        verbose_name_plural = _("crises")
        ordering = ["-declared_at", "-pk"]
        permissions = [("declare_crisis", _("Can declare and end a crisis"))]
        constraints = [
            # KAU-CRISIS: one crisis at a time. ended_at is NULL on the active one, and NULLs count as
            # equal here, so a second active row is refused by the database, whoever races whom.
            models.UniqueConstraint(
                fields=["ended_at"],
                condition=Q(ended_at__isnull=True),
                nulls_distinct=False,
                name="crisis_one_active",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="crisis_title_not_empty"),
            models.CheckConstraint(condition=~Q(website_url=""), name="crisis_website_url_not_empty"),
            # An ended crisis has its summary (KAU-CRISIS: what was done is on the record).
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | (Q(ended_at__gte=models.F("declared_at")) & ~Q(summary="")),
                name="crisis_ended_with_summary",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class CrisisLogEntry(models.Model):
    """What one account published during a crisis, where and when, and who recorded it (KAU-CRISIS:
    each channel adapted to its audience, always pointing to the website). Added by the account's
    owner or deputies, or by the social media lead and the communications department; never changed
    or deleted."""

    crisis = reference_field(Crisis, _("crisis"), null=False, related_name="entries")
    account = reference_field("accounts.Account", _("account"), null=False, related_name="crisis_entries")
    where = models.CharField(_("where"), max_length=200)
    url = models.URLField(_("link"), max_length=500, blank=True)
    text = models.TextField(_("what was published"), max_length=4000)
    published_at = models.DateTimeField(_("published at"))
    recorded_by = person_field(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("crisis log entry")
        verbose_name_plural = _("crisis log entries")
        ordering = ["published_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="crisislogentry_text_not_empty"),
            models.CheckConstraint(condition=~Q(where=""), name="crisislogentry_where_not_empty"),
        ]
        indexes = [
            # The crisis page's log and its "not posted yet" (entries of one crisis, by account).
            models.Index(fields=["crisis", "account"], name="crisislogentry_crisis_acct_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.published_at:%Y-%m-%d %H:%M} {self.where}"
