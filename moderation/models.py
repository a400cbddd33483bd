"""Incoming posts, comments and messages on the registered accounts, their deadlines, the moderation
log, the alerts that route an item to the people who must know, and the connectors' API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field
from moderation.registration_models import Registration, flag_agrees, not_needed_is_decided

if TYPE_CHECKING:
    from core.models import User


class Classification(models.TextChoices):
    """What an item asks of the account (KAU-RESPONSE-*)."""

    QUESTION = "question", _("Question")
    COMMENT = "comment", _("Comment")
    CRITICISM = "criticism", _("Criticism")
    NO_ANSWER = "no_answer", _("Needs no answer")


class Prohibited(models.IntegerChoices):
    """The six categories of prohibited content (KAU-PROHIBITED 1–6)."""

    SENSITIVE_DATA = 1, _("Sensitive personal data")
    CLASSIFIED = 2, _("Classified information")
    DEFAMATION = 3, _("Defamation, personal attacks, violation of privacy or agitation against a group")
    INCITEMENT = 4, _("Incitement, unlawful threats or unlawful depiction of violence")
    COPYRIGHT = 5, _("Unauthorised use of copyrighted material")
    ADVERTISING = 6, _("Advertising or product placement")


class PlatformStatus(models.TextChoices):
    """What became of an item or a publication on the platform, when it is no longer as received."""

    HIDDEN = "hidden", _("Hidden on the platform")
    REMOVED = "removed", _("Removed from the platform")


class Severity(models.IntegerChoices):
    """How urgently an open item must be seen, highest first: the flags that route it to someone who
    must know at once (KAU-THREAT, KAU-DREV, KAU-PROHIBITED). Every list sorts on it first."""

    NONE = 0, ""
    PROHIBITED = 1, _("Prohibited content")
    PILE_ON = 2, _("Pile-on risk")
    THREAT = 3, _("Threat")


def severity_rank() -> Case:
    """The item's ``Severity`` as a database expression: its highest flag while it is open, 0 once it
    has been dealt with (so that an old threat does not lead the inbox for ever). The lists order on it
    first, and the indexes item_open_severity_due_idx and item_severity_received_idx hold it."""
    return Case(
        When(handled_at__isnull=False, then=Value(Severity.NONE)),
        When(threat=True, then=Value(Severity.THREAT)),
        When(pile_on_risk=True, then=Value(Severity.PILE_ON)),
        When(~Q(prohibited=[]), then=Value(Severity.PROHIBITED)),
        default=Value(Severity.NONE),
        output_field=models.SmallIntegerField(),
    )


class ItemQuerySet(models.QuerySet["Item"]):
    def with_severity(self) -> ItemQuerySet:
        """Each item's ``rank`` (its Severity while open), for ordering and keyset paging."""
        return self.alias(rank=severity_rank())

    def flagged(self, flag: str) -> ItemQuerySet:
        """Items with the flag: "threat", "pile_on", "prohibited", or "any" of them."""
        conditions = {
            "threat": Q(threat=True),
            "pile_on": Q(pile_on_risk=True),
            "prohibited": ~Q(prohibited=[]),
        }
        if flag == "any":
            return self.filter(conditions["threat"] | conditions["pile_on"] | conditions["prohibited"])
        return self.filter(conditions[flag])

    def unanswered(self) -> ItemQuerySet:
        return self.filter(handled_at__isnull=True)

    def overdue(self, now: datetime) -> ItemQuerySet:
        return self.unanswered().filter(due_at__lte=now)

    def alert_due(self, now: datetime) -> ItemQuerySet:
        """Items whose next reminder or escalation is due: the sweep's claim (item_alert_after_idx)."""
        return self.filter(alert_after__lte=now)


