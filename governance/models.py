"""Requests for new accounts: the strategy, the review and the decision (KAU-START-*)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import Platform
from core.models import OrgUnit, person_field, reference_field
from governance.completeness import CHECKLIST_FIELDS, CONTENT_FIELDS
from governance.profile_guide import ProfilePicture, SenderType, check_profile


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
        *CHECKLIST_FIELDS,
        *CONTENT_FIELDS,
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
    proposed_owner = person_field(_("proposed account owner"))
    proposed_deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed deputies"),
        blank=True,
        related_name="+",
    )

    # Blogs (KTH-BLOG).
    blogger = person_field(_("blogger (employee)"))
    blogger_external_name = models.CharField(_("blogger (not employed)"), max_length=200, blank=True)
    blogger_assigning_unit = reference_field(OrgUnit, _("unit that assigns the blogger"))

    # Review and decision.
    deviations = models.JSONField(_("deviations from the profile guide"), default=list, blank=True)
    existing_channels = models.JSONField(
        _("existing channels that may serve the need"), default=list, blank=True
    )
    accepted_deviations = models.JSONField(_("deviations accepted"), default=list, blank=True)
    review_advice = models.TextField(_("advice from the communications department"), blank=True)
    reviewed_by = person_field(_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decided_by = person_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    # A request for a channel that existed before Kanalvakt: its approval gives that account its
    # strategy document instead of registering a new one (KAU-START-CHECKLIST).
    existing_account = reference_field("accounts.Account", _("existing account"))
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

    def not_editable_message(self) -> str:
        """Why the requester can no longer change the request: it has left the editable states."""
        return gettext("The request is %(status)s and can no longer be changed.") % {
            "status": str(self.get_status_display()).lower()
        }

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
    actor = person_field(_("by"), null=False)
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


# The campaign register (KAU-ADS) lives in a module of its own.
from governance.campaign_models import Campaign  # noqa: E402

__all__ = [
    "AccountRequest",
    "AccountRequestGroupObjectPermission",
    "AccountRequestUserObjectPermission",
    "Audience",
    "Campaign",
    "PriorityArea",
    "RequestEvent",
]
