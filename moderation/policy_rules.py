"""What moderation does about the policy's rules, for the policy page (core.policy). Registered from
ModerationConfig.ready()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.policy_rules import flag_figure
from core.calendar import STOCKHOLM
from core.policy import Figure, register
from core.roles import Role, has_role
from moderation.cases import may_handle_cases
from moderation.consents import consents_expiring, may_use_register, withdrawn_unhandled
from moderation.crisis import accounts_not_logged_in_active_crisis, active_crises
from moderation.models import Item, ThreatCase
from moderation.registration import no_registration_this_month

APP = "moderation"


def start_of_month(now: datetime) -> datetime:
    """Midnight on the first day of ``now``'s month, on the Stockholm wall clock."""
    local = timezone.localtime(now, STOCKHOLM)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def items_past_limit_this_month(now: datetime) -> int:
    """KAU-RESPONSE-DEADLINE: items whose outer limit fell this month (Stockholm) before ``now`` and
    that were not handled by it: still unanswered, or handled after the limit."""
    return Item.objects.filter(
        Q(handled_at__isnull=True) | Q(handled_at__gt=F("limit_at")),
        limit_at__gte=start_of_month(now),
        limit_at__lte=now,
    ).count()


def open_threat_cases(now: datetime) -> int:
    """KAU-THREAT: threat cases not yet closed."""
    return ThreatCase.objects.filter(closed_at__isnull=True).count()


def _follows_threats(user: Any) -> bool:
    """Only those who follow threat cases learn how many are open (the security officer, the lead)."""
    return may_handle_cases(user)


def _searches_archive(user: Any) -> bool:
    """The archive search, where the figure leads, is the registrar's and the social media lead's."""
    return has_role(user, Role.REGISTRAR, Role.SOCIAL_MEDIA_LEAD)


def register_rules() -> None:
    register(
        "KAU-RESPONSE-DEADLINE",
        app=APP,
        what=_(
            "Each question or comment gets a due time (24 working hours) and an outer limit (48) from "
            "the working calendar. My queue orders items by them, a reminder goes out at the due time "
            "and an escalation at the limit, and the report shows how many were answered in time."
        ),
        where=("moderation:queue", "moderation:report", "governance:settings"),
        figures=(
            Figure(
                _("Items past the limit this month"), items_past_limit_this_month, url="moderation:report"
            ),
            flag_figure("response", _("Accounts with an unanswered item past the limit")),
        ),
    )
    register(
        "KAU-RESPONSE-CRITICISM",
        app=APP,
        what=_("An item classified as criticism is sent at once to the head of the account's unit."),
        where=("moderation:queue",),
    )
    register(
        "KAU-RESPONSE-TONE",
        app=APP,
        what=_(
            "The communications department keeps saved replies; the moderator is offered those that "
            "fit the account and edits the text before it is sent."
        ),
        where=("moderation:replies", "moderation:queue"),
    )
    register(
        "KAU-DREV",
        app=APP,
        what=_(
            "An item marked as a risk of a pile-on is sent at once to the central social media address "
            "set in the settings."
        ),
        where=("moderation:queue", "governance:settings"),
    )
    register(
        "KAU-THREAT",
        app=APP,
        what=_(
            "An item marked as a threat alerts the security officer at once, and again if nobody "
            "acknowledges it. It opens a threat case that the security officer and the social media "
            "lead follow until it is closed."
        ),
        where=("moderation:cases",),
        figures=(
            Figure(
                _("Open threat cases"), open_threat_cases, url="moderation:cases", visible=_follows_threats
            ),
        ),
    )
    register(
        "KAU-PROHIBITED",
        app=APP,
        what=_(
            "The moderator marks which kind of prohibited content an item is and can remove it; the "
            "removal, with who and when, is in the item's log."
        ),
        where=("moderation:queue",),
    )
    register(
        "KAU-RESP-MANAGER",
        app=APP,
        what=_("Heads of unit read the response times of their units' accounts."),
        where=("moderation:report",),
    )
    register(
        "KAU-PUBLIC-RECORD",
        app=APP,
        what=_(
            "Every question and comment is kept with its log and is never deleted: the database refuses it."
        ),
        where=("moderation:queue",),
    )
    register(
        "KAU-DIARY-NONE",
        app=APP,
        what=_(
            "The account's moderators record, on the item page with one click or for several items "
            "from My queue, that a question or comment needs no registration: who decided, when, why "
            "if they say, and where the item is found (its address on the platform, and Kanalvakt's "
            "own copy with its log). Criticism, threats and prohibited content cannot be decided so."
        ),
        where=("moderation:queue",),
        figures=(
            Figure(
                _("Items decided as needing no registration this month"),
                no_registration_this_month,
                url="archive:search",
                query={"registration": "not_needed"},
                visible=_searches_archive,
            ),
        ),
    )
    register(
        "KAU-CONSENT",
        app=APP,
        what=_(
            "The consent register keeps written or digital consents to publication in social media, "
            "with the signed form or the confirmation as a file, and crowd situations with how people "
            "were informed and what they objected to. Posts, published or planned, are linked to the "
            "consents they rely on. A withdrawal is recorded, never deleted: it lists the posts it "
            "affects and asks their owner and deputies, by e-mail and on the start page, to act on "
            "each. Only the people who need the records see them."
        ),
        where=("moderation:consents", "moderation:consent_create", "moderation:crowd_create"),
        figures=(
            Figure(
                _("Consents whose last day falls within 30 days"),
                consents_expiring,
                url="moderation:consents",
                query={"state": "expiring"},
                visible=may_use_register,
            ),
            Figure(
                _("Withdrawn consents with posts not yet handled"),
                withdrawn_unhandled,
                url="moderation:consents",
                query={"state": "withdrawn"},
                visible=may_use_register,
            ),
        ),
    )
    register(
        "KAU-CREDIT",
        app=APP,
        what=_(
            "The register keeps the photographer's credit line, or the agreement that replaces it, and "
            "their agreement to publication in social media. A post with a photo but no credit or "
            "agreement linked shows a warning."
        ),
        where=("moderation:consents", "moderation:credit_create"),
    )
    register(
        "KAU-CRISIS",
        app=APP,
        what=_(
            "The social media lead or the communications department declares one crisis at a time. "
            "Every owner and deputy of an active account is told at once by e-mail, every page shows "
            "a banner, and every queue shows the crisis. The crisis's own saved replies come first in "
            "every answer, accounts log what they published where, and the crisis ends with a summary "
            "and stays as a record. Threats and pile-ons are routed as always."
        ),
        where=("moderation:crises", "moderation:queue"),
        figures=(
            Figure(_("Crises active now"), active_crises, url="moderation:crises"),
            Figure(
                _("Active accounts that have logged nothing in the active crisis"),
                accounts_not_logged_in_active_crisis,
                url="moderation:crises",
            ),
        ),
    )
    register(
        "KTH-COMPLEMENT",
        app=APP,
        what=_(
            "A crisis cannot be declared without an https link to the information on the university's "
            "own website; the banner, the queues, the crisis page and the e-mail all lead with it, so "
            "that what the accounts publish complements the website and the intranet."
        ),
        where=("moderation:crises",),
    )
    register(
        "KAU-ACCESS",
        app=APP,
        what=_(
            "In a crisis the important information is always pointed to on the university's own "
            "website, never only on a platform Kanalvakt cannot control: the link is required."
        ),
        where=("moderation:crises",),
    )
