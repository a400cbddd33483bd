"""The organisation tree and the institution's settings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrgUnit(models.Model):
    """A unit of the university: the university itself, a faculty, a department, a division, the
    communications department or a project.

    Each unit has a head: the manager with operational responsibility (*chef med verksamhetsansvar*),
    who approves the unit's new accounts and answers for them (KAU-START-APPROVAL, KAU-RESP-MANAGER).
    ``path`` is the materialised path of primary keys from the root ("/1/4/9/"), so that "this unit
    and every unit below it" is one indexed prefix match. It is written only by governance.services.
    """

    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        FACULTY = "faculty", _("Faculty")
        DEPARTMENT = "department", _("Department")
        DIVISION = "division", _("Division")
        COMMUNICATIONS = "communications", _("Communications department")
        PROJECT = "project", _("Project")
        OTHER = "other", _("Other unit")

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head of unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="headed_units",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=models.F("pk")),
                name="orgunit_not_own_parent",
            ),
        ]
        # "path" alone serves the sub-tree prefix match; text_pattern_ops is added in the migration
        # for PostgreSQL so that LIKE 'prefix%' uses it whatever the collation.

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("governance:unit_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "sv").startswith("en"):
            return self.name_en
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def ancestors(self) -> models.QuerySet[OrgUnit]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return OrgUnit.objects.filter(pk__in=ids).exclude(pk=self.pk).order_by("path")


class InstitutionSettingsManager(models.Manager["InstitutionSettings"]):
    def get_solo(self) -> InstitutionSettings:
        """The one settings row, created with the defaults on first use."""
        obj, _created = self.get_or_create(pk=1)
        return obj


class InstitutionSettings(models.Model):
    """The institution's own settings, edited in the app by the social media lead.

    One row (pk = 1, held by a constraint). Defaults follow Karlstad University's policy.
    """

    institution_name = models.CharField(
        _("institution name"), max_length=200, default="Karlstads universitet"
    )
    social_media_address = models.EmailField(
        _("central social media address"),
        default="socialamedier@kau.se",
        help_text=_("Notified at the risk of a pile-on (KAU-DREV)."),
    )
    security_officer_address = models.EmailField(
        _("security officer's address"),
        default="sakerhet@kau.se",
        help_text=_("Notified at once of a threat (KAU-THREAT)."),
    )
    registry_address = models.EmailField(
        _("registry address"),
        default="registrator@kau.se",
        help_text=_("Where diary packages are sent for registration (KAU-DIARY-ACTION)."),
    )
    response_due_hours = models.PositiveSmallIntegerField(
        _("response due after (working hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_(
            "Incoming questions and comments are due after this many working hours (KAU-RESPONSE-DEADLINE)."
        ),
    )
    response_limit_hours = models.PositiveSmallIntegerField(
        _("response limit (working hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(480)],
        help_text=_("The outer limit for an answer, in working hours (KAU-RESPONSE-DEADLINE)."),
    )
    startpage_interval_months = models.PositiveSmallIntegerField(
        _("start-page screenshot interval (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("How often each account's start page is captured (KAU-STARTPAGE)."),
    )
    followup_interval_months = models.PositiveSmallIntegerField(
        _("follow-up interval (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text=_("How often each account is followed up and evaluated (KAU-FOLLOWUP)."),
    )

    history = HistoricalRecords()
    objects = InstitutionSettingsManager()

    class Meta:
        verbose_name = _("institution settings")
        verbose_name_plural = _("institution settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="institutionsettings_single_row"),
            models.CheckConstraint(
                condition=Q(response_due_hours__lte=models.F("response_limit_hours")),
                name="institutionsettings_due_not_after_limit",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Settings for %(name)s") % {"name": self.institution_name})
