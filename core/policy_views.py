"""The policy page, "Regler" / "Policy": every rule of the policy and what Kanalvakt does about it,
for everyone signed in, as a page and as JSON.

Built from the catalogue and the registry (core.policy), so a rule without an enforcement shows as
such. The figures are counts over the whole institution, one query each: the page costs the same
number of queries whatever the size of the data. A figure that would tell something only some roles
may know (open threat cases) is shown only to them; the pages it links to check access themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from core import policy
from core.policy import Where

# The name of each page a rule is met on, as the page itself is headed.
PAGE_NAMES: dict[str, str | Promise] = {
    "core:home": _("My tasks"),
    "core:policy": _("Rules for social media"),
    "core:email_settings": _("E-mail settings"),
    "official_accounts": _("The university's official accounts"),
    "official_accounts_json": _("The university's official accounts as JSON"),
    "accounts:list": _("Account registry"),
    "accounts:absences": _("Absence"),
    "accounts:compare": _("Compare accounts"),
    "accounts:closing_candidates": _("Accounts to consider closing"),
    "accounts:register": _("Register an existing account"),
    "accounts:ambassadors": _("Ambassadors and bloggers"),
    "accounts:ambassador_propose": _("Propose an ambassador or blogger"),
    "governance:unit_list": _("Organisation"),
    "governance:settings": _("Settings"),
    "governance:profile_guide": _("Profile guide"),
    "governance:request_list": _("New-account requests"),
    "governance:request_create": _("Request a new account"),
    "governance:campaign_list": _("Paid campaigns"),
    "governance:campaign_create": _("File a campaign"),
    "moderation:queue": _("My queue"),
    "moderation:report": _("Response times"),
    "moderation:replies": _("Saved replies"),
    "moderation:cases": _("Threats"),
    "moderation:consents": _("Consents"),
    "moderation:consent_create": _("Record a consent"),
    "moderation:crowd_create": _("Record a crowd situation"),
    "moderation:credit_create": _("Record a photographer credit"),
    "moderation:crises": _("Crisis"),
    "archive:search": _("Search and export the archive"),
    "archive:registry_queue": _("Registration queue"),
    "archive:secrecy_reviews": _("Secrecy reviews"),
    "archive:exports": _("Archive exports"),
    "archive:retention": _("Disposal"),
    "connectors:overview": _("Connections"),
}


def page_name(where: Where) -> str:
    name = where if isinstance(where, str) else where[0]
    return str(PAGE_NAMES.get(name, policy.path_of(where)))


@dataclass
class ShownFigure:
    label: str
    value: int
    path: str | None


@dataclass
class ShownEnforcement:
    app: str
    what: str
    where: list[tuple[str, str]]  # (name of the page, path)
    figures: list[ShownFigure] = field(default_factory=list)


@dataclass
class ShownRule:
    id: str
    anchor: str
    text: str
    reason: str
    enforcements: list[ShownEnforcement]

    @property
    def enforced(self) -> bool:
        return bool(self.enforcements)


def rules_for(user: Any, now: datetime) -> list[tuple[policy.Section, list[ShownRule]]]:
    """Every rule by section, with what Kanalvakt does and the figures ``user`` may see at ``now``.
    Each figure is counted once, with one query."""
    result = []
    for section, rules in policy.sections_with_rules():
        shown = []
        for entry in rules:
            enforcements = [
                ShownEnforcement(
                    app=enforcement.app,
                    what=str(enforcement.what),
                    where=[(page_name(where), policy.path_of(where)) for where in enforcement.where],
                    figures=[
                        ShownFigure(str(figure.label), figure.count(now), figure.path())
                        for figure in enforcement.figures
                        if figure.shown_to(user)
                    ],
                )
                for enforcement in policy.enforcements_for(entry.id)
            ]
            shown.append(ShownRule(entry.id, entry.anchor, str(entry.text), str(entry.reason), enforcements))
        result.append((section, shown))
    return result


def summary(sections: list[tuple[policy.Section, list[ShownRule]]]) -> dict[str, int]:
    rules = [entry for _section, entries in sections for entry in entries]
    return {
        "rules": len(rules),
        "enforced": sum(1 for entry in rules if entry.enforced),
        # A reason says what Kanalvakt cannot enforce: the whole rule, or the part people judge.
        "with_reason": sum(1 for entry in rules if entry.reason),
        "neither": sum(1 for entry in rules if not entry.enforced and not entry.reason),
    }


@require_GET
def policy_page(request: HttpRequest) -> HttpResponse:
    """Every rule with its ID, its plain text, what Kanalvakt does and where, and live figures."""
    now = timezone.now()
    sections = rules_for(request.user, now)
    return render(
        request,
        "core/policy.html",
        {"sections": sections, "summary": summary(sections), "now": now},
    )


@require_GET
def policy_json(request: HttpRequest) -> JsonResponse:
    """The same as the page, as JSON: texts in the request's language, paths absolute."""
    now = timezone.now()
    sections = rules_for(request.user, now)
    return JsonResponse(
        {
            "language": get_language(),
            "generated_at": now.isoformat(),
            "summary": summary(sections),
            "sections": [
                {
                    "key": section.key,
                    "title": str(section.title),
                    "rules": [
                        {
                            "id": entry.id,
                            "text": entry.text,
                            "enforced": entry.enforced,
                            "not_enforced_reason": entry.reason or None,
                            "enforcements": [
                                {
                                    "app": enforcement.app,
                                    "what": enforcement.what,
                                    "where": [
                                        {"name": name, "path": path} for name, path in enforcement.where
                                    ],
                                    "figures": [
                                        {"label": figure.label, "value": figure.value, "path": figure.path}
                                        for figure in enforcement.figures
                                    ],
                                }
                                for enforcement in entry.enforcements
                            ],
                        }
                        for entry in rules
                    ],
                }
                for section, rules in sections
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
