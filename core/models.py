"""People, and the operational bookkeeping every app shares. No business models live here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who signs in to Kanalvakt: staff of the university.

    What a person may do follows from their roles (Django groups, see core.roles), the units they
    head (governance.OrgUnit.head) and the accounts they own or deputise for. A user is never
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
                fields=["created_at"], name="notification_unsent_idx", condition=models.Q(sent_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email}"


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
