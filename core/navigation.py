"""The main navigation, by role: one list, one place.

Each entry names who sees it. Later apps add their entries here, so that the whole navigation
can be read at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.roles import Role, roles_of


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    visible: Callable[[Any], bool]


def _everyone(user: Any) -> bool:
    return True


def _roles(*roles: Role) -> Callable[[Any], bool]:
    def check(user: Any) -> bool:
        return bool(roles_of(user) & set(roles))

    return check


def _only_security(user: Any) -> bool:
    """The security officer with no other role: he learns of threats and follows their cases (USERS.md),
    and owns no account, files no request and records no absence in Kanalvakt."""
    return roles_of(user) == {Role.SECURITY_OFFICER}


def _not_only_security(*checks: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def check(user: Any) -> bool:
        return not _only_security(user) and all(visible(user) for visible in checks)

    return check


def _staff(user: Any) -> bool:
    return bool(user.is_staff)


def _reads_response_times(user: Any) -> bool:
    """The report is for the social media lead and the heads of unit (KAU-RESP-MANAGER)."""
    from core.units import unit_paths_headed_by

    return _roles(Role.SOCIAL_MEDIA_LEAD)(user) or bool(unit_paths_headed_by(user))


NAVIGATION: list[NavItem] = [
    NavItem("home", _("My tasks"), "core:home", _everyone),
    # KAU-THREAT: every threat is a case, followed by the security officer and the social media lead.
    NavItem("cases", _("Threats"), "moderation:cases", _roles(Role.SECURITY_OFFICER, Role.SOCIAL_MEDIA_LEAD)),
    NavItem(
        "accounts",
        _("Account registry"),
        "accounts:list",
        _roles(Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD, Role.REGISTRAR),
    ),
    NavItem(
        "my_accounts",
        _("My accounts"),
        "accounts:list",
        _not_only_security(
            lambda user: not _roles(Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD, Role.REGISTRAR)(user)
        ),
    ),
    # KAU-RESPONSE-DEADLINE: the items to answer across every account one owns or deputises for.
    NavItem("queue", _("My queue"), "moderation:queue", _not_only_security()),
    NavItem("requests", _("Requests"), "governance:request_list", _not_only_security()),
    # KAU-ADS: paid campaigns in the official accounts, approved by the communications department.
    NavItem(
        "campaigns",
        _("Campaigns"),
        "governance:campaign_list",
        _roles(Role.COMMUNICATOR, Role.HEAD_OF_UNIT, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
    ),
    NavItem("absences", _("Absence"), "accounts:absences", _not_only_security()),
    # KAU-PRIVATE, KTH-BLOG: student ambassadors and bloggers on assignment, approved by the head.
    NavItem("ambassadors", _("Ambassadors"), "accounts:ambassadors", _not_only_security()),
    NavItem(
        "closing",
        pgettext_lazy("navigation", "Closing"),
        "accounts:closing_candidates",
        _roles(Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
    ),
    # KAU-RESPONSE-TONE: the texts offered in the answer, kept by the communications department.
    NavItem(
        "replies",
        _("Saved replies"),
        "moderation:replies",
        _roles(Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
    ),
    # KAU-CONSENT, KAU-CREDIT: the consent register for images and film, used when publishing.
    NavItem(
        "consents",
        _("Consents"),
        "moderation:consents",
        _roles(Role.COMMUNICATOR, Role.HEAD_OF_UNIT, Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
    ),
    # KAU-CRISIS: declaring and ending a crisis; everyone else reaches the crisis page from its banner.
    NavItem("crisis", _("Crisis"), "moderation:crises", _roles(Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD)),
    NavItem("report", _("Response times"), "moderation:report", _reads_response_times),
    NavItem("tokens", _("API tokens"), "moderation:tokens", _roles(Role.SOCIAL_MEDIA_LEAD)),
    # KAU-RESP-DAILY: every connection to Facebook and Instagram and its health, on one page.
    NavItem("connections", _("Connections"), "connectors:overview", _roles(Role.SOCIAL_MEDIA_LEAD)),
    # KAU-DIARY-ACTION and KAU-PUBLIC-RECORD: the registrar's queue, search and exports.
    NavItem("registry_queue", _("Registration"), "archive:registry_queue", _roles(Role.REGISTRAR)),
    NavItem(
        "archive", _("Search and export"), "archive:search", _roles(Role.REGISTRAR, Role.SOCIAL_MEDIA_LEAD)
    ),
    # KAU-PUBLIC-RECORD: a request for public records is answered after a secrecy review.
    NavItem(
        "secrecy",
        _("Secrecy reviews"),
        "archive:secrecy_reviews",
        _roles(Role.REGISTRAR, Role.SOCIAL_MEDIA_LEAD),
    ),
    # Arkivlagen 10 §: the retention schedule, disposal lists and legal holds (the archivist).
    NavItem("retention", _("Disposal"), "archive:retention", _roles(Role.REGISTRAR)),
    NavItem("organisation", _("Organisation"), "governance:unit_list", _not_only_security()),
    NavItem("settings", _("Settings"), "governance:settings", _roles(Role.SOCIAL_MEDIA_LEAD)),
    # Every rule of the policy and what Kanalvakt does about it, for everyone signed in.
    NavItem("policy", _("Policy"), "core:policy", _everyone),
    NavItem("admin", _("Administration"), "admin:index", _staff),
]


def navigation_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = [(item, reverse(item.url_name)) for item in NAVIGATION if item.visible(user)]
    # The current entry is the one whose address is the longest prefix of the page's (the start
    # page only for itself), so /konton/franvaro/ marks "Absence", not also "My accounts".
    home = reverse("core:home")
    matching = [
        url for _item, url in items if (current_path == url if url == home else current_path.startswith(url))
    ]
    current = max(matching, key=len) if matching else None
    return [
        {"key": item.key, "label": item.label, "url": url, "current": url == current} for item, url in items
    ]
