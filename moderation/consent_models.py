"""The consent register for images and film (KAU-CONSENT, KAU-CREDIT): consents of the people shown,
crowd situations, photographer credits, planned posts, and their links to the account's posts.
Registered with the app through moderation.models.

These records hold personal data (names, signed forms). They are public records but are never
released as they stand: a request for them goes through the secrecy review (archive.secrecy), and
the archive's exports do not include them. Nothing here is deleted; a withdrawal is a state.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field

EXPIRY_WARNING_DAYS = 30


def consent_file_path(instance: models.Model, filename: str) -> str:
    # Named by content, never by the uploader's file name: nothing they chose reaches the disk.
    digest = getattr(instance, "file_sha256", "")
    return f"consents/{digest[:2]}/{digest}.{getattr(instance, 'file_extension', 'bin')}"


class ConsentQuerySet(models.QuerySet["Consent"]):
    def valid_on(self, day: date) -> ConsentQuerySet:
        """Consents in force on ``day``: given, not withdrawn, not past their last day."""
        return self.filter(withdrawn_at__isnull=True, given_on__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )

    def expiring(self, day: date, days: int = EXPIRY_WARNING_DAYS) -> ConsentQuerySet:
        """Consents in force whose last day falls within ``days`` days of ``day``."""
        return self.valid_on(day).filter(valid_until__lte=day + timedelta(days=days))

    def withdrawn(self) -> ConsentQuerySet:
        return self.filter(withdrawn_at__isnull=False)


class Consent(models.Model):
    """A person's consent to appear in a photo or film published in social media (KAU-CONSENT), given
    in writing or digitally, with the signed form or the digital confirmation kept as a file.

    Personal data: seen only by the people ``moderation.consents.consents_visible_to`` names. A
    release under the principle of public access goes through the secrecy review (archive.secrecy,
    OSL 21 kap. 7 §); the archive's exports never include consent records or their files.
    Never deleted: a withdrawal is recorded (``withdrawn_at``, by whom, how) and lists the posts it
    affects (``AffectedPost``).
    """

    class Form(models.TextChoices):
        WRITTEN = "written", _("In writing (signed form)")
        DIGITAL = "digital", _("Digitally (confirmation)")

    person_name = models.CharField(_("person"), max_length=200)
    material = models.TextField(_("material"), help_text=_("Which photos or film the consent covers."))
    social_media = models.BooleanField(_("covers publication in social media"), default=False)
    form = models.CharField(_("given"), max_length=10, choices=Form.choices)
    file = models.FileField(_("signed form or confirmation"), upload_to=consent_file_path, max_length=200)
    file_type = models.CharField(_("file type"), max_length=30)
    file_extension = models.CharField(_("extension"), max_length=5)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    given_on = models.DateField(_("given on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    unit = reference_field("core.OrgUnit", _("unit"), related_name="consents")
    accounts = models.ManyToManyField(
        "accounts.Account", verbose_name=_("accounts"), blank=True, related_name="consents"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = person_field(_("recorded by"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = person_field(_("withdrawal recorded by"))
    withdrawal_note = models.TextField(_("how it was withdrawn"), blank=True)

    objects = ConsentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["person_name", "pk"]
        permissions = [("view_all_consents", "Can see every consent of images and film (KAU-CONSENT)")]
        constraints = [
            # KAU-CONSENT: a consent in the register is a consent to publication in social media.
            models.CheckConstraint(condition=Q(social_media=True), name="consent_covers_social_media"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("given_on")),
                name="consent_valid_after_given",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_note=""),
                name="consent_withdrawal_has_note",
            ),
        ]
        indexes = [
            # The register's filters "expiring" and "valid": the last day of consents in force.
            models.Index(
                fields=["valid_until"], condition=Q(withdrawn_at__isnull=True), name="consent_valid_until_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.person_name

    def state(self, day: date) -> str:
        """ "withdrawn", "expired", "expiring" (within 30 days) or "valid" on ``day``."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.valid_until is not None and self.valid_until < day:
            return "expired"
        if self.valid_until is not None and self.valid_until <= day + timedelta(days=EXPIRY_WARNING_DAYS):
            return "expiring"
        return "valid"


