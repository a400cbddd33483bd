"""What a given person may see of the account registry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import OrgUnit, User
from core.roles import Role, has_role
from core.units import heads_for_paths, unit_paths_headed_by

# --- The registry list and its export ------------------------------------------------------------------

# Sort keys of the registry: the columns people sort by, each with a stable tiebreak.
REGISTRY_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "unit": ("unit__name", "name"),
    "platform": ("platform", "name"),
    "status": ("status", "name"),
    "registered": ("created_at",),
    "followup": ("followup_due_on", "name"),
}


def _ordering(sort: str) -> list[Any]:
    """The order of ``sort`` ("-" first for descending). Only the chosen column is reversed; the
    tiebreaks (name, then id) stay ascending, so that equal rows read A–Ö either way."""
    descending = sort.startswith("-")
    first, *tiebreaks = REGISTRY_SORTS.get(sort.removeprefix("-"), REGISTRY_SORTS["name"])
    # An empty date sorts last either way: "no follow-up planned" is neither the earliest nor latest.
    primary = F(first).desc(nulls_last=True) if descending else F(first).asc(nulls_last=True)
    return [primary, *(F(field).asc() for field in tiebreaks), F("pk").asc()]


def _search(words: list[str]) -> Q:
    """Every word matches somewhere: name, handle, or the owner's or a deputy's names or user name.

    Deputies are matched with Exists, so an account with two matching deputies appears once.
    """
    condition = Q()
    through = Account.deputies.through.objects
    for word in words:
        deputy_match = (
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__username__icontains=word)
        )
        condition &= (
            Q(name__icontains=word)
            | Q(handle__icontains=word)
            | Q(owner__first_name__icontains=word)
            | Q(owner__last_name__icontains=word)
            | Q(owner__username__icontains=word)
            | Q(Exists(through.filter(deputy_match, account_id=OuterRef("pk"))))
        )
    return condition


def registry(
    user: User,
    *,
    now: datetime,
    unit: OrgUnit | None = None,
    platform: str = "",
    status: str = "",
    flag: str = "",
    query: str = "",
    sort: str = "name",
) -> QuerySet[Account]:
    """The registry as ``user`` may see it, filtered, searched and sorted, with its compliance flags.

    ``unit`` keeps that unit and every unit below it (one prefix match on the tree path); ``flag``
    is a flag key or "any". Unit, owner and request come in the same query, the deputies in one
    more, so a page costs the same whatever its size.
    """
    from accounts.flags import flag_by_key, flagged, with_flags

    visible = Account.objects.visible_to(user)
    accounts = with_flags(visible.in_subtree(unit) if unit is not None else visible, now=now)
    if platform:
        accounts = accounts.filter(platform=platform)
    if status:
        accounts = accounts.filter(status=status)
    if flag == "any" or flag_by_key(flag) is not None:
        accounts = flagged(accounts, flag)
    words = query.split()
    if words:
        accounts = accounts.filter(_search(words))
    return (
        accounts.select_related("unit", "owner", "request")
        .prefetch_related(
            Prefetch("deputies", queryset=User.objects.order_by("first_name", "last_name", "pk"))
        )
        .order_by(*_ordering(sort))
    )


def account_for_page(user: User, pk: int, *, now: datetime) -> Account:
    """One account ``user`` may see, with its flags, people and request, or 404."""
    from django.shortcuts import get_object_or_404

    from accounts.flags import with_flags

    queryset = (
        with_flags(Account.objects.visible_to(user), now=now)
        .select_related(
            "unit__head",
            "owner",
            "request",
            "registered_by",
            "notice_confirmed_by",
            "sender_confirmed_by",
            "closed_by",
        )
        .prefetch_related(
            Prefetch("deputies", queryset=User.objects.order_by("first_name", "last_name", "pk"))
        )
    )
    return get_object_or_404(queryset, pk=pk)


# --- The account's history, as readable changes ----------------------------------------------------------

# Historical rows written together (a deputies change writes one row per removal and one per addition)
# are shown as one change when the same person made them for the same reason within this window.
HISTORY_GROUP_SECONDS = 5

# The reasons the registry's services give, as people read them; other reasons are shown as written.
HISTORY_REASONS: dict[str, Any] = {
    "registered": _("Registered"),
    "registered directly": _("Registered directly by the communications department"),
    "notice confirmed": _("Public-records notice confirmed"),
    "sender confirmed": _("Sender and profile confirmed"),
    "start-page screenshot recorded": _("Start-page screenshot recorded"),
    "owner changed": _("Owner changed"),
    "deputies changed": _("Deputies changed"),
    "renamed": _("Renamed"),
    "address changed": _("Address changed"),
    "start-page capture changed": _("Start-page capture changed"),
    "follow-up recorded": _("Follow-up recorded"),
    "follow-up interval changed": _("Follow-up interval changed"),
    "closing started": _("Closing started"),
    "commenting confirmed for closing": _("Commenting confirmed for closing"),
    "closed": _("Closed"),
}


def history_reason(reason: str) -> str:
    """A history row's reason in the reader's language; reasons joined with ", " are translated one by one."""
    return ", ".join(str(HISTORY_REASONS.get(part, part)) for part in reason.split(", "))


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One change to an account: when, who, why, and each field's old and new value."""

    at: datetime
    by: User | None
    reason: str
    created: bool
    changes: list[FieldChange]


