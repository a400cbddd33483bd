"""People, the organisation tree, the institution's settings, and the operational bookkeeping every
app shares. Everything else stands on these; nothing here knows the apps above."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.calendar import WorkingCalendar


def reference_field(
    to: Any, verbose_name: Any, *, null: bool = True, related_name: str = "+", **extra: Any
) -> models.ForeignKey[Any, Any]:
    """A record's column naming another record. Protected, since what it names is deactivated or
    closed and never deleted; ``null`` (and ``blank``) where nothing need be named; no reverse
    accessor unless ``related_name`` asks for one."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        null=null,
        blank=null,
        on_delete=models.PROTECT,
        related_name=related_name,
        **extra,
    )


def person_field(verbose_name: Any, *, null: bool = True, **extra: Any) -> models.ForeignKey[Any, Any]:
    """A record's column naming a person: who did it (``recorded_by``, ``decided_by``) or who is meant
    (``proposed_owner``). Protected, since people are deactivated and never deleted, and with no
    reverse accessor. ``null`` (and ``blank``) where the system itself may act or nobody is named."""
    return reference_field(settings.AUTH_USER_MODEL, verbose_name, null=null, **extra)


def setting_number(
    verbose_name: Any, *, default: int, low: int, high: int, help_text: Any
) -> models.PositiveSmallIntegerField[Any, int]:
    """A whole number in the institution's settings, kept between ``low`` and ``high`` so that a slip of
    the keyboard cannot stop (or flood) the work the number paces."""
    return models.PositiveSmallIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=help_text,
    )


