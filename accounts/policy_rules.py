"""What the account registry does about the policy's rules, for the policy page (core.policy).

Registered from AccountsConfig.ready(). The figures reuse the registry's compliance flags
(accounts.flags): each counts the open accounts with one flag raised, in one query (and one for the
institution's start-page interval), and links to the registry filtered by that flag.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.ambassadors import count_awaiting_approval, count_current
from accounts.flags import flag_by_key, flagged, with_flags
from accounts.models import Account
from core.policy import Figure, register

APP = "accounts"


def count_flagged(key: str, now: datetime) -> int:
    """The open accounts of the whole institution with flag ``key`` raised at ``now``."""
    if flag_by_key(key) is None:
        return 0
    return flagged(with_flags(Account.objects.order_by(), now=now), key).count()


def flag_figure(key: str, label: str | Promise) -> Figure:
    """A figure counting the accounts flagged ``key``, linked to the registry filtered by it."""

    def count(now: datetime) -> int:
        return count_flagged(key, now)

    return Figure(label, count, url="accounts:list", query={"flag": key})


def accounts_closing(now: datetime) -> int:
    """KAU-CLOSE: accounts being closed (started, not yet closed)."""
    return Account.objects.filter(status=Account.Status.CLOSING).count()


def register_rules() -> None:
    register(
        "KAU-RESP-OWNER",
        app=APP,
        what=_(
            "Every account in the registry has an account owner and at least one deputy. The registry "
            "flags an account that lacks one, or whose owner or deputy has left, and the head of unit "
            "is told at once when an owner is deactivated."
        ),
        where=("accounts:list",),
        figures=(flag_figure("resp_owner", _("Accounts missing an owner or a deputy")),),
    )
    register(
        "KAU-RESP-MANAGER",
        app=APP,
        what=_(
            "Every account belongs to a unit. The head of that unit, and the heads above it, see its "
            "accounts in the registry and can change the owner and the deputies."
        ),
        where=("accounts:list", "governance:unit_list"),
    )
    register(
        "KAU-RESP-DAILY",
        app=APP,
        what=_(
            "People record their absences. Every day Kanalvakt looks two weeks ahead for days when "
            "nobody among the owner and the deputies is available, tells them and the head of unit, "
            "and flags the account."
        ),
        where=("accounts:absences", "accounts:list"),
        figures=(flag_figure("coverage", _("Accounts with coming days without cover")),),
    )
    register(
        "KAU-STARTPAGE",
        app=APP,
        what=_(
            "The registry flags an account whose start-page screenshot is missing, older than the "
            "institution's interval, or older than a major change (owner, name or handle)."
        ),
        where=("accounts:list",),
        figures=(flag_figure("startpage", _("Accounts with a start-page screenshot due")),),
    )
    register(
        "KAU-FOLLOWUP",
        app=APP,
        what=_(
            "Every account has a follow-up due date. The follow-up records statistics, the two "
            "checklist questions, the value against the resources and a decision; an overdue one is "
            "reminded and flagged. Accounts can be compared side by side."
        ),
        where=("accounts:list", "accounts:compare"),
        figures=(flag_figure("followup", _("Accounts with a follow-up overdue")),),
    )
    register(
        "KAU-INFORM",
        app=APP,
        what=_(
            "The owner confirms on the account's page that the public-records notice is in place; "
            "until someone does, the registry flags the account."
        ),
        where=("accounts:list",),
        figures=(flag_figure("inform", _("Accounts without a confirmed public-records notice")),),
    )
    register(
        "KAU-SENDER",
        app=APP,
        what=_(
            "The owner confirms on the account's page that sender and profile follow the profile "
            "guide; until someone does, the registry flags the account."
        ),
        where=("accounts:list", "governance:profile_guide"),
        figures=(flag_figure("sender", _("Accounts without a confirmed sender and profile")),),
    )
    register(
        "KAU-CLOSE",
        app=APP,
        what=_(
            "Accounts with no follow-up for a long time, a decision to close, or nobody able to watch "
            "them are proposed for closing. Closing switches commenting off (or records that the "
            "platform cannot), keeps a last start-page screenshot, and the closed account stays in "
            "the registry and takes no new items."
        ),
        where=("accounts:closing_candidates",),
        figures=(
            Figure(
                _("Accounts being closed"),
                accounts_closing,
                url="accounts:list",
                query={"status": Account.Status.CLOSING},
            ),
        ),
    )
    register(
        "KAU-START-COMMS",
        app=APP,
        what=_(
            "Only the communications department and the social media lead register an account "
            "directly, so the department knows every account in the university's name."
        ),
        where=("accounts:list",),
    )
    register(
        "KTH-PRIVATE",
        app=APP,
        what=_(
            "Kanalvakt publishes the list of the university's active official accounts, open to "
            "everyone without signing in, as a page and as JSON, with ambassadors and bloggers in a "
            "section of their own. The registry refuses to register an employee's private account."
        ),
        where=("official_accounts", "official_accounts_json", "accounts:register"),
    )
    register(
        "KAU-PRIVATE",
        app=APP,
        what=_(
            "The registry asks whether an account is an employee's private account and refuses to "
            "register it. Student ambassadors and bloggers on assignment are recorded apart from the "
            "accounts; their page and the public list say that they speak from their own perspective "
            "and are not official spokespersons."
        ),
        where=("accounts:register", "accounts:ambassadors", "official_accounts"),
        figures=(
            Figure(
                _("Ambassadors and bloggers on assignment now"),
                count_current,
                url="accounts:ambassadors",
            ),
        ),
    )
    register(
        "KTH-BLOG",
        app=APP,
        what=_(
            "The head of the unit, found from the organisation tree, approves or refuses every blogger "
            "and student ambassador; someone who is not employed needs a direct assignment from the "
            "unit, which is kept with the approval."
        ),
        where=("accounts:ambassadors", "accounts:ambassador_propose"),
        figures=(
            Figure(
                _("Proposals awaiting the head's approval"),
                count_awaiting_approval,
                url="accounts:ambassadors",
                query={"state": "proposed"},
            ),
        ),
    )
