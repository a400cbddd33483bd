"""What a returned request changed before it was submitted again (KAU-START-COMMS).

The reviewer of round 2 reads what changed since round 1: each of the requester's fields whose value
at this submission differs from its value at the one before, old and new. Both come from the
request's history (django-simple-history), where ``submit_request`` leaves one row per submission,
with the deputies of that moment; nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Account
from core.forms import person_label
from core.models import OrgUnit, User
from governance.models import AccountRequest, Audience, PriorityArea

SUBMITTED = "submitted"  # the change reason submit_request records


@dataclass(frozen=True)
class FieldChange:
    """One field that changed between two submissions, as the page shows it."""

    field: str
    label: str
    old: str
    new: str


def _field(name: str) -> models.Field[Any, Any]:
    """A concrete field of the request (every requester field is one)."""
    field = AccountRequest._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _label(name: str) -> str:
    # The form's wording, the one the requester answered; the model's where the form has none.
    from governance.forms import AccountRequestForm

    field = AccountRequestForm.base_fields.get(name)
    if field is not None and field.label:
        return str(field.label)
    return str(_field(name).verbose_name).capitalize()


def _shown(name: str, value: Any, related: dict[tuple[str, int], str]) -> str:
    """A stored value in words: choices by their label, people and units by name, a number with the
    reader's decimal mark."""
    field = _field(name)
    if value in (None, "", []):
        return "–"
    if isinstance(field, models.ForeignKey):
        return related.get((field.related_model._meta.label, value), "–")  # type: ignore[union-attr]
    if name == "areas":
        return ", ".join(str(PriorityArea(v).label) for v in value if v in PriorityArea.values)
    if name == "audiences":
        return ", ".join(str(Audience(v).label) for v in value if v in Audience.values)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        return number_format(value, use_l10n=True)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _related_names(rows: list[Any], deputy_ids: set[int]) -> dict[tuple[str, int], str]:
    """The names behind the foreign keys of both rows, in a query per model."""
    wanted: dict[type[models.Model], set[int]] = {}
    for name in AccountRequest.REQUESTER_FIELDS:
        field = _field(name)
        if isinstance(field, models.ForeignKey):
            ids = {getattr(row, field.attname) for row in rows} - {None}
            wanted.setdefault(field.related_model, set()).update(ids)  # type: ignore[arg-type]
    wanted.setdefault(User, set()).update(deputy_ids)
    names: dict[tuple[str, int], str] = {}
    for model, ids in wanted.items():
        for obj in model._default_manager.filter(pk__in=ids):
            if isinstance(obj, User):
                text = person_label(obj)
            elif isinstance(obj, OrgUnit):
                text = obj.display_name
            elif isinstance(obj, Account):
                text = f"{obj.name} ({obj.platform_label})"
            else:
                text = str(obj)
            names[(model._meta.label, obj.pk)] = text
    return names


def changes_since_last_round(request: AccountRequest) -> list[FieldChange]:
    """The requester's fields changed between the last two submissions, in the form's order; empty
    in the first round."""
    if request.round < 2:
        return []
    rows = list(
        request.history.filter(history_change_reason=SUBMITTED).order_by("-history_date", "-history_id")[:2]
    )
    if len(rows) < 2:
        return []
    new, old = rows
    deputies = {
        row.history_id: sorted(
            row.proposed_deputies.values_list("user_id", flat=True)  # the deputies at that submission
        )
        for row in rows
    }
    related = _related_names(rows, {pk for ids in deputies.values() for pk in ids})
    changes: list[FieldChange] = []
    for name in AccountRequest.REQUESTER_FIELDS:
        attname = _field(name).attname
        before, after = getattr(old, attname), getattr(new, attname)
        if before == after or (not before and not after):
            continue
        changes.append(
            FieldChange(name, _label(name), _shown(name, before, related), _shown(name, after, related))
        )
    if deputies[old.history_id] != deputies[new.history_id]:
        # The deputies, compared as a set, come after the owner as on the form.

        def names(ids: list[int]) -> str:
            return ", ".join(sorted(related.get((User._meta.label, pk), "–") for pk in ids)) or "–"

        position = next(
            (i for i, change in enumerate(changes) if change.field in _AFTER_DEPUTIES), len(changes)
        )
        changes.insert(
            position,
            FieldChange(
                "proposed_deputies",
                _label("proposed_deputies"),
                names(deputies[old.history_id]),
                names(deputies[new.history_id]),
            ),
        )
    return changes


_AFTER_DEPUTIES = frozenset(
    AccountRequest.REQUESTER_FIELDS[AccountRequest.REQUESTER_FIELDS.index("proposed_owner") + 1 :]
)