def _history_fields() -> list[Any]:
    return [
        field
        for field in Account._meta.concrete_fields
        if field.editable and field.name not in {"id", "created_at"}
    ]


def _shown(field: Any, value: Any, related: dict[str, dict[int, Any]]) -> str:
    """A stored value as people read it: a choice by its label, a person or unit by name, a time in
    Stockholm as "24 nov 2026 10:00"."""
    from core.templatetags.kanalvakt import when

    if value is None or value == "":
        return "–"
    if field.is_relation:
        target = related[field.related_model._meta.label].get(value)
        return str(target) if target is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return date_format(value, "j M Y").lower()
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def account_history(account: Account) -> list[HistoryEntry]:
    """Every change to ``account`` from its simple-history rows, newest first, the deputies included.

    Four queries whatever the length of the history: the rows with their authors, the deputies at
    each row, and the people and units the rows name.
    """
    records = list(account.history.select_related("history_user").order_by("history_date", "history_id"))
    m2m_model = Account.history.model._meta.get_field("historicalaccount_deputies").related_model
    deputies_at: dict[int, set[int]] = defaultdict(set)
    for history_id, user_id in m2m_model.objects.filter(history__in=records).values_list(
        "history_id", "user_id"
    ):
        deputies_at[history_id].add(user_id)

    fields = _history_fields()
    wanted: dict[str, set[int]] = defaultdict(set)
    user_label = User._meta.label
    for record in records:
        wanted[user_label].update(deputies_at[record.history_id])
        for field in fields:
            if field.is_relation and getattr(record, field.attname) is not None:
                wanted[field.related_model._meta.label].add(getattr(record, field.attname))
    related: dict[str, dict[int, Any]] = {label: {} for label in {user_label, OrgUnit._meta.label}}
    if wanted[user_label]:
        related[user_label] = User.objects.in_bulk(wanted[user_label])
    if wanted[OrgUnit._meta.label]:
        related[OrgUnit._meta.label] = OrgUnit.objects.in_bulk(wanted[OrgUnit._meta.label])

    def people(ids: set[int]) -> str:
        names = sorted(str(related[user_label].get(pk, f"#{pk}")) for pk in ids)
        return ", ".join(names) or "–"

    deputies_label = capfirst(Account._meta.get_field("deputies").verbose_name)
    entries: list[HistoryEntry] = []
    previous: Any = None
    index = 0
    while index < len(records):
        first = records[index]
        last_index = index
        while (
            last_index + 1 < len(records)
            and records[last_index + 1].history_user_id == first.history_user_id
            and records[last_index + 1].history_change_reason == first.history_change_reason
            and (records[last_index + 1].history_date - first.history_date).total_seconds()
            <= HISTORY_GROUP_SECONDS
        ):
            last_index += 1
        last = records[last_index]
        created = first.history_type == "+"
        changes: list[FieldChange] = []
        if previous is not None and not created:
            for field in fields:
                old, new = getattr(previous, field.attname), getattr(last, field.attname)
                if old != new:
                    changes.append(
                        FieldChange(
                            str(capfirst(field.verbose_name)),
                            _shown(field, old, related),
                            _shown(field, new, related),
                        )
                    )
            old_deputies, new_deputies = deputies_at[previous.history_id], deputies_at[last.history_id]
            if old_deputies != new_deputies:
                changes.append(FieldChange(str(deputies_label), people(old_deputies), people(new_deputies)))
        reason = first.history_change_reason or ""
        if created or changes:
            entries.append(
                HistoryEntry(
                    at=last.history_date,
                    by=first.history_user,
                    reason=history_reason(reason),
                    created=created,
                    changes=changes,
                )
            )
        previous = last
        index = last_index + 1
    entries.reverse()
    return entries


def manages_account(user: Any, account: Account) -> bool:
    """Who manages an account: the head of its unit or of a unit above it, who answers for it
    (KAU-RESP-MANAGER), and the social media lead, who keeps the registry whole. They change owner
    and deputies, rename, set the follow-up interval and close. The one definition of that rule."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if has_role(user, Role.SOCIAL_MEDIA_LEAD):
        return True
    return any(account.unit.path.startswith(path) for path in unit_paths_headed_by(user))


def is_owner_or_deputy(user: Any, account: Account) -> bool:
    """KAU-RESP-OWNER: the account owner or one of its deputies, the one test of that rule (reads the
    prefetched deputies if any). ``Account.objects.kept_by(user)`` is the same rule as a filter."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if account.owner_id == user.pk:
        return True
    cached = getattr(account, "_prefetched_objects_cache", {}).get("deputies")
    if cached is not None:
        return any(deputy.pk == user.pk for deputy in cached)
    return account.deputies.filter(pk=user.pk).exists()


def heads_of(accounts: Sequence[Account]) -> dict[int, User | None]:
    """The manager answering for each account (KAU-RESP-MANAGER): the head of its unit, or the
    nearest active head above. One query for any number of accounts."""
    return heads_for_paths({account.pk: account.unit.path for account in accounts})