class CrowdSituation(models.Model):
    """Filming or photographing in a crowd (KAU-CONSENT): where and when, how the people there were
    informed, and the objections they made. Personal data as a consent is (see ``Consent``): never
    exported without the secrecy review, never deleted."""

    place = models.CharField(_("where"), max_length=200)
    occurred_on = models.DateField(_("when"))
    how_informed = models.TextField(_("how people were informed"))
    objections = models.TextField(
        _("objections"), blank=True, help_text=_("Each objection, who and what was done about it.")
    )
    unit = reference_field("core.OrgUnit", _("unit"), related_name="crowd_situations")
    accounts = models.ManyToManyField(
        "accounts.Account", verbose_name=_("accounts"), blank=True, related_name="crowd_situations"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = person_field(_("recorded by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("crowd situation")
        verbose_name_plural = _("crowd situations")
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.place} ({self.occurred_on:%Y-%m-%d})"


class PhotographerCredit(models.Model):
    """The photographer of an image (KAU-CREDIT): the credit line shown next to it, or the agreement
    that replaces the credit, and their agreement to publication in social media, with a kept file or
    a note. Never deleted; never exported without the secrecy review (see ``Consent``)."""

    photographer = models.CharField(_("photographer"), max_length=200)
    credit_line = models.CharField(_("credit line"), max_length=200, blank=True)
    no_credit_agreement = models.TextField(
        _("agreement instead of credit"),
        blank=True,
        help_text=_("When it is agreed that the photographer is not named: what was agreed."),
    )
    agreed_social_media = models.BooleanField(_("agreed to publication in social media"), default=False)
    agreement_note = models.TextField(_("the agreement"), blank=True)
    file = models.FileField(_("agreement file"), upload_to=consent_file_path, max_length=200, blank=True)
    file_type = models.CharField(_("file type"), max_length=30, blank=True)
    file_extension = models.CharField(_("extension"), max_length=5, blank=True)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    unit = reference_field("core.OrgUnit", _("unit"), related_name="photographer_credits")
    accounts = models.ManyToManyField(
        "accounts.Account", verbose_name=_("accounts"), blank=True, related_name="photographer_credits"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = person_field(_("recorded by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("photographer credit")
        verbose_name_plural = _("photographer credits")
        ordering = ["photographer", "pk"]
        constraints = [
            # KAU-CREDIT: credited next to the image, unless agreed otherwise.
            models.CheckConstraint(
                condition=~Q(credit_line="") | ~Q(no_credit_agreement=""), name="credit_line_or_agreement"
            ),
            # KAU-CREDIT: the photographer has agreed to publication in social media.
            models.CheckConstraint(condition=Q(agreed_social_media=True), name="credit_agreed_social_media"),
        ]

    def __str__(self) -> str:
        return self.photographer


class PlannedPost(models.Model):
    """A post an account plans to publish, so that its consents and credit can be linked before it is
    published; linked to its ``Publication`` once the connector has kept it."""

    account = reference_field("accounts.Account", _("account"), null=False, related_name="planned_posts")
    planned_for = models.DateField(_("planned for"))
    description = models.TextField(_("description"))
    has_image = models.BooleanField(_("has a photo or film"), default=True)
    publication = models.OneToOneField(
        "moderation.Publication",
        verbose_name=_("published as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="planned_post",
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = person_field(_("created by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("planned post")
        verbose_name_plural = _("planned posts")
        ordering = ["-planned_for", "-pk"]

    def __str__(self) -> str:
        return f"{self.planned_for:%Y-%m-%d}: {self.description[:40]}"


class PostLink(models.Model):
    """A post (published or planned) linked to a consent, a crowd situation or a photographer credit
    it relies on (KAU-CONSENT, KAU-CREDIT). Never deleted."""

    publication = reference_field("moderation.Publication", _("publication"), related_name="consent_links")
    planned = reference_field(PlannedPost, _("planned post"), related_name="links")
    consent = reference_field(Consent, _("consent"), related_name="links")
    crowd = reference_field(CrowdSituation, _("crowd situation"), related_name="links")
    credit = reference_field(PhotographerCredit, _("photographer credit"), related_name="links")
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = person_field(_("linked by"))

    class Meta:
        verbose_name = _("post link")
        verbose_name_plural = _("post links")
        ordering = ["linked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(publication__isnull=True) ^ Q(planned__isnull=True), name="postlink_one_post"
            ),
            models.CheckConstraint(
                condition=(
                    Q(consent__isnull=False, crowd__isnull=True, credit__isnull=True)
                    | Q(consent__isnull=True, crowd__isnull=False, credit__isnull=True)
                    | Q(consent__isnull=True, crowd__isnull=True, credit__isnull=False)
                ),
                name="postlink_one_record",
            ),
            models.UniqueConstraint(
                fields=["publication", "consent", "crowd", "credit"],
                nulls_distinct=False,
                condition=Q(publication__isnull=False),
                name="postlink_unique_publication",
            ),
            models.UniqueConstraint(
                fields=["planned", "consent", "crowd", "credit"],
                nulls_distinct=False,
                condition=Q(planned__isnull=False),
                name="postlink_unique_planned",
            ),
        ]

    def __str__(self) -> str:
        record = self.consent_id or self.crowd_id or self.credit_id
        return f"{self.publication_id or self.planned_id} → {record}"


class AffectedPost(models.Model):
    """A post that used a consent later withdrawn (KAU-CONSENT): listed when the withdrawal is
    recorded, on its account owner's and deputies' start page until one of them marks it handled."""

    class Outcome(models.TextChoices):
        REMOVED = "removed", _("Removed on the platform")
        REPLACED = "replaced", _("Image replaced")
        KEPT = "kept", _("Kept, with a reason")

    consent = reference_field(Consent, _("consent"), null=False, related_name="affected_posts")
    account = reference_field("accounts.Account", _("account"), null=False, related_name="+")
    publication = reference_field("moderation.Publication", _("publication"), related_name="+")
    planned = reference_field(PlannedPost, _("planned post"), related_name="+")
    listed_at = models.DateTimeField(_("listed at"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = person_field(_("handled by"))
    outcome = models.CharField(_("what was done"), max_length=10, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("post affected by a withdrawal")
        verbose_name_plural = _("posts affected by a withdrawal")
        ordering = ["listed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(publication__isnull=True) ^ Q(planned__isnull=True), name="affected_one_post"
            ),
            models.CheckConstraint(
                condition=Q(handled_at__isnull=True) | ~Q(outcome=""), name="affected_handled_has_outcome"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="kept") | ~Q(reason=""), name="affected_kept_has_reason"
            ),
            models.UniqueConstraint(
                fields=["consent", "publication"],
                condition=Q(publication__isnull=False),
                name="affected_once_per_publication",
            ),
            models.UniqueConstraint(
                fields=["consent", "planned"],
                condition=Q(planned__isnull=False),
                name="affected_once_per_planned",
            ),
        ]
        indexes = [
            # The start page: the unhandled posts of the accounts a person keeps.
            models.Index(fields=["account"], condition=Q(handled_at__isnull=True), name="affected_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consent_id}: {self.publication_id or self.planned_id}"

    @property
    def post(self) -> models.Model:
        return self.publication if self.publication_id else self.planned
