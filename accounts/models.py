"""The registry of the university's social media accounts."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.grants import granted_to
from core.models import person_field
from core.units import in_subtrees, unit_paths_headed_by


@functools.lru_cache(maxsize=8)
def _platform_labels(language: str | None) -> dict[str, str]:
    """The platforms' names in ``language``, translated once: lists show hundreds of accounts."""
    return {value: str(label) for value, label in Platform.choices}


class Platform(models.TextChoices):
    FACEBOOK_PAGE = "facebook_page", _("Facebook page")
    FACEBOOK_GROUP = "facebook_group", _("Facebook group")
    INSTAGRAM = "instagram", _("Instagram")
    LINKEDIN = "linkedin", _("LinkedIn")
    YOUTUBE = "youtube", _("YouTube")
    X = "x", _("X")
    TIKTOK = "tiktok", _("TikTok")
    BLUESKY = "bluesky", _("Bluesky")
    MASTODON = "mastodon", _("Mastodon")
    BLOG = "blog", _("Blog")
    OTHER = "other", _("Other")


class AccountQuerySet(models.QuerySet["Account"]):
    """The registry's one vocabulary for who may see and who keeps an account."""

    def visible_to(self, user: Any) -> AccountQuerySet:
        """Every account ``user`` may see, as one filter.

        The communications department, the social media lead and the registry see every account.
        Anyone else sees the accounts they own or deputise for, the accounts of the units they head and
        of every unit below those (KAU-RESP-MANAGER), and any account granted to them through
        django-guardian.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.has_perm("accounts.view_all_accounts"):
            return self.all()
        return self.filter(
            _kept_by(user)
            | granted_to(
                user,
                codename="view_account",
                user_grants=AccountUserObjectPermission.objects,
                group_grants=AccountGroupObjectPermission.objects,
            )
            | in_subtrees(unit_paths_headed_by(user))
        )

    def kept_by(self, user: Any) -> AccountQuerySet:
        """The accounts ``user`` owns or deputises for (KAU-RESP-OWNER); for one account,
        ``accounts.selectors.is_owner_or_deputy``."""
        return self.filter(_kept_by(user))

    def in_subtree(self, unit: Any) -> AccountQuerySet:
        """The accounts of ``unit`` and of every unit below it: one prefix match on the tree path."""
        return self.filter(in_subtrees([unit.path]))


def _kept_by(user: Any) -> Q:
    return Q(owner=user) | Q(pk__in=Account.deputies.through.objects.filter(user=user).values("account_id"))


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
        "core.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="accounts"
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
    registered_by = person_field(_("registered by"))

    # KAU-FOLLOWUP: when the next follow-up is due; an interval of the account's own overrides the
    # institution's. Written by accounts.services whenever its inputs change.
    followup_interval_months = models.PositiveSmallIntegerField(
        _("follow-up interval (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the institution's interval."),
    )
    followup_due_on = models.DateField(_("next follow-up due"), null=True, blank=True)

    # KAU-STARTPAGE: the last start-page screenshot, and a major change (owner, name, handle) that
    # asks for a new one before the interval has passed.
    last_startpage_at = models.DateTimeField(_("last start-page screenshot"), null=True, blank=True)
    startpage_needed_since = models.DateTimeField(
        _("new start-page screenshot needed since"), null=True, blank=True
    )
    # Where the platform shows the start page without a login, Kanalvakt captures it by itself.
    capture_start_page = models.BooleanField(
        _("capture the start page automatically"),
        default=False,
        help_text=_("Only where the platform shows the page without signing in (KAU-STARTPAGE)."),
    )
    # KAU-ADS: the policy's rule on paid advertising leaves out the university's subsidiaries, so a
    # campaign on a subsidiary's account needs no approval by the communications department.
    subsidiary = models.BooleanField(
        _("subsidiary's account"),
        default=False,
        help_text=_("A subsidiary's account: outside the policy's rule on paid advertising (KAU-ADS)."),
    )

    # KAU-INFORM and KAU-SENDER: confirmed by the owner, with who and when.
    notice_confirmed_at = models.DateTimeField(_("public-records notice confirmed"), null=True, blank=True)
    notice_confirmed_by = person_field(_("notice confirmed by"))
    sender_confirmed_at = models.DateTimeField(_("sender and profile confirmed"), null=True, blank=True)
    sender_confirmed_by = person_field(_("sender confirmed by"))

    # KAU-CLOSE: closing is a workflow; the account stays in the registry when closed.
    closing_started_at = models.DateTimeField(_("closing started"), null=True, blank=True)
    closing_reason = models.TextField(_("reason for closing"), blank=True)
    commenting = models.CharField(
        _("commenting"),
        max_length=20,
        blank=True,
        choices=[
            ("on", _("Comments are open")),
            ("off", _("Comments are switched off")),
            ("not_possible", _("The platform does not allow switching comments off")),
        ],
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = person_field(_("closed by"))

    history = HistoricalRecords(m2m_fields=[deputies])

    objects = AccountQuerySet.as_manager()

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
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="account_closed_has_closed_at",
            ),
        ]
        indexes = [
            # The registry filtered by status, in name order.
            models.Index(fields=["status", "name"], name="account_status_name_idx"),
            # The registry's default order (name, then id): the first page reads 50 rows of the index
            # rather than sorting every account.
            models.Index(fields=["name", "id"], name="account_name_idx"),
            # The daily follow-up sweep: active accounts by due date (KAU-FOLLOWUP).
            models.Index(
                fields=["followup_due_on"], condition=~Q(status="closed"), name="account_followup_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform_label})"

    @property
    def platform_label(self) -> str:
        if self.platform == Platform.OTHER and self.platform_other:
            return self.platform_other
        return _platform_labels(get_language()).get(self.platform, self.platform)


class AccountUserObjectPermission(UserObjectPermissionBase):
    """An extra grant on one account to one person (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)


