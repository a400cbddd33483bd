"""Retention and disposal (*gallring*): the retention schedule, legal holds, disposal decisions and the
notes left where a record was destroyed.

Arkivlagen (1990:782) 10 § allows public records to be disposed of only under regulations or decisions
(RA-FS 2021:6, the university's own disposal decisions). Kanalvakt therefore never disposes by itself:
every rule keeps for ever until the archivist sets a period, a proposal lists what has passed its period,
and only a disposal the archivist approved with the decision's reference destroys anything. Imported at
the end of ``archive.models``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import person_field, reference_field


class RecordType(models.TextChoices):
    """The kinds of record the retention schedule has one rule for."""

    ITEM = "item", _("Items needing no registration")
    REGISTERED_ITEM = "registered_item", _("Registered items")
    PUBLICATION = "publication", _("The university's own publications")
    STARTPAGE = "startpage", _("Start-page screenshots")
    EVIDENCE = "evidence", _("Evidence screenshots")
    DECISION = "decision", _("Decisions on new-account requests")
    EXPORT = "export", _("Archive exports")


class RetentionRule(models.Model):
    """One rule of the retention schedule (*informationshanteringsplan*): how long a kind of record is
    kept and under which legal basis. ``period_months`` empty means kept for ever (*bevaras*), which is
    every rule's starting point: nothing is disposed of until the archivist sets a period. Versioned
    (simple-history), so a disposal names the version of the schedule it followed."""

    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices, unique=True)
    period_months = models.PositiveIntegerField(
        _("retention period in months"),
        null=True,
        blank=True,
        help_text=_("Empty: kept for ever (bevaras)."),
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    updated_by = person_field(_("changed by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention schedule")
        ordering = ["pk"]
        permissions = [("manage_retention", _("Can keep the retention schedule and decide on disposals"))]
        constraints = [
            # A period without a legal basis would be a disposal without authority (arkivlagen 10 §).
            models.CheckConstraint(
                condition=Q(period_months__isnull=True) | (Q(period_months__gt=0) & ~Q(legal_basis="")),
                name="retention_period_has_basis",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_record_type_display())

    @property
    def keeps_for_ever(self) -> bool:
        return self.period_months is None


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """A hold (*gallringsspärr*) that stops disposal of an account's records, one item, or a period
    (optionally of one account) while a request for public records or an investigation is pending.
    Lifted, never deleted: the lifting is recorded with who, when and why."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("Pending request for public records")
        INVESTIGATION = "investigation", _("Investigation")
        OTHER = "other", _("Other")

    account = reference_field("accounts.Account", _("account"))
    item = reference_field("moderation.Item", _("item"))
    start = models.DateField(_("from"), null=True, blank=True)
    end = models.DateField(_("to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("description"))
    placed_at = models.DateTimeField(_("placed at"))
    placed_by = person_field(_("placed by"), null=False)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = person_field(_("lifted by"))
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    objects = LegalHoldQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-pk"]
        permissions = [("place_legal_hold", _("Can place and lift legal holds"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(item__isnull=False) | Q(start__isnull=False),
                name="hold_names_what_it_holds",
            ),
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True))
                | (Q(start__isnull=False) & Q(end__isnull=False) & Q(start__lte=models.F("end"))),
                name="hold_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | ~Q(lift_reason=""), name="hold_lifted_has_reason"
            ),
        ]
        indexes = [
            # Every proposal and every execution batch reads the holds in force.
            models.Index(fields=["placed_at"], condition=Q(lifted_at__isnull=True), name="hold_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.placed_at:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class Disposal(models.Model):
    """A disposal list: proposed by the daily job or the archivist, reviewed, and approved with the
    disposal decision's reference (*gallringsbeslut*, dnr), or rejected. Only an approved disposal is
    executed, and only while it is approved may the database triggers let its changes through
    (``SET LOCAL kanalvakt.disposal``). ``schedule`` is the version of every rule it followed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved, being carried out")
        DONE = "done", _("Carried out")
        REJECTED = "rejected", _("Rejected")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("proposed at"))
    proposed_by = person_field(_("proposed by"), help_text=_("Empty when the daily job proposed it."))
    cutoff_at = models.DateTimeField(_("records counted up to"))
    schedule = models.JSONField(_("retention schedule followed"), default=dict)
    decision_reference = models.CharField(_("disposal decision (dnr)"), max_length=100, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = person_field(_("decided by"))
    decision_note = models.TextField(_("note"), blank=True)
    executed_at = models.DateTimeField(_("carried out at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disposal")
        verbose_name_plural = _("disposals")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            # One proposal under review at a time: the daily job and the button cannot both make one.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="proposed"), name="disposal_one_open_proposal"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "rejected"])
                | (~Q(decision_reference="") & Q(decided_at__isnull=False)),
                name="disposal_approved_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_status_display()} {self.decision_reference}".strip()


class DisposalEntry(models.Model):
    """One record on a disposal list: what it is (no content), whose account, from when, and what became
    of it: taken off the list by the archivist, skipped because a hold came after the approval, or
    destroyed."""

    disposal = reference_field(Disposal, _("disposal"), null=False, related_name="entries")
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    record_id = models.BigIntegerField(_("record id"))
    account = reference_field("accounts.Account", _("account"))
    record_at = models.DateTimeField(_("record date"))
    label = models.CharField(_("record"), max_length=300)
    excluded_at = models.DateTimeField(_("taken off the list at"), null=True, blank=True)
    excluded_by = person_field(_("taken off the list by"))
    held_at = models.DateTimeField(_("held back at"), null=True, blank=True)
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("disposal list entry")
        verbose_name_plural = _("disposal list entries")
        ordering = ["record_type", "record_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["disposal", "record_type", "record_id"], name="disposal_entry_once_per_list"
            ),
        ]
        indexes = [
            # The execution's claim: what is still to be destroyed on one list.
            models.Index(
                fields=["disposal", "id"],
                condition=Q(destroyed_at__isnull=True, excluded_at__isnull=True, held_at__isnull=True),
                name="disposal_entry_pending_idx",
            ),
            # A proposal leaves out what an open or approved list already holds.
            models.Index(fields=["record_type", "record_id"], name="disposal_entry_record_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def state(self) -> str:
        if self.destroyed_at:
            return "destroyed"
        if self.excluded_at:
            return "excluded"
        if self.held_at:
            return "held"
        return "listed"


class Tombstone(models.Model):
    """A note left where a record was destroyed (*gallringsnotering*): what it was (type, id, account,
    dates), the ledger hashes of its files, when it was destroyed and under which decision. Unique per
    record, which makes "destroyed once" the database's. Never changed or deleted."""

    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType.choices)
    record_id = models.BigIntegerField(_("record id"))
    account = reference_field("accounts.Account", _("account"))
    entry = models.OneToOneField(
        DisposalEntry,
        verbose_name=_("disposal list entry"),
        on_delete=models.PROTECT,
        related_name="tombstone",
    )
    disposal = reference_field(Disposal, _("disposal"), null=False, related_name="tombstones")
    description = models.JSONField(_("what it was"), default=dict)
    files = models.JSONField(_("files and their ledger hashes"), default=list)
    disposed_at = models.DateTimeField(_("destroyed at"))

    class Meta:
        verbose_name = _("disposal note")
        verbose_name_plural = _("disposal notes")
        ordering = ["-disposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id"], name="tombstone_once_per_record"),
        ]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} {self.record_id}"


class DisposedFile(models.Model):
    """The disposal a DISPOSAL entry of the fixity ledger belongs to: the ledger's own fields are fixed
    by its hash chain, so the decision is named here, one row per destroyed file."""

    ledger_entry = models.OneToOneField(
        "archive.LedgerEntry", verbose_name=_("ledger entry"), on_delete=models.PROTECT, related_name="+"
    )
    disposal = reference_field(Disposal, _("disposal"), null=False, related_name="files")
    tombstone = reference_field(Tombstone, _("disposal note"), null=False, related_name="+")
    path = models.CharField(_("file"), max_length=300)

    class Meta:
        verbose_name = _("disposed file")
        verbose_name_plural = _("disposed files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.path
