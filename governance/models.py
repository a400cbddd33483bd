"""The organisation tree and the institution's settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import Platform
from governance.profile_guide import ProfilePicture, SenderType, check_profile
from moderation.deadlines import WorkingCalendar


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


# The settings row read once per request: pages read it from several sections (flags, follow-up,
# closing), and each read would be a query. ``remembered_settings`` opens the scope (a middleware
# does, per request); outside one, as in Celery tasks, every call reads the row afresh.
_remembered: ContextVar[dict[str, InstitutionSettings] | None] = ContextVar(
    "institution_settings", default=None
)


@contextmanager
def remembered_settings() -> Iterator[None]:
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


class InstitutionSettingsManager(models.Manager["InstitutionSettings"]):
    def get_solo(self) -> InstitutionSettings:
        """The one settings row, created with the defaults on first use; read once per request."""
        memo = _remembered.get()
        if memo is not None and "solo" in memo:
            return memo["solo"]
        obj, _created = self.get_or_create(pk=1)
        if memo is not None:
            memo["solo"] = obj
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
    extra_days_off = models.JSONField(
        _("extra days off"),
        default=list,
        blank=True,
        help_text=_(
            "The institution's own closed days besides weekends and Swedish holidays, as ISO dates; "
            "no working hours count on them (KAU-RESPONSE-DEADLINE)."
        ),
    )
    startpage_interval_months = models.PositiveSmallIntegerField(
        _("start-page screenshot interval (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("How often each account's start page is captured (KAU-STARTPAGE)."),
    )
    startpage_grace_days = models.PositiveSmallIntegerField(
        _("start-page reminder grace period (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_(
            "Days after the owner is reminded before the deputies and the head of unit are told too "
            "(KAU-STARTPAGE)."
        ),
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

    def working_calendar(self) -> WorkingCalendar:
        """The working days the response deadline counts in (KAU-RESPONSE-DEADLINE)."""
        return WorkingCalendar.with_days_off(date.fromisoformat(day) for day in self.extra_days_off)


class PriorityArea(models.TextChoices):
    """KAU-AREA: the priority areas an account serves."""

    BRAND = "brand", _("Strengthen the brand")
    STUDENT_RELATIONS = "student_relations", _("Build student relations")
    KNOWLEDGE = "knowledge", _("Spread knowledge")


class Audience(models.TextChoices):
    """KAU-AUDIENCE: the audiences of the university's social media."""

    STAFF = "staff", _("Staff")
    STUDENTS = "students", _("Students")
    PARTNERS = "partners", _("Partners and stakeholders")
    POPULAR_SCIENCE = "popular_science", _("Popular science actors")
    PUBLIC = "public", _("Interested public")


class AccountRequestQuerySet(models.QuerySet["AccountRequest"]):
    def open(self) -> AccountRequestQuerySet:
        return self.filter(status__in=AccountRequest.OPEN_STATUSES)


