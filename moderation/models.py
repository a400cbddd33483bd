"""Incoming posts, comments and messages on the registered accounts, and their deadlines."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ItemQuerySet(models.QuerySet["Item"]):
    def unanswered(self) -> ItemQuerySet:
        return self.filter(handled_at__isnull=True)

    def overdue(self, now: datetime) -> ItemQuerySet:
        return self.unanswered().filter(due_at__lte=now)


class Item(models.Model):
    """A post, comment or direct message that came into a registered account.

    Everything visitors write in dialogue with the university is a public record (KAU-PUBLIC-RECORD):
    items are never deleted. ``due_at`` and ``limit_at`` are computed once, by
    moderation.deadlines, when the item is logged (KAU-RESPONSE-DEADLINE).
    """

    class Kind(models.TextChoices):
        POST = "post", _("Post")
        COMMENT = "comment", _("Comment")
        MESSAGE = "message", _("Direct message")

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="items"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    platform_id = models.CharField(_("platform id"), max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    author = models.CharField(_("author"), max_length=200)
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"))
    limit_at = models.DateTimeField(_("limit at"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "platform_id"],
                condition=~Q(platform_id=""),
                name="item_unique_platform_id_per_account",
            ),
            models.CheckConstraint(
                condition=Q(received_at__lte=models.F("due_at")) & Q(due_at__lte=models.F("limit_at")),
                name="item_deadlines_in_order",
            ),
        ]
        indexes = [
            # "My tasks" and the deadline sweep: unanswered items by due time.
            models.Index(
                fields=["account", "due_at"], condition=Q(handled_at__isnull=True), name="item_open_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.author}: {self.text[:40]}"

    def is_overdue(self, now: datetime) -> bool:
        return self.handled_at is None and self.due_at <= now

    def is_past_limit(self, now: datetime) -> bool:
        return self.handled_at is None and self.limit_at <= now
