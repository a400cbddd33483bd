"""The registry of the university's social media accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class Platform(models.TextChoices):
    FACEBOOK_PAGE = "facebook_page", _("Facebook page")
    FACEBOOK_GROUP = "facebook_group", _("Facebook group")
    INSTAGRAM = "instagram", _("Instagram")
    LINKEDIN = "linkedin", _("LinkedIn")
    YOUTUBE = "youtube", _("YouTube")
    X = "x", _("X")
    TIKTOK = "tiktok", _("TikTok")
    BLOG = "blog", _("Blog")
    OTHER = "other", _("Other")


class Account(models.Model):
    """An official social media account in the university's name (KAU-SENDER).

    Every account belongs to a unit, whose head carries overall responsibility for it
    (KAU-RESP-MANAGER), and has an account owner (*kontoansvarig*) and at least one deputy
    (*ersättare*) (KAU-RESP-OWNER). Accounts are never deleted: a channel no longer in use is closed
    (KAU-CLOSE) and stays in the registry as a public record.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSING = "closing", _("Closing")
        CLOSED = "closed", _("Closed")

    unit = models.ForeignKey(
        "governance.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="accounts"
    )
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    platform_other = models.CharField(_("other platform"), max_length=100, blank=True)
    name = models.CharField(_("account name"), max_length=200)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    url = models.URLField(_("address"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("deputies"), related_name="deputy_accounts", blank=True
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[deputies])

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name", "pk"]
        permissions = [("view_all_accounts", _("Can see every account in the registry"))]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "handle"],
                condition=~Q(handle="") & ~Q(status="closed"),
                name="account_unique_open_handle_per_platform",
            ),
            models.CheckConstraint(
                condition=~Q(platform="other") | ~Q(platform_other=""),
                name="account_other_platform_named",
            ),
        ]
        indexes = [
            # The registry's default order and the "my accounts" lookups.
            models.Index(fields=["status", "name"], name="account_status_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform_label})"

    @property
    def platform_label(self) -> str:
        if self.platform == Platform.OTHER and self.platform_other:
            return self.platform_other
        return str(self.get_platform_display())


class AccountUserObjectPermission(UserObjectPermissionBase):
    """An extra grant on one account to one person (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)


class AccountGroupObjectPermission(GroupObjectPermissionBase):
    """An extra grant on one account to a group (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)