class AccountRequest(models.Model):
    """A request for a new account in the university's name, with its strategy document.

    The request *is* the account's strategy document (KAU-START-CHECKLIST) and content strategy
    (KAU-CONTENT). It moves through the states in governance.workflow, only through
    governance.services: the communications department reviews it (KAU-START-COMMS,
    KAU-PROFILE-GUIDE), the head of the requesting unit decides (KAU-START-APPROVAL). Requests are
    public records and are never deleted; a request no longer wanted is withdrawn.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned for changes")
        REVIEWED = "reviewed", _("Reviewed, awaiting decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.REVIEWED)
    EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
    # What the requester writes, in the order of the form; the form and governance.services read it.
    REQUESTER_FIELDS = (
        "existing_account",
        "unit",
        "platform",
        "platform_other",
        "name",
        "handle",
        "sender_type",
        "profile_picture",
        "areas",
        "audiences",
        "purpose",
        "checklist_audience",
        "checklist_purpose",
        "checklist_goals",
        "checklist_staffing",
        "checklist_resources",
        "content_strategy",
        "editorial_goals",
        "editorial_stakeholders",
        "planned_frequency",
        "resource_hours_per_week",
        "resource_people",
        "terms_checked",
        "terms_note",
        "proposed_owner",
        "blogger",
        "blogger_external_name",
        "blogger_assigning_unit",
    )

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="account_requests",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("requesting unit"), on_delete=models.PROTECT, related_name="account_requests"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    round = models.PositiveSmallIntegerField(_("review round"), default=0)

    # The channel.
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    platform_other = models.CharField(_("other platform"), max_length=100, blank=True)
    name = models.CharField(_("account name"), max_length=200)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    sender_type = models.CharField(_("sender type"), max_length=30, choices=SenderType.choices, blank=True)
    profile_picture = models.CharField(
        _("profile picture"), max_length=20, choices=ProfilePicture.choices, default=ProfilePicture.UNIVERSITY
    )
    areas = models.JSONField(_("priority areas"), default=list, blank=True)
    audiences = models.JSONField(_("audiences"), default=list, blank=True)

    # Purpose and the mandatory checklist (KAU-START-PURPOSE, KAU-START-CHECKLIST).
    purpose = models.TextField(_("purpose and goal"), blank=True)
    checklist_audience = models.TextField(_("who do you want to reach?"), blank=True)
    checklist_purpose = models.TextField(
        _("purpose of the communication and link to the unit's goals"), blank=True
    )
    checklist_goals = models.TextField(_("what should the audience know, feel and do?"), blank=True)
    checklist_staffing = models.TextField(
        _("how is the work shared, and covered when staff change?"), blank=True
    )
    checklist_resources = models.TextField(_("resource inventory"), blank=True)

    # Content strategy and editorial plan (KAU-CONTENT).
    content_strategy = models.TextField(_("content strategy"), blank=True)
    editorial_goals = models.TextField(_("editorial goals"), blank=True)
    editorial_stakeholders = models.TextField(_("stakeholders"), blank=True)
    planned_frequency = models.CharField(_("planned frequency"), max_length=200, blank=True)

    # Resources and terms (KTH-RESOURCES, KTH-TERMS).
    resource_hours_per_week = models.DecimalField(
        _("hours per week"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    resource_people = models.TextField(_("who does the work"), blank=True)
    terms_checked = models.BooleanField(_("terms of use checked"), default=False)
    terms_note = models.TextField(_("note on the terms of use"), blank=True)

    # Responsibility (KAU-RESP-OWNER).
    proposed_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed account owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed deputies"),
        blank=True,
        related_name="+",
    )

    # Blogs (KTH-BLOG).
    blogger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blogger (employee)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    blogger_external_name = models.CharField(_("blogger (not employed)"), max_length=200, blank=True)
    blogger_assigning_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit that assigns the blogger"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Review and decision.
    deviations = models.JSONField(_("deviations from the profile guide"), default=list, blank=True)
    existing_channels = models.JSONField(
        _("existing channels that may serve the need"), default=list, blank=True
    )
    accepted_deviations = models.JSONField(_("deviations accepted"), default=list, blank=True)
    review_advice = models.TextField(_("advice from the communications department"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    # A request for a channel that existed before Kanalvakt: its approval gives that account its
    # strategy document instead of registering a new one (KAU-START-CHECKLIST).
    existing_account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("existing account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("registered account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="request",
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[proposed_deputies])
    objects = AccountRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("new-account request")
        verbose_name_plural = _("new-account requests")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("view_all_requests", _("Can see every new-account request")),
            ("review_request", _("Can review new-account requests for the communications department")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(account__isnull=False, decided_by__isnull=False),
                name="accountrequest_approved_has_account_and_decider",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | Q(decided_by__isnull=False),
                name="accountrequest_rejected_has_decider",
            ),
        ]
        indexes = [
            # The review queue and the heads' decision queue: open requests by state.
            models.Index(fields=["status", "unit"], name="accountrequest_status_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def get_absolute_url(self) -> str:
        return reverse("governance:request_detail", args=[self.pk])

    @property
    def platform_label(self) -> str:
        if self.platform == Platform.OTHER and self.platform_other:
            return self.platform_other
        return str(self.get_platform_display())

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def is_blog(self) -> bool:
        return self.platform == Platform.BLOG

    def current_deviations(self) -> list[dict[str, str]]:
        """The request's departures from the profile guide, worded in the reader's language.

        ``deviations`` keeps the codes found at the last save (the review accepts those); the words
        are made when shown, so a request saved by someone using English reads in Swedish to others.
        """
        if not self.sender_type or not self.platform:
            return []
        return [
            {"code": d.code, "message": d.message, "rule": d.rule}
            for d in check_profile(
                sender_type=self.sender_type,
                platform=self.platform,
                handle=self.handle,
                profile_picture=self.profile_picture,
            )
        ]

    def area_labels(self) -> list[str]:
        return [str(PriorityArea(value).label) for value in self.areas if value in PriorityArea.values]

    def audience_labels(self) -> list[str]:
        return [str(Audience(value).label) for value in self.audiences if value in Audience.values]


class RequestEvent(models.Model):
    """One step in a request's life: who did what, when, in which round, and what they wrote.

    The request's timeline and the decision record read these rows; they are never changed.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Draft created")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for changes")
        REVIEWED = "reviewed", _("Reviewed by the communications department")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMMENTED = "commented", _("Comment")

    request = models.ForeignKey(
        AccountRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    round = models.PositiveSmallIntegerField(_("review round"))
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class AccountRequestUserObjectPermission(UserObjectPermissionBase):
    """A grant on one request to one person: the proposed owner and deputies may read what they
    are named in (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(AccountRequest, on_delete=models.CASCADE)


class AccountRequestGroupObjectPermission(GroupObjectPermissionBase):
    """A grant on one request to a group (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(AccountRequest, on_delete=models.CASCADE)