class AccountGroupObjectPermission(GroupObjectPermissionBase):
    """An extra grant on one account to a group (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Account, on_delete=models.CASCADE)


class Absence(models.Model):
    """A period when a person is away (vacation, leave) and cannot watch their accounts.

    The daily coverage job reads absences to find days when nobody among an account's owner and
    deputies is available (KAU-RESP-DAILY). Absences are kept, not deleted: they explain a gap.
    """

    class Kind(models.TextChoices):
        VACATION = "vacation", _("Vacation")
        LEAVE = "leave", _("Leave")
        OTHER = "other", _("Other absence")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="absences"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to and including"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VACATION)
    note = models.CharField(_("note"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            ),
        ]
        indexes = [
            # The coverage job: absences overlapping the next 14 days.
            models.Index(
                fields=["ends_on", "starts_on"],
                name="absence_period_idx",
                condition=Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.starts_on}–{self.ends_on}"


class CoverageGap(models.Model):
    """A run of days when nobody among an account's owner and deputies is available (KAU-RESP-DAILY).

    Found by the daily coverage job; one row per (account, first day), so the owner, the deputies
    and the head are notified once per gap however often the job runs. ``resolved_at`` is set when
    a later run finds the days covered.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="gaps"
    )
    starts_on = models.DateField(_("first day without cover"))
    ends_on = models.DateField(_("last day without cover"))
    found_at = models.DateTimeField(_("found at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("coverage gap")
        verbose_name_plural = _("coverage gaps")
        ordering = ["starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "starts_on"], name="coveragegap_once_per_start"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="coveragegap_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "ends_on"],
                condition=Q(resolved_at__isnull=True),
                name="coveragegap_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.starts_on}–{self.ends_on}"


class FollowUp(models.Model):
    """A regular follow-up and evaluation of an account (KAU-FOLLOWUP): statistics, the two
    checklist answers, value against resources, and a decision. Never changed once recorded."""

    class Traffic(models.TextChoices):
        UP = "up", _("Growing")
        SAME = "same", _("Unchanged")
        DOWN = "down", _("Declining")

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    class Decision(models.TextChoices):
        CONTINUE = "continue", _("Continue")
        CHANGE = "change", _("Continue with changes")
        CLOSE = "close", _("Close the account")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="followups"
    )
    period_end = models.DateField(_("period up to"))
    followers = models.PositiveIntegerField(_("followers"))
    posts = models.PositiveIntegerField(_("posts in the period"))
    reactions = models.PositiveIntegerField(_("reactions in the period"))
    comments = models.PositiveIntegerField(_("comments in the period"))
    traffic = models.CharField(_("traffic"), max_length=4, choices=Traffic.choices)
    reaches_audiences = models.CharField(
        _("do we reach the audiences we want to reach?"), max_length=6, choices=Answer.choices
    )
    keeps_up = models.CharField(
        _("can we keep up the frequency and monitoring required?"), max_length=6, choices=Answer.choices
    )
    value_estimate = models.TextField(_("value against the resources it takes"))
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = person_field(_("recorded by"), null=False)
    # KAU-FOLLOWUP: where each figure came from, figure name → FigureSource, for the figures the form
    # pre-filled and the person kept unchanged; a figure not named was typed by hand. Empty (None) for
    # the follow-ups recorded before the sources were kept, whose figures' origin is not known.
    figure_sources = models.JSONField(_("where the figures came from"), null=True, blank=True, default=None)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-period_end", "-pk"]
        indexes = [models.Index(fields=["account", "-period_end"], name="followup_account_period_idx")]

    def __str__(self) -> str:
        return f"{self.account}: {self.period_end}"

    @property
    def figure_marks(self) -> dict[str, tuple[str, str]]:
        """Each figure's origin as (code, words): "platform", "counted" or "hand" (KAU-FOLLOWUP: figures
        typed by hand are marked as such); {} when the follow-up predates the marking."""
        if self.figure_sources is None:
            return {}
        given = self.figure_sources if isinstance(self.figure_sources, dict) else {}
        marks: dict[str, tuple[str, str]] = {}
        for name in FOLLOWUP_FIGURES:
            source = given.get(name)
            if source in FigureSource.values:
                marks[name] = (source, str(FigureSource(source).label))
            else:
                marks[name] = (HAND, str(_("typed by hand")))
        return marks


# The follow-up's figures (KAU-FOLLOWUP), in the form's order.
FOLLOWUP_FIGURES = ("followers", "posts", "reactions", "comments")
HAND = "hand"  # a figure typed (or changed) by the person


class FigureSource(models.TextChoices):
    """Where a follow-up's pre-filled figure came from (KAU-FOLLOWUP)."""

    PLATFORM = "platform", _("from the platform")
    COUNTED = "counted", _("counted in Kanalvakt")


# The counts a reading holds: the platform's followers, and its running totals of the account's posts,
# views and reactions received (the same names as connectors.adapters.FIGURE_KEYS).
READING_KEYS = ("followers", "posts_total", "views_total", "reactions_total")


class FigureReading(models.Model):
    """What a platform said of an account's counts on one day (KAU-FOLLOWUP): followers, and the running
    totals of its posts, views and reactions received, read by the daily job (connectors.figures) and
    written by ``accounts.figures.record_reading`` only.

    One per account and day, the day's first reading kept: a second run of the job the same day finds
    the day already read and neither calls the platform nor writes (the unique key is the backstop). A
    reading is what the platform said at that moment, so it is never changed and never deleted (on
    PostgreSQL a trigger refuses both, KAU-PUBLIC-RECORD); the follow-up form and the account page's
    chart read the history. A count the platform does not give is empty; a reading holds at least one.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="figure_readings"
    )
    taken_on = models.DateField(_("day read"))
    followers = models.PositiveIntegerField(_("followers"), null=True, blank=True)
    posts_total = models.PositiveIntegerField(_("posts in all"), null=True, blank=True)
    views_total = models.PositiveIntegerField(_("views in all"), null=True, blank=True)
    reactions_total = models.PositiveIntegerField(_("reactions in all"), null=True, blank=True)
    source = models.CharField(_("read from"), max_length=20)
    taken_at = models.DateTimeField(_("reading taken at"))

    class Meta:
        verbose_name = _("figure reading")
        verbose_name_plural = _("figure readings")
        ordering = ["-taken_on", "-pk"]
        constraints = [
            # Once a day per account; its index (account, taken_on) also serves the follow-up's period
            # lookup and the account page's chart, both "this account, days between two dates".
            models.UniqueConstraint(fields=["account", "taken_on"], name="figurereading_once_a_day"),
            models.CheckConstraint(
                condition=Q(followers__isnull=False)
                | Q(posts_total__isnull=False)
                | Q(views_total__isnull=False)
                | Q(reactions_total__isnull=False),
                name="figurereading_has_a_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.taken_on}"


# Ambassadors and bloggers on assignment (KAU-PRIVATE, KTH-BLOG), in a module of their own.
from accounts.ambassador_models import Ambassador, AmbassadorQuerySet  # noqa: E402, F401
