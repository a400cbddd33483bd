"""Saved replies (*svarsmallar*, KAU-RESPONSE-TONE). Registered with the app through moderation.models."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


class SavedReplyQuerySet(models.QuerySet["SavedReply"]):
    def active(self) -> SavedReplyQuerySet:
        return self.filter(active=True)

    def for_unit_path(self, path: str) -> SavedReplyQuerySet:
        """The replies that apply to an account of the unit at ``path``: the institution's (no unit)
        and those of the unit and every unit above it, read from the path's ids in one query."""
        return self.filter(unit_path_q(path))


def unit_path_q(path: str) -> Q:
    """The replies of the institution (no unit) and of the unit at ``path`` and every unit above it."""
    ids = [int(part) for part in path.strip("/").split("/") if part]
    return Q(unit__isnull=True) | Q(unit_id__in=ids)


class SavedReply(models.Model):
    """A saved reply (*svarsmall*): a text the communications department keeps for answers that recur,
    for the whole institution (no unit) or for one unit and the units below it. A moderator inserts
    it into the answer and edits it before sending, so every answer stays professional, factual and
    open (KAU-RESPONSE-TONE). Retired, never deleted: the history says who wrote what."""

    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    unit = reference_field(
        "core.OrgUnit",
        _("unit"),
        help_text=_("Empty for the whole institution; otherwise the unit and the units below it."),
    )
    active = models.BooleanField(_("in use"), default=True)
    # KAU-CRISIS: a crisis's own reply, offered first on every item while that crisis is active, and
    # on no item once it has ended.
    crisis = reference_field(
        "moderation.Crisis",
        _("crisis"),
        related_name="replies",
        help_text=_("Empty for an ordinary saved reply; otherwise offered only while this crisis is active."),
    )
    created_by = person_field(_("created by"))
    created_at = models.DateTimeField(_("created at"))
    updated_by = person_field(_("updated by"))
    updated_at = models.DateTimeField(_("updated at"))

    history = HistoricalRecords()

    objects = SavedReplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="savedreply_title_not_empty"),
            models.CheckConstraint(condition=~Q(text=""), name="savedreply_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title
