"""Connections of registered accounts to their platforms, what the platforms sent (webhook deliveries
and the events in them), and what Kanalvakt sends back (answers and removals)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field
from core.secrets import decrypt, encrypt


class Platform(models.TextChoices):
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    YOUTUBE = "youtube", _("YouTube")
    LINKEDIN = "linkedin", _("LinkedIn")
    TIKTOK = "tiktok", _("TikTok")
    BLUESKY = "bluesky", _("Bluesky")
    MASTODON = "mastodon", _("Mastodon")


# The registry's platform of an account that a connector serves (accounts.models.Platform), and the
# connector's platform.
PLATFORM_OF_ACCOUNT: dict[str, str] = {
    "facebook_page": Platform.FACEBOOK,
    "instagram": Platform.INSTAGRAM,
    "youtube": Platform.YOUTUBE,
    "linkedin": Platform.LINKEDIN,
    "tiktok": Platform.TIKTOK,
    "bluesky": Platform.BLUESKY,
    "mastodon": Platform.MASTODON,
}
# Meta's platforms: webhooks, and the hourly reconciliation poll (connectors.reconcile). Every other
# platform is polled on its own interval (connectors.polling) by its module (connectors.adapters).
META_PLATFORMS = frozenset({Platform.FACEBOOK, Platform.INSTAGRAM})


class Connection(models.Model):
    """One registered account linked to its identity on the platform (a Facebook Page id, an Instagram
    professional account id, a YouTube channel id, a LinkedIn organisation, a Bluesky DID, a Mastodon
    account on its server), with the credentials to read and answer and its health.

    The access token is stored encrypted (core.secrets, ``KANALVAKT_SECRETS_KEY``); only
    ``token`` reads it. What a platform module keeps between calls (a session, a refresh token) is
    ``session``, encrypted the same way; where the poll has come to is ``cursor``. Without a token a
    Meta connection still receives webhooks but cannot answer.
    A connection that needs attention raises the registry's flag (KAU-RESP-DAILY: items may be going
    unseen). Never deleted: a connection no longer wanted is disconnected and keeps its history.
    """

    class Health(models.TextChoices):
        ACTIVE = "active", _("Active")
        ATTENTION = "attention", _("Needs attention")
        DISCONNECTED = "disconnected", _("Disconnected")

    class Cause(models.TextChoices):
        """Why a connection needs attention; each is told once (connectors.health)."""

        TOKEN_EXPIRED = "token_expired", _("The access token has expired or was revoked")
        PERMISSION = "permission", _("A permission is missing")
        UNPUBLISHED = "unpublished", _("The page is unpublished or cannot be reached")
        NO_TOKEN = "no_token", _("No access token: answers cannot be posted")
        FAILING = "failing", _("The platform keeps refusing or failing")

    account = reference_field("accounts.Account", _("account"), null=False, related_name="connections")
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    external_id = models.CharField(
        _("platform identity"), max_length=200, help_text=_("The account's id on the platform.")
    )
    server_url = models.CharField(
        _("server"),
        max_length=200,
        blank=True,
        help_text=_("The account's server, for platforms with many (Mastodon, Bluesky)."),
    )
    name_on_platform = models.CharField(_("name on the platform"), max_length=200, blank=True)
    token_encrypted = models.TextField(_("access token (encrypted)"), blank=True, editable=False)
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    scopes = models.JSONField(_("permissions granted"), default=list, blank=True)
    session_encrypted = models.TextField(_("session (encrypted)"), blank=True, editable=False)
    connected_by = person_field(_("connected by"))
    connected_at = models.DateTimeField(_("connected at"))

    health = models.CharField(_("health"), max_length=12, choices=Health.choices, default=Health.ACTIVE)
    cause = models.CharField(_("needs attention because"), max_length=20, choices=Cause.choices, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful call"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    # The reconciliation poll and the backfill (connectors.reconcile).
    polled_until = models.DateTimeField(_("fetched up to"), null=True, blank=True)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)
    # The polled platforms (connectors.polling): the platform's own marker of where the last poll
    # ended (a cursor, a since_id, a time), and the failures in a row that the backoff counts.
    cursor = models.JSONField(_("poll position"), default=dict, blank=True)
    poll_failures = models.PositiveSmallIntegerField(_("failed polls in a row"), default=0)
    backfill_state = models.CharField(
        _("backfill"),
        max_length=10,
        choices=[
            ("", _("Not started")),
            ("running", _("Running")),
            ("done", _("Done")),
            ("failed", _("Failed")),
        ],
        blank=True,
    )
    backfill_progress = models.JSONField(_("backfill progress"), default=dict, blank=True)

    disconnected_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)
    disconnected_by = person_field(_("disconnected by"))

    history = HistoricalRecords(
        excluded_fields=[
            "last_event_at",
            "last_success_at",
            "next_poll_at",
            "cursor",
            "poll_failures",
            "session_encrypted",
        ]
    )

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["account__name", "platform", "pk"]
        constraints = [
            # One live connection per platform identity, and per account and platform.
            # An id is unique on its server (Mastodon's ids are per server; "" where there is one).
            models.UniqueConstraint(
                fields=["platform", "server_url", "external_id"],
                condition=Q(disconnected_at__isnull=True),
                name="connection_unique_identity",
            ),
            models.UniqueConstraint(
                fields=["account", "platform"],
                condition=Q(disconnected_at__isnull=True),
                name="connection_unique_per_account",
            ),
        ]
        indexes = [
            # The reconciliation sweep's claim: live connections whose poll is due.
            models.Index(
                fields=["next_poll_at"], condition=Q(disconnected_at__isnull=True), name="connection_poll_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.external_id}"

    @property
    def token(self) -> str:
        return decrypt(self.token_encrypted)

    @token.setter
    def token(self, value: str) -> None:
        self.token_encrypted = encrypt(value)

    @property
    def session(self) -> dict[str, Any]:
        """What the platform module keeps between calls; {} when nothing (or nothing readable)."""
        if not self.session_encrypted:
            return {}
        try:
            value = json.loads(decrypt(self.session_encrypted))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @session.setter
    def session(self, value: dict[str, Any]) -> None:
        self.session_encrypted = encrypt(json.dumps(value)) if value else ""

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)

    @property
    def is_live(self) -> bool:
        return self.disconnected_at is None


class Delivery(models.Model):
    """One webhook POST exactly as received (the raw body), stored before anything is read from it and
    answered 200 at once; a worker splits it into events. Idempotent on the body's SHA-256: Meta's
    retry of the same delivery stores nothing new."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Processed")
        FAILED = "failed", _("Could not be read")

    platform = models.CharField(_("platform"), max_length=20, default="meta")
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    body = models.BinaryField(_("body as received"))
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["received_at", "pk"]
        indexes = [
            # The worker's claim: deliveries still waiting, oldest first.
            models.Index(
                fields=["received_at", "id"], condition=Q(status="pending"), name="delivery_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.received_at:%Y-%m-%d %H:%M:%S} {self.sha256[:12]}"


class Event(models.Model):
    """One change or message inside a delivery (or fetched by the reconciliation poll), and what
    Kanalvakt made of it. Every event is kept, also those that create nothing."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Item created")
        UPDATED = "updated", _("Item updated")
        DUPLICATE = "duplicate", _("Already known")
        PUBLISHED = "published", _("Kept as the account's publication")
        NOT_CONNECTED = "not_connected", _("No connection for this page")
        UNUSED = "unused", _("A kind Kanalvakt does not use")
        ERROR = "error", _("Malformed")

    delivery = reference_field(Delivery, _("delivery"), related_name="events")
    connection = reference_field(Connection, _("connection"), related_name="events")
    object_type = models.CharField(_("object"), max_length=20)
    entry_id = models.CharField(_("entry id"), max_length=100, blank=True)
    field = models.CharField(_("field"), max_length=40, blank=True)
    payload = models.JSONField(_("payload"))
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)
    item = reference_field("moderation.Item", _("item"))
    processed_at = models.DateTimeField(_("processed at"))

    class Meta:
        verbose_name = _("platform event")
        verbose_name_plural = _("platform events")
        ordering = ["processed_at", "pk"]
        indexes = [models.Index(fields=["connection", "-processed_at"], name="event_connection_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}/{self.field} {self.get_outcome_display()}"


class Outgoing(models.Model):
    """An answer or a removal to be carried out on the platform. Written in the same transaction as
    the decision in moderation (the answer is recorded first); a worker sends it after the commit.

    An outcome that is not known (the call timed out after it was sent) is never retried blindly: it
    waits as UNKNOWN until someone checks on the platform (connectors.outgoing.check)."""

    class Action(models.TextChoices):
        REPLY = "reply", _("Answer")
        HIDE = "hide", _("Hide")
        DELETE = "delete", _("Delete")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        DONE = "done", _("Done on the platform")
        FAILED = "failed", _("Refused by the platform")
        UNKNOWN = "unknown", _("Outcome unknown")
        NOT_POSSIBLE = "not_possible", _("Not possible on the platform")

    connection = reference_field(Connection, _("connection"), null=False, related_name="outgoing")
    item = reference_field("moderation.Item", _("item"), null=False, related_name="outgoing")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    text = models.TextField(_("text"), blank=True)
    requested_by = person_field(_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    platform_ref = models.CharField(_("id on the platform"), max_length=200, blank=True)
    platform_url = models.URLField(_("link on the platform"), max_length=500, blank=True)
    reason = models.TextField(_("the platform's reason"), blank=True)
    response = models.JSONField(_("the platform's answer"), default=dict, blank=True)

    history = HistoricalRecords(excluded_fields=["claimed_at"])

    class Meta:
        verbose_name = _("outgoing action")
        verbose_name_plural = _("outgoing actions")
        ordering = ["requested_at", "pk"]
        indexes = [
            # The sender's claim: what is waiting, by when it may be sent.
            models.Index(
                fields=["send_after", "id"],
                condition=Q(status__in=["queued", "sending"]),
                name="outgoing_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.item_id}: {self.get_status_display()}"
