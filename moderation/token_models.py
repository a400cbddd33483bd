"""The connectors' keys to the moderation API (moderation.api). Registered with the app through
moderation.models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field


class ApiToken(models.Model):
    """A connector's key to the moderation API, issued by the social media lead.

    Only the SHA-256 of the secret is stored; the secret is shown once, when issued. A token writes to
    the accounts it names, or to every account when ``all_accounts`` is set. Revoked, never deleted:
    the items it brought in keep naming it.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("The first characters, to tell tokens apart.")
    )
    secret_hash = models.CharField(_("secret hash"), max_length=64, unique=True)
    all_accounts = models.BooleanField(_("every account"), default=False)
    accounts = models.ManyToManyField(
        "accounts.Account", verbose_name=_("accounts"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("issued at"))
    created_by = person_field(_("issued by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = person_field(_("revoked by"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
