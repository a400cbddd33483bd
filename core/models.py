"""People, and the operational bookkeeping every app shares. No business models live here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who signs in to Kanalvakt: staff of the university.

    What a person may do follows from their roles (Django groups, see core.roles), the units they
    head (governance.OrgUnit.head) and the accounts they own or deputise for. A user is never
    deleted, only deactivated: their name stays on every record they touched.
    """

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
