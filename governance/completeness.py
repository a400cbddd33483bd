"""What a new-account request must hold before it can be submitted.

Every check names the form field it concerns, so the form can show the missing parts where they
are (KAU-START-CHECKLIST, KAU-START-PURPOSE, KAU-CONTENT, KTH-RESOURCES, KTH-TERMS, KAU-RESP-OWNER,
KTH-BLOG). A draft may be incomplete; a submitted request never is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from governance.models import AccountRequest

# A checklist answer is "non-trivial" when it has some substance: at least this many words and
# characters. "Ja", "se ovan" or "-" are not answers to a strategy question.
MIN_WORDS = 5
MIN_CHARS = 30

CHECKLIST_FIELDS = (
    "purpose",
    "checklist_audience",
    "checklist_purpose",
    "checklist_goals",
    "checklist_staffing",
    "checklist_resources",
)
CONTENT_FIELDS = ("content_strategy", "editorial_goals", "editorial_stakeholders")
# The form's fields that submitting asks for (missing_parts below), marked as required on the form
# from the start, although a draft may be saved without them. The handle is asked for on every
# platform but a blog and "Other"; the blogger, only for a blog.
SUBMIT_FIELDS = (
    "unit",
    "platform",
    "name",
    "handle",
    "sender_type",
    "areas",
    "audiences",
    *CHECKLIST_FIELDS,
    *CONTENT_FIELDS,
    "planned_frequency",
    "resource_hours_per_week",
    "resource_people",
    "terms_checked",
    "terms_note",
    "proposed_owner",
    "proposed_deputies",
)


def is_substantial(text: str) -> bool:
    words = re.findall(r"\w+", text or "")
    return len(words) >= MIN_WORDS and len((text or "").strip()) >= MIN_CHARS


def missing_parts(request: AccountRequest, *, deputies: Sequence[Any]) -> dict[str, str]:
    """Field name → what is missing. Empty when the request may be submitted."""
    errors: dict[str, str] = {}
    required = _("This is required before the request can be submitted.")
    if not request.name.strip():
        errors["name"] = required
    if not request.platform:
        errors["platform"] = required
    elif request.platform == "other" and not request.platform_other.strip():
        errors["platform_other"] = _("Name the platform.")
    if request.platform not in {"blog", "other"} and not request.handle.strip():
        errors["handle"] = _("Give the handle the account will have on the platform.")
    if not request.sender_type:
        errors["sender_type"] = _("Choose the sender type of the profile guide (KAU-PROFILE-GUIDE).")
    if not request.areas:
        errors["areas"] = _("Choose at least one priority area (KAU-AREA).")
    if not request.audiences:
        errors["audiences"] = _("Choose at least one audience (KAU-AUDIENCE).")
    for field in (*CHECKLIST_FIELDS, *CONTENT_FIELDS):
        if not is_substantial(getattr(request, field)):
            errors[field] = _(
                "Answer in a few sentences (at least %(words)d words): the answer is part of the account's "
                "strategy document."
            ) % {"words": MIN_WORDS}
    if not request.planned_frequency.strip():
        errors["planned_frequency"] = _("Say how often the account will publish.")
    if not request.resource_hours_per_week:
        errors["resource_hours_per_week"] = _(
            "Set aside time for the account before it starts (KTH-RESOURCES)."
        )
    if not request.resource_people.strip():
        errors["resource_people"] = _("Name who does the work (KTH-RESOURCES).")
    if not request.terms_checked:
        errors["terms_checked"] = _(
            "Confirm that the platform's terms of use were checked "
            "against the university's interests (KTH-TERMS)."
        )
    if not request.terms_note.strip():
        errors["terms_note"] = _("Note what the check of the terms of use found (KTH-TERMS).")
    owner = request.proposed_owner
    if owner is None:
        errors["proposed_owner"] = _("Every account has an account owner (KAU-RESP-OWNER).")
    elif not owner.is_active:
        errors["proposed_owner"] = _("The account owner must be an active person.")
    if not deputies:
        errors["proposed_deputies"] = _("Every account has at least one deputy (KAU-RESP-OWNER).")
    elif owner is not None and any(deputy.pk == owner.pk for deputy in deputies):
        errors["proposed_deputies"] = _("The account owner cannot also be a deputy.")
    elif any(not deputy.is_active for deputy in deputies):
        errors["proposed_deputies"] = _("Every deputy must be an active person.")
    if request.platform == "blog":
        if request.blogger_id is None and not request.blogger_external_name.strip():
            errors["blogger"] = _("Name the blogger (KTH-BLOG).")
        if request.blogger_external_name.strip() and request.blogger_assigning_unit_id is None:
            errors["blogger_assigning_unit"] = _(
                "A blogger who is not employed blogs only on direct assignment from a unit (KTH-BLOG)."
            )
    return errors