class User(AbstractUser):
    """A person who signs in to Kanalvakt: staff of the university.

    What a person may do follows from their roles (Django groups, see core.roles), the units they
    head (OrgUnit.head) and the accounts they own or deputise for. A user is never
    deleted, only deactivated: their name stays on every record they touched.
    """

    # With single sign-on on, only these people may sign in with a password (core.sso). The flag is
    # in the person's history, so who was given the emergency door, and when, stays on record.
    break_glass = models.BooleanField(
        _("break-glass password sign-in"),
        default=False,
        help_text=_(
            "May sign in with a password while single sign-on is on, for when the identity provider "
            "is unavailable. Keep this to very few people."
        ),
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Heartbeat(models.Model):
    """When a background process last proved it was alive (the health page reads it)."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    seen_at = models.DateTimeField(_("seen at"))
    detail = models.CharField(_("detail"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unsent(self) -> NotificationQuerySet:
        """The outbox: rows still to be delivered (the partial index notification_unsent_idx)."""
        return self.filter(sent_at=None)

    def due_at_once(self) -> NotificationQuerySet:
        """The rows sent one by one as soon as they are written (notification_unsent_idx): not those
        kept for a person's digest (``digest_at``), which ``core.digests`` sends together."""
        return self.filter(sent_at=None, digest_at=None)

    def digest_due(self, now: datetime) -> NotificationQuerySet:
        """The rows whose digest falls due by ``now`` (notification_digest_idx)."""
        return self.filter(sent_at=None, digest_at__lte=now)


class Notification(models.Model):
    """One e-mail to one person about one event: the outbox every feature writes to.

    A service that changes state calls ``core.notifications.notify`` inside its own transaction, so
    the change and the rows that tell people about it commit together or not at all. Delivery is a
    separate step (``deliver_pending``, run by a Celery task enqueued after commit and by beat as a
    safety net) that claims unsent rows, sends them and marks them sent. "Exactly once" is the unique
    ``key``: the same event to the same person is one row however often, or however concurrently,
    the event is reported. Rows are never deleted; they are the record of what was sent to whom, and
    later the in-app list of a person's notifications (``read_at``).
    """

    key = models.CharField(_("key"), max_length=255)
    recipient = models.ForeignKey(
        User,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The address used: a copy of the user's address at the time, or a mailbox that is no user
    # (the security officer's function address, say).
    email = models.EmailField(_("e-mail address"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    url = models.CharField(_("link"), max_length=500, blank=True, help_text=_("The page to act on."))
    kind = models.CharField(_("kind"), max_length=60)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Files sent with the e-mail, as names in the default storage (a diary package to the registry).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Set when the person chose a digest for this kind of e-mail: the row waits until then and is sent
    # in one e-mail with the others due for them (core.digests); empty means at once.
    digest_at = models.DateTimeField(_("in the digest of"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["key"], name="notification_key_unique"),
            models.CheckConstraint(condition=~models.Q(email=""), name="notification_email_present"),
        ]
        indexes = [
            # The delivery sweep: unsent rows, oldest first. Sent rows, nearly all of them, stay out.
            models.Index(
                fields=["created_at"],
                name="notification_unsent_idx",
                condition=models.Q(sent_at=None, digest_at=None),
            ),
            # The digest run: rows waiting for a digest, by the time it falls due.
            models.Index(
                fields=["digest_at", "recipient"],
                name="notification_digest_idx",
                condition=models.Q(sent_at=None, digest_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email}"


class NotificationPreference(models.Model):
    """How a person wants one kind of e-mail: at once, or gathered in an hourly or a daily digest sent
    in working hours. A kind with no row is sent at once, and so are threats, pile-ons and
    escalations whatever a row says (KAU-THREAT, KAU-DREV: core.digests.ALWAYS_AT_ONCE)."""

    class Cadence(models.TextChoices):
        AT_ONCE = "at_once", _("At once")
        HOURLY = "hourly", _("Hourly digest")
        DAILY = "daily", _("Daily digest")

    person = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.PROTECT, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind of e-mail"), max_length=60)
    cadence = models.CharField(_("when"), max_length=10, choices=Cadence.choices, default=Cadence.AT_ONCE)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="notificationpreference_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.kind} {self.cadence}"


class UserSession(models.Model):
    """One signed-in session of one person: the index that lets Kanalvakt end them all at once.

    Django's database sessions hold the person's id only inside their encoded data, so finding a
    person's sessions would mean decoding every session there is. A row is written at sign-in and
    again whenever the session key changes (core.sessions); deactivating a person deletes the
    sessions these rows name. Rows are bookkeeping: a row whose session has already ended is harmless,
    and rows older than the absolute session lifetime are swept with the expired sessions.
    """

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    # Django's session keys are 32 characters; the session table allows 40.
    session_key = models.CharField(_("session key"), max_length=40)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        constraints = [
            models.UniqueConstraint(fields=["session_key"], name="usersession_session_key_unique"),
        ]
        indexes = [
            # The sweep of rows older than the absolute lifetime (core.sessions.forget_old_sessions).
            models.Index(fields=["created_at"], name="usersession_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class OrgUnit(models.Model):
    """A unit of the university: the university itself, a faculty, a department, a division, the
    communications department or a project.

    Each unit has a head: the manager with operational responsibility (*chef med verksamhetsansvar*),
    who approves the unit's new accounts and answers for them (KAU-START-APPROVAL, KAU-RESP-MANAGER).
    ``path`` is the materialised path of primary keys from the root ("/1/4/9/"), so that "this unit
    and every unit below it" is one indexed prefix match.
    It is written only by governance.services (the unit pages).
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
    parent = reference_field("self", _("parent unit"), related_name="children")
    head = person_field(_("head of unit"), related_name="headed_units")
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
        from core.units import path_ids  # core.units reads this module's models

        return OrgUnit.objects.filter(pk__in=path_ids(self.path)).exclude(pk=self.pk).order_by("path")


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
    response_due_hours = setting_number(
        _("response due after (working hours)"),
        default=24,
        low=1,
        high=240,
        help_text=_(
            "Incoming questions and comments are due after this many working hours (KAU-RESPONSE-DEADLINE)."
        ),
    )
    response_limit_hours = setting_number(
        _("response limit (working hours)"),
        default=48,
        low=1,
        high=480,
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
    startpage_interval_months = setting_number(
        _("start-page screenshot interval (months)"),
        default=6,
        low=1,
        high=24,
        help_text=_("How often each account's start page is captured (KAU-STARTPAGE)."),
    )
    startpage_grace_days = setting_number(
        _("start-page reminder grace period (days)"),
        default=14,
        low=1,
        high=90,
        help_text=_(
            "Days after the owner is reminded before the deputies and the head of unit are told too "
            "(KAU-STARTPAGE)."
        ),
    )
    threat_reacknowledge_hours = setting_number(
        _("threat re-alert after (working hours)"),
        default=2,
        low=1,
        high=48,
        help_text=_(
            "A threat nobody has acknowledged after this many working hours is alerted again, to the "
            "security officer and the social media lead (KAU-THREAT)."
        ),
    )
    take_expires_hours = setting_number(
        _("an item taken is released after (hours)"),
        default=4,
        low=1,
        high=72,
        help_text=_(
            'Someone who takes an item ("I\'m handling this") holds it this many hours unless they '
            "answer, close or release it first; then others see it as free again."
        ),
    )
    followup_interval_months = setting_number(
        _("follow-up interval (months)"),
        default=12,
        low=1,
        high=36,
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
