"""The roles of Kanalvakt, as Django groups, and the model permissions each role holds.

Roles say what a person may do anywhere; what they may do with one object (an account, a request)
is decided from the organisation tree and ownership (see CONTRIBUTING.md, "Permissions").
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMUNICATOR = "communicator", _("Communicator")
    HEAD_OF_UNIT = "head_of_unit", _("Head of unit")
    COMMUNICATIONS = "communications", _("Communications department")
    SOCIAL_MEDIA_LEAD = "social_media_lead", _("Social media lead")
    REGISTRAR = "registrar", _("Registrar/archivist")
    SECURITY_OFFICER = "security_officer", _("Security officer")


# Model permissions of each role, as "app_label.codename".
ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.COMMUNICATOR: set(),
    Role.HEAD_OF_UNIT: set(),
    Role.COMMUNICATIONS: {
        "accounts.view_all_accounts",
        "core.view_orgunit",
        "governance.view_all_requests",
        "governance.review_request",  # KAU-START-COMMS
        "governance.approve_campaign",  # KAU-ADS: paid marketing is supervised by the department
        "moderation.view_all_consents",  # KAU-CONSENT: the consent register of every unit
        "moderation.declare_crisis",  # KAU-CRISIS: declares and ends a crisis
    },
    Role.SOCIAL_MEDIA_LEAD: {
        "accounts.view_all_accounts",
        "core.view_orgunit",
        "core.change_institutionsettings",
        "governance.view_all_requests",  # KAU-HIERARCHY
        "governance.review_request",
        "governance.approve_campaign",  # KAU-ADS
        "moderation.view_all_items",  # reads every inbox; owners and deputies moderate
        "moderation.view_all_consents",  # KAU-CONSENT: the consent register of every unit
        "moderation.declare_crisis",  # KAU-CRISIS: declares and ends a crisis
        "archive.export_archive",
        "archive.review_secrecy",  # KAU-PUBLIC-RECORD: reviews secrecy before a release
        "archive.place_legal_hold",  # an investigation stops disposal (gallringsspärr)
    },
    Role.REGISTRAR: {
        "accounts.view_all_accounts",
        "governance.view_all_requests",  # requests are public records (KAU-PUBLIC-RECORD)
        "archive.export_archive",  # KAU-PUBLIC-RECORD: answers requests for public records
        "archive.register_package",  # KAU-DIARY-ACTION: records the registration number
        "archive.review_secrecy",  # KAU-PUBLIC-RECORD: reviews secrecy before a release
        "archive.manage_retention",  # arkivlagen 10 §: the schedule, and approving disposal decisions
        "archive.place_legal_hold",
    },
    Role.SECURITY_OFFICER: set(),
}


@transaction.atomic
def sync_roles() -> None:
    """Create every role's group and give it exactly the permissions ROLE_PERMISSIONS names."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".", 1)
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app; the last app's signal sees every permission created.
    if getattr(sender, "name", None) == "archive":
        sync_roles()


def roles_of(user: Any) -> frozenset[Role]:
    """The roles of a signed-in user, read once per request and kept on the user object."""
    # A connector's token (moderation.api) is authenticated but is not a person and has no groups.
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "groups"):
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_kanalvakt_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._kanalvakt_roles = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))
