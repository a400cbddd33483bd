"""What the new-account requests and the organisation do about the policy's rules, for the policy
page (core.policy). Registered from GovernanceConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from accounts.policy_rules import flag_figure
from core.policy import Figure, register
from governance.campaigns import campaigns_awaiting_approval, campaigns_started_without_approval
from governance.models import AccountRequest

APP = "governance"

REQUEST_PAGES = ("governance:request_create", "governance:request_list")


def requests_to_review(now: datetime) -> int:
    """KAU-START-COMMS: requests submitted and waiting for the communications department's review."""
    return AccountRequest.objects.filter(status=AccountRequest.Status.SUBMITTED).count()


def requests_to_decide(now: datetime) -> int:
    """KAU-START-APPROVAL: requests reviewed and waiting for the head of unit's decision."""
    return AccountRequest.objects.filter(status=AccountRequest.Status.REVIEWED).count()


def register_rules() -> None:
    to_review = Figure(
        _("Requests waiting for review"),
        requests_to_review,
        url="governance:request_list",
        query={"status": AccountRequest.Status.SUBMITTED},
    )
    to_decide = Figure(
        _("Requests waiting for a decision"),
        requests_to_decide,
        url="governance:request_list",
        query={"status": AccountRequest.Status.REVIEWED},
    )
    asked = {
        "KAU-AREA": _(
            "The new-account request asks which priority areas the account serves; it cannot be "
            "submitted without at least one."
        ),
        "KAU-AUDIENCE": _(
            "The new-account request asks whom the account speaks to; it cannot be submitted without "
            "at least one audience."
        ),
        "KAU-START-PURPOSE": _(
            "The new-account request asks for the account's purpose and goal; it cannot be submitted "
            "without a real answer."
        ),
        "KAU-CONTENT": _(
            "The new-account request holds the content strategy and the editorial plan; it cannot be "
            "submitted without them."
        ),
        "KTH-RESOURCES": _(
            "The new-account request asks for the hours a week and the people set aside for the "
            "account; it cannot be submitted without them."
        ),
        "KTH-TERMS": _(
            "The new-account request asks the requester to confirm that the platform's terms of use "
            "were checked, and what the check found; it cannot be submitted without it."
        ),
        "KTH-BLOG": _(
            "A request for a blog names the blogger, who is approved with the request; a blogger who "
            "is not employed needs the unit that gives the direct assignment."
        ),
    }
    for rule_id, what in asked.items():
        register(rule_id, app=APP, what=what, where=REQUEST_PAGES)
    register(
        "KAU-START-CHECKLIST",
        app=APP,
        what=_(
            "The approved new-account request is the account's strategy document: every question of "
            "the checklist must be answered in a few sentences before it can be submitted. The "
            "registry flags an account without one."
        ),
        where=(*REQUEST_PAGES, "accounts:list"),
        figures=(flag_figure("strategy", _("Accounts without a strategy document")),),
    )
    approval = _(
        "The head of the requesting unit decides each new-account request: the approver follows from "
        "the unit, and the requester cannot choose. The decision is kept as a record, also as PDF/A."
    )
    register(
        "KAU-START-APPROVAL", app=APP, what=approval, where=("governance:request_list",), figures=(to_decide,)
    )
    register("KTH-APPROVAL", app=APP, what=approval, where=("governance:request_list",), figures=(to_decide,))
    register(
        "KTH-MANAGER",
        app=APP,
        what=_(
            "The decision names the head who approved it. As head of the account's unit, that manager "
            "answers for the account in the registry."
        ),
        where=("governance:request_list", "governance:unit_list"),
    )
    review = _(
        "The communications department reviews every request before the head of unit decides, sees "
        "every request, and can return it for changes. A request can name an existing account it is "
        "about."
    )
    register(
        "KAU-START-COMMS", app=APP, what=review, where=("governance:request_list",), figures=(to_review,)
    )
    register("KTH-EXISTING", app=APP, what=review, where=("governance:request_list",), figures=(to_review,))
    register(
        "KAU-HIERARCHY",
        app=APP,
        what=_(
            "The social media lead sees every request and takes part in the review with the "
            "communications department; their comments are kept with the request."
        ),
        where=("governance:request_list",),
    )
    register(
        "KAU-PROFILE-GUIDE",
        app=APP,
        what=_(
            "The profile guide is a page of its own. Each request is checked against it, and every "
            "departure is shown to the communications department, which accepts it or returns the "
            "request."
        ),
        where=("governance:profile_guide", "governance:request_create"),
    )
    register(
        "KAU-SENDER",
        app=APP,
        what=_(
            "The new-account request names the sender type and the profile picture, and is checked "
            "against the profile guide."
        ),
        where=("governance:profile_guide", "governance:request_create"),
    )
    register(
        "KAU-ADS",
        app=APP,
        what=_(
            "Every paid campaign in an official account is filed in the campaign register and must be "
            "approved by the communications department or an appointed person before it starts; "
            "nobody approves their own campaign, and a campaign whose start has come without approval "
            "is flagged. A campaign on an account marked as a subsidiary's needs no approval and says "
            "so."
        ),
        where=("governance:campaign_list", "governance:campaign_create"),
        figures=(
            Figure(
                _("Campaigns awaiting approval"),
                campaigns_awaiting_approval,
                url="governance:campaign_list",
                query={"phase": "awaiting"},
            ),
            Figure(
                _("Campaigns started without approval"),
                campaigns_started_without_approval,
                url="governance:campaign_list",
                query={"phase": "unapproved"},
            ),
        ),
    )