class Item(models.Model):
    """A post, comment or direct message that came into a registered account.

    Everything visitors write in dialogue with the university is a public record (KAU-PUBLIC-RECORD):
    items are never deleted (on PostgreSQL a trigger refuses it). ``due_at`` and ``limit_at`` are
    computed by core.calendar when the item is logged, and again only when the institution's
    calendar changes (KAU-RESPONSE-DEADLINE). ``alert_after`` is the sweep's bookkeeping: the next
    instant a reminder or escalation falls due, or empty when nothing more will.
    """

    class Kind(models.TextChoices):
        POST = "post", _("Post")
        COMMENT = "comment", _("Comment")
        MESSAGE = "message", _("Direct message")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed without answer")
        REMOVED = "removed", _("Removed")

    class Source(models.TextChoices):
        FORM = "form", _("Logged by hand")
        IMPORT = "import", _("Imported from a file")
        API = "api", _("Sent by a connector")
        PLATFORM = "platform", _("Received from the platform")

    account = reference_field("accounts.Account", _("account"), null=False, related_name="items")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    platform_id = models.CharField(_("platform id"), max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    author = models.CharField(_("author"), max_length=200)
    author_platform_id = models.CharField(
        _("author's platform id"), max_length=200, blank=True, help_text=_("The author's id on the platform.")
    )
    in_reply_to = models.CharField(
        _("in reply to"),
        max_length=200,
        blank=True,
        help_text=_("The platform id of the post or comment this one answers."),
    )
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"))
    limit_at = models.DateTimeField(_("limit at"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.FORM)

    # Triage.
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices, blank=True
    )
    prohibited = models.JSONField(
        _("prohibited content"), default=list, blank=True, help_text=_("KAU-PROHIBITED categories 1–6.")
    )
    pile_on_risk = models.BooleanField(_("risk of a pile-on"), default=False)
    threat = models.BooleanField(_("threat"), default=False)
    requires_registration = models.BooleanField(_("requires registration"), default=False)
    # The registration decision (KAU-DIARY-ACTION, KAU-DIARY-NONE): who decided, when, why, and where
    # an item that needs no registration is found on the platform (moderation.registration).
    registration = models.CharField(
        _("registration"), max_length=10, choices=Registration.choices, default=Registration.UNDECIDED
    )
    registration_decided_by = person_field(_("registration decided by"))
    registration_decided_at = models.DateTimeField(_("registration decided at"), null=True, blank=True)
    registration_reason = models.TextField(_("why"), blank=True)
    registration_found_at = models.TextField(_("found on the platform at"), blank=True)

    # What was done.
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = person_field(_("handled by"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    close_reason = models.TextField(_("reason for closing"), blank=True)
    evidence = reference_field("archive.Screenshot", _("evidence screenshot"))
    # What others did to it on the platform (its author deleted it, the platform hid it): recorded,
    # never acted on by deleting anything here (KAU-PUBLIC-RECORD).
    platform_status = models.CharField(
        _("on the platform"), max_length=10, choices=PlatformStatus.choices, blank=True
    )

    alert_after = models.DateTimeField(_("next reminder at"), null=True, blank=True, editable=False)

    # "I'm handling this": who took the item, and when. A take lapses by itself after the institution's
    # ``take_expires_hours`` (read at read time: nothing sweeps it) and ends when the item is dealt with.
    taken_by = person_field(_("taken by"))
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    logged_by = person_field(_("logged by"))
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    # Set when an approved disposal (gallring, archive.disposal_execution) destroyed the item's contents;
    # the row stays, with its dates and log, as the record that the item existed (arkivlagen 10 §).
    disposed_at = models.DateTimeField(_("disposed of at"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["alert_after"])
    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["due_at", "pk"]
        permissions = [("view_all_items", _("Can read every moderation item"))]
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
            # Open exactly when not handled: the queues read handled_at, the pages read status.
            models.CheckConstraint(
                condition=(Q(status="open") & Q(handled_at__isnull=True))
                | (~Q(status="open") & Q(handled_at__isnull=False)),
                name="item_open_iff_unhandled",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | ~Q(answer=""), name="item_answered_has_answer"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(close_reason=""), name="item_closed_has_reason"
            ),
            # KAU-PROHIBITED-EVIDENCE: nothing is removed before its screenshot is kept.
            models.CheckConstraint(
                condition=~Q(status="removed") | Q(evidence__isnull=False), name="item_removed_has_evidence"
            ),
            models.CheckConstraint(condition=flag_agrees(), name="item_registration_flag_agrees"),
            models.CheckConstraint(condition=not_needed_is_decided(), name="item_no_registration_decided"),
        ]
        indexes = [
            # "My queue", the inbox's open view and the start page: unanswered items by due time.
            models.Index(
                fields=["account", "due_at"], condition=Q(handled_at__isnull=True), name="item_open_due_idx"
            ),
            # The inbox and the report: an account's items, newest first (keyset on received_at, id).
            models.Index(fields=["account", "-received_at", "-id"], name="item_account_received_idx"),
            # "My queue" and the start page, severity first (threats, pile-ons, prohibited content), then
            # by due time: the keyset (severity, due_at, id) of the queue's pages.
            models.Index(
                F("account"),
                severity_rank().desc(),
                F("due_at"),
                F("id"),
                condition=Q(handled_at__isnull=True),
                name="item_open_severity_due_idx",
            ),
            # The inbox: open flagged items first, then newest first (keyset on severity, received_at, id).
            models.Index(
                F("account"),
                severity_rank().desc(),
                F("received_at").desc(),
                F("id").desc(),
                name="item_severity_received_idx",
            ),
            # The deadline sweep's claim: only rows with a reminder still to come are in the index.
            models.Index(
                fields=["alert_after"], condition=Q(alert_after__isnull=False), name="item_alert_after_idx"
            ),
            # The disposal proposal: items past their retention period, not yet disposed of.
            models.Index(
                fields=["received_at"], condition=Q(disposed_at__isnull=True), name="item_disposable_idx"
            ),
            # The policy page's figure: items whose outer limit fell this month (KAU-RESPONSE-DEADLINE).
            models.Index(fields=["limit_at"], name="item_limit_idx"),
            # The live figures of KAU-DIARY-NONE: decided as needing no registration, by month.
            models.Index(
                fields=["registration_decided_at"],
                condition=Q(registration="not_needed"),
                name="item_no_registration_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.author}: {self.text[:40]}"

    @property
    def is_open(self) -> bool:
        return self.handled_at is None

    def is_overdue(self, now: datetime) -> bool:
        return self.handled_at is None and self.due_at <= now

    def is_past_limit(self, now: datetime) -> bool:
        return self.handled_at is None and self.limit_at <= now

    @property
    def severity(self) -> Severity:
        """The highest flag of the item (the Python side of ``severity_rank``, for any item)."""
        if self.threat:
            return Severity.THREAT
        if self.pile_on_risk:
            return Severity.PILE_ON
        if self.prohibited:
            return Severity.PROHIBITED
        return Severity.NONE

    def holder(self, now: datetime, expires_hours: int) -> User | None:
        """Who is handling the item now: the person who took it, while it is open and the take is
        younger than ``expires_hours``; None otherwise (a lapsed take counts as released)."""
        if self.taken_by_id is None or self.taken_at is None or not self.is_open:
            return None
        if self.taken_at <= now - timedelta(hours=expires_hours):
            return None
        return self.taken_by

    def prohibited_labels(self) -> list[str]:
        return [str(Prohibited(code).label) for code in self.prohibited if code in Prohibited.values]

    def rule_ids(self) -> list[str]:
        """The policy rules this item engages, for the log, exports and the diary package."""
        rules = ["KAU-RESPONSE-DEADLINE"]
        if self.prohibited:
            rules += ["KAU-PROHIBITED", "KAU-PROHIBITED-EVIDENCE"]
        if self.threat:
            rules.append("KAU-THREAT")
        if self.pile_on_risk:
            rules.append("KAU-DREV")
        if self.classification == Classification.CRITICISM:
            rules.append("KAU-RESPONSE-CRITICISM")
        if self.requires_registration:
            rules.append("KAU-DIARY-ACTION")
        if self.registration == Registration.NOT_NEEDED:
            rules.append("KAU-DIARY-NONE")
        return rules


class LogEntry(models.Model):
    """One line of the append-only moderation log: who did what to an item, when, and the item's
    triage and state before and after (KAU-PUBLIC-RECORD).

    Written only by moderation.services, in the same transaction as the change it records. Rows are
    never changed or deleted; on PostgreSQL a trigger refuses both.
    """

    class Action(models.TextChoices):
        LOGGED = "logged", _("Logged")
        CLASSIFIED = "classified", _("Classified")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed without answer")
        EVIDENCE = "evidence", _("Evidence screenshot attached")
        REMOVED = "removed", _("Removed as prohibited content")
        ESCALATED = "escalated", _("Escalated")
        ROUTED = "routed", _("Routed")
        REMINDED = "reminded", _("Reminder sent")
        LIMIT_PASSED = "limit_passed", _("Escalated after the outer limit")
        ACKNOWLEDGED = "acknowledged", _("Alert acknowledged")
        DEADLINES_CHANGED = "deadlines_changed", _("Deadlines recomputed")
        # From and to the platform (connectors): the author's edit, what others did, what was posted.
        EDITED = "edited", _("Edited by its author")
        PLATFORM_CHANGED = "platform_changed", _("Changed on the platform")
        POSTED = "posted", _("Posted to the platform")
        POST_FAILED = "post_failed", _("Not posted to the platform")
        POST_UNKNOWN = "post_unknown", _("Outcome on the platform unknown")
        # "I'm handling this".
        TAKEN = "taken", _("Taken")
        RELEASED = "released", _("Released")
        # KAU-DIARY-ACTION, KAU-DIARY-NONE: registered or not, decided as a decision of its own.
        REGISTRATION = "registration", _("Registration decided")

    item = reference_field(Item, _("item"), null=False, related_name="log")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = person_field(
        _("by"), help_text=_("Empty when Kanalvakt itself acted (the deadline sweep, a connector).")
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["item", "at"], name="logentry_item_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class Alert(models.Model):
    """An item routed to people who must know: the reminder and the escalation of the deadline sweep
    (KAU-RESPONSE-DEADLINE), a threat to the security officer (KAU-THREAT), a pile-on to the central
    social media address (KAU-DREV), criticism to the head of the unit (KAU-RESPONSE-CRITICISM), or an
    escalation by hand.

    "At most once" is the database's: an automatic kind is unique per item, written in the same
    transaction as its e-mails (the outbox) and its log entry. An open alert shows on its recipients'
    start page until one of them acknowledges it.
    """

    class Kind(models.TextChoices):
        DUE = "due", _("Due: reminder to the owner and deputies")
        LIMIT = "limit", _("Past the outer limit: escalated to the head of unit and the social media lead")
        THREAT = "threat", _("Threat: to the security officer")
        PILE_ON = "pile_on", _("Risk of a pile-on: to the central social media address")
        CRITICISM = "criticism", _("Criticism: to the head of unit")
        ESCALATION = "escalation", _("Escalated by hand")
        # KAU-THREAT: nobody acknowledged the threat within the institution's working hours.
        THREAT_UNACKNOWLEDGED = (
            "threat_unack",
            _("Threat not acknowledged: to the security officer and the lead"),
        )

    class Cleared(models.TextChoices):
        """Why an alert left the start page without anyone acknowledging it: its item was handled."""

        ANSWERED = "answered", _("the item was answered")
        CLOSED = "closed", _("the item was closed without answer")
        REMOVED = "removed", _("the item was removed")

    class Target(models.TextChoices):
        OWNERS = "owners", _("The account owner and deputies")
        HEAD = "head", _("The head of unit")
        HEAD_AND_LEAD = "head_lead", _("The head of unit and the social media lead")
        CENTRAL = "central", _("The social media lead and the central address")
        SECURITY = "security", _("The security officer")
        SECURITY_AND_LEAD = "sec_lead", _("The security officer and the social media lead")

    item = reference_field(Item, _("item"), null=False, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    target = models.CharField(_("to"), max_length=10, choices=Target.choices)
    created_at = models.DateTimeField(_("created at"))
    created_by = person_field(_("by"))
    note = models.TextField(_("note"), blank=True)
    # The head of unit it was routed to (the nearest active head up the tree when it was written), so
    # that their start page shows it however the tree changes later.
    head = person_field(_("head of unit"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = person_field(_("acknowledged by"))
    # Set when the item was answered, closed or removed while the alert was still open: it needs no
    # acknowledgement any more. Threats are never cleared this way (KAU-THREAT: a case until handled).
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_reason = models.CharField(
        _("cleared because"), max_length=10, choices=Cleared.choices, blank=True, default="", db_default=""
    )
    # KAU-THREAT: when a threat still unacknowledged is alerted again (the re-alert sweep's claim);
    # empty once acknowledged or alerted again, and for every other kind.
    realert_at = models.DateTimeField(_("alert again at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "kind"], condition=~Q(kind="escalation"), name="alert_once_per_item_and_kind"
            ),
        ]
        indexes = [
            # The start page's alert lists: open alerts to one target, newest first.
            models.Index(
                fields=["target", "-created_at"],
                condition=Q(acknowledged_at__isnull=True, cleared_at__isnull=True),
                name="alert_open_by_target_idx",
            ),
            # The re-alert sweep's claim (KAU-THREAT): only threats still waiting are in the index.
            models.Index(
                fields=["realert_at"], condition=Q(realert_at__isnull=False), name="alert_realert_at_idx"
            ),
            # The item's open alerts, cleared when it is handled.
            models.Index(
                fields=["item"],
                condition=Q(acknowledged_at__isnull=True, cleared_at__isnull=True),
                name="alert_open_by_item_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.item_id})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.cleared_at is None


class Publication(models.Model):
    """What the account itself published on the platform: its posts, and its replies in a thread.

    The university's own publications are public records too (KAU-PUBLIC-RECORD): a connector keeps
    each one as the account's published record (text, time, link), searchable and exportable beside
    the items. They need no answer, so they have no deadline. Never deleted; an edit keeps the earlier
    text in the history, and what became of it on the platform is ``platform_status``.
    """

    class Kind(models.TextChoices):
        POST = "post", _("Post")
        REPLY = "reply", _("Reply")
        MESSAGE = "message", _("Message")

    account = reference_field("accounts.Account", _("account"), null=False, related_name="publications")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    platform_id = models.CharField(_("platform id"), max_length=200)
    in_reply_to = models.CharField(_("in reply to"), max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    published_at = models.DateTimeField(_("published at"))
    platform_status = models.CharField(
        _("on the platform"), max_length=10, choices=PlatformStatus.choices, blank=True
    )
    # The item a reply answered, when the answer was written in Kanalvakt.
    answers = reference_field(Item, _("answers item"), related_name="publications")
    kept_at = models.DateTimeField(_("kept at"), auto_now_add=True)
    # Set when an approved disposal destroyed the publication's text (gallring); the row stays.
    disposed_at = models.DateTimeField(_("disposed of at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "platform_id"], name="publication_unique_per_account"),
        ]
        indexes = [
            models.Index(fields=["account", "-published_at", "-id"], name="publication_account_idx"),
            # The disposal proposal: publications past their retention period, not yet disposed of.
            models.Index(
                fields=["published_at"],
                condition=Q(disposed_at__isnull=True),
                name="publication_disposable_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"


# Models kept in modules of their own subject, imported here so that Django registers them with the app.
from moderation.case_models import ThreatCase, ThreatCaseEntry  # noqa: E402
from moderation.consent_models import (  # noqa: E402
    AffectedPost,
    Consent,
    CrowdSituation,
    PhotographerCredit,
    PlannedPost,
    PostLink,
)
from moderation.crisis_models import Crisis, CrisisLogEntry  # noqa: E402
from moderation.reply_models import SavedReply  # noqa: E402
from moderation.token_models import ApiToken  # noqa: E402

__all__ = [
    "AffectedPost",
    "Alert",
    "ApiToken",
    "Classification",
    "Consent",
    "Crisis",
    "CrisisLogEntry",
    "CrowdSituation",
    "Item",
    "LogEntry",
    "PhotographerCredit",
    "PlannedPost",
    "PlatformStatus",
    "PostLink",
    "Prohibited",
    "Publication",
    "Registration",
    "SavedReply",
    "Severity",
    "ThreatCase",
    "ThreatCaseEntry",
    "severity_rank",
]
