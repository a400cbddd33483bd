"""The life of a new-account request through governance.services: every transition allowed and
refused, who may take it, what it records, whom it notifies, and what submission demands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import Account
from core.models import Notification
from governance import selectors, services, workflow
from governance.models import AccountRequest, RequestEvent
from tests.conftest import Cast
from tests.governance.factories import NOW, STATES, complete_request_data, make_request

ACTIONS = ("submit", "return", "accept", "approve", "reject", "withdraw")

# Written out from the policy's workflow, not read from governance.workflow, so that a wrong table
# there fails here.
ALLOWED: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "return"): "returned",
    ("submitted", "accept"): "reviewed",
    ("reviewed", "approve"): "approved",
    ("reviewed", "reject"): "rejected",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("returned", "withdraw"): "withdrawn",
    ("reviewed", "withdraw"): "withdrawn",
}
EVENT_KIND = {
    "submit": RequestEvent.Kind.SUBMITTED,
    "return": RequestEvent.Kind.RETURNED,
    "accept": RequestEvent.Kind.REVIEWED,
    "approve": RequestEvent.Kind.APPROVED,
    "reject": RequestEvent.Kind.REJECTED,
    "withdraw": RequestEvent.Kind.WITHDRAWN,
}
CHANGE_REASON = {
    "submit": "submitted",
    "return": "returned",
    "accept": "reviewed",
    "approve": "approved",
    "reject": "rejected",
    "withdraw": "withdrawn",
}
# The person whose turn each action is: the requester files, the communications department reviews,
# the head of the requesting unit decides.
ACTOR = {
    "submit": "communicator",
    "return": "communications",
    "accept": "communications",
    "approve": "head_of_unit",
    "reject": "head_of_unit",
    "withdraw": "communicator",
}
COMMENT = {
    "submit": "",
    "return": "Beskriv målgruppen tydligare.",
    "accept": "Ingen befintlig kanal fyller behovet.",
    "approve": "Godkänt: resurserna är avsatta.",
    "reject": "Avslag: institutionens konto räcker.",
    "withdraw": "Vi använder institutionens konto i stället.",
}


def act(action: str, req: AccountRequest, by: Any) -> None:
    """Take ``action`` on ``req`` as ``by``, with the comment that action carries."""
    comment = COMMENT[action]
    if action == "submit":
        services.submit_request(req.pk, by=by, now=NOW)
    elif action == "return":
        services.return_request(req.pk, by=by, advice=comment, now=NOW)
    elif action == "accept":
        codes = [deviation["code"] for deviation in req.deviations]
        services.accept_request(req.pk, by=by, advice=comment, accepted_deviations=codes, now=NOW)
    elif action == "approve":
        services.approve_request(req.pk, by=by, reason=comment, now=NOW)
    elif action == "reject":
        services.reject_request(req.pk, by=by, reason=comment, now=NOW)
    else:
        services.withdraw_request(req.pk, by=by, comment=comment, now=NOW)


def snapshot(req: AccountRequest) -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    fresh = AccountRequest.objects.get(pk=req.pk)
    return (
        fresh.status,
        fresh.round,
        fresh.review_advice,
        fresh.decided_by_id,
        fresh.account_id,
        RequestEvent.objects.filter(request=req).count(),
        fresh.history.count(),
        Notification.objects.count(),
        Account.objects.count(),
    )


def recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


# --- Transitions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_every_transition_is_allowed_or_refused_by_the_workflow(cast: Cast, state: str, action: str) -> None:
    """All 7 states by 6 actions, each taken by the person whose turn it is. An allowed one moves the
    request and records who, when, which round, from where to where and what they wrote, in a
    RequestEvent and in the simple-history row; a refused one raises InvalidTransition and leaves the
    database exactly as it was."""
    req = make_request(cast, state=state)
    actor = cast[ACTOR[action]]
    if (state, action) not in ALLOWED:
        before = snapshot(req)
        with pytest.raises(workflow.InvalidTransition):
            act(action, req, actor)
        assert snapshot(req) == before
        return

    events_before = req.events.count()
    act(action, req, actor)
    req.refresh_from_db()
    target = ALLOWED[(state, action)]
    assert req.status == target
    expected_round = (
        2 if (state, action) == ("returned", "submit") else 1 if action == "submit" else req.round
    )
    assert req.round == expected_round
    assert req.events.count() == events_before + 1
    event = req.events.order_by("-pk").first()
    assert event is not None
    assert (event.kind, event.actor, event.round, event.from_status, event.to_status, event.comment) == (
        EVENT_KIND[action],
        actor,
        expected_round,
        state,
        target,
        COMMENT[action],
    )
    assert event.at == NOW
    latest = req.history.order_by("-history_id").first()
    assert latest is not None
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        target,
        actor,
        CHANGE_REASON[action],
    )


def test_a_request_submitted_twice_is_refused_the_second_time(cast: Cast) -> None:
    req = make_request(cast, state="submitted")
    before = snapshot(req)
    with pytest.raises(workflow.InvalidTransition):
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert snapshot(req) == before


def test_resubmission_starts_a_new_round_and_the_history_keeps_each_round(cast: Cast) -> None:
    req = make_request(cast, state="returned")
    services.save_draft(
        req.pk,
        by=cast["communicator"],
        data={
            "checklist_audience": "Gymnasieelever i Värmland och våra nuvarande fysikstudenter i första hand."
        },
        deputies=[cast["deputy"]],
        now=NOW,
    )
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    req.refresh_from_db()
    assert (req.status, req.round) == ("submitted", 2)
    submitted = req.events.filter(kind=RequestEvent.Kind.SUBMITTED).order_by("pk")
    assert [(e.round, e.from_status) for e in submitted] == [(1, "draft"), (2, "returned")]
    assert list(req.events.filter(kind=RequestEvent.Kind.RETURNED).values_list("round", flat=True)) == [1]
    submitted_rounds = req.history.filter(status="submitted").values_list("round", flat=True)
    assert set(submitted_rounds) == {1, 2}
    assert req.history.filter(status="returned", round=1, history_user=cast["communications"]).exists()


def test_a_returned_request_needs_written_advice(cast: Cast) -> None:
    req = make_request(cast, state="submitted")
    before = snapshot(req)
    with pytest.raises(ValidationError) as raised:
        services.return_request(req.pk, by=cast["communications"], advice="  ", now=NOW)
    assert "advice" in raised.value.message_dict
    assert snapshot(req) == before


def test_only_the_requester_edits_submits_and_withdraws(cast: Cast) -> None:
    req = make_request(cast)
    before = snapshot(req)
    for person in ("deputy", "head_of_unit", "communications"):
        with pytest.raises(PermissionDenied):
            services.submit_request(req.pk, by=cast[person], now=NOW)
        with pytest.raises(PermissionDenied):
            services.withdraw_request(req.pk, by=cast[person], comment="", now=NOW)
        with pytest.raises(PermissionDenied):
            services.save_draft(req.pk, by=cast[person], data={"name": "Kapat"}, deputies=[], now=NOW)
    assert snapshot(req) == before
    assert AccountRequest.objects.get(pk=req.pk).name == "Fysik vid Karlstads universitet"


def test_a_submitted_request_cannot_be_changed_as_a_draft(cast: Cast) -> None:
    req = make_request(cast, state="submitted")
    before = snapshot(req)
    with pytest.raises(workflow.InvalidTransition):
        services.save_draft(
            req.pk, by=cast["communicator"], data={"name": "Ändrat namn"}, deputies=[cast["deputy"]], now=NOW
        )
    assert snapshot(req) == before
    assert AccountRequest.objects.get(pk=req.pk).name == "Fysik vid Karlstads universitet"


def test_a_draft_is_not_open_for_comments_but_a_submitted_request_is(cast: Cast) -> None:
    """KAU-HIERARCHY: the social media lead weighs in on a submitted request; a comment changes no state."""
    draft = make_request(cast)
    with pytest.raises(workflow.InvalidTransition):
        services.comment_on_request(draft.pk, by=cast["social_media_lead"], comment="Tidigt", now=NOW)
    req = make_request(cast, state="submitted", handle="kemi_kau")
    event = services.comment_on_request(
        req.pk, by=cast["social_media_lead"], comment="Samordna med oss.", now=NOW
    )
    assert (event.kind, event.actor, event.round, event.comment) == (
        RequestEvent.Kind.COMMENTED,
        cast["social_media_lead"],
        1,
        "Samordna med oss.",
    )
    assert AccountRequest.objects.get(pk=req.pk).status == "submitted"
    assert recipients("request_commented") == {"communicator"}
    with pytest.raises(PermissionDenied):
        services.comment_on_request(req.pk, by=cast["outsider"], comment="Hej", now=NOW)


# --- Completeness (KAU-START-CHECKLIST and friends) ---------------------------------------------------


def bare_draft(cast: Cast) -> AccountRequest:
    """The communicator's draft with nothing but a unit, a platform and a name."""
    data = {"unit": cast.units["department"], "platform": "instagram", "name": "Nytt konto"}
    return services.save_draft(None, by=cast["communicator"], data=data, deputies=[], now=NOW)


def test_a_draft_needs_only_a_unit_a_platform_and_a_name(cast: Cast) -> None:
    with pytest.raises(ValidationError) as raised:
        services.save_draft(None, by=cast["communicator"], data={}, deputies=[], now=NOW)
    assert {"unit", "platform", "name"} <= set(raised.value.message_dict)
    assert not AccountRequest.objects.exists()
    draft = bare_draft(cast)
    assert draft.status == "draft"


def test_an_empty_request_cannot_be_submitted_and_every_missing_part_is_named(cast: Cast) -> None:
    """KAU-START-CHECKLIST, KAU-START-PURPOSE, KAU-CONTENT, KTH-RESOURCES, KTH-TERMS, KAU-RESP-OWNER:
    a request with nothing but its name, unit and platform names every part it lacks, and stays a draft."""
    draft = bare_draft(cast)
    before = snapshot(draft)
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(draft.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {
        "handle",
        "sender_type",
        "areas",
        "audiences",
        "purpose",
        "checklist_audience",
        "checklist_purpose",
        "checklist_goals",
        "checklist_staffing",
        "checklist_resources",
        "content_strategy",
        "editorial_goals",
        "editorial_stakeholders",
        "planned_frequency",
        "resource_hours_per_week",
        "resource_people",
        "terms_checked",
        "terms_note",
        "proposed_owner",
        "proposed_deputies",
    }
    assert snapshot(draft) == before
    assert AccountRequest.objects.get(pk=draft.pk).status == "draft"


def test_the_complete_factory_request_is_complete(cast: Cast) -> None:
    req = make_request(cast, state="submitted")
    assert (req.status, req.round) == ("submitted", 1)
    assert req.submitted_at == NOW


@pytest.mark.parametrize(
    "answer",
    [
        "Ja",
        "se ovan",
        "-",
        "a b c d e",  # five words, too short to say anything
        "Fysikinstitutionens studentkommunikationsplan",  # long enough, but not five words
    ],
)
def test_trivial_checklist_answers_are_refused(cast: Cast, answer: str) -> None:
    """KAU-START-CHECKLIST: each answer is part of the strategy document; "Ja" or "se ovan" is not one."""
    req = make_request(cast, purpose=answer, checklist_goals=answer, content_strategy=answer)
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"purpose", "checklist_goals", "content_strategy"}
    assert AccountRequest.objects.get(pk=req.pk).status == "draft"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"resource_hours_per_week": None}, "resource_hours_per_week"),
        ({"resource_hours_per_week": 0}, "resource_hours_per_week"),
        ({"resource_people": "  "}, "resource_people"),
        ({"terms_checked": False}, "terms_checked"),
        ({"terms_note": ""}, "terms_note"),
        ({"handle": "   "}, "handle"),
        ({"planned_frequency": ""}, "planned_frequency"),
        ({"areas": []}, "areas"),
        ({"audiences": []}, "audiences"),
    ],
)
def test_resources_and_terms_are_required_before_submission(
    cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    """KTH-RESOURCES and KTH-TERMS: time and people set aside, the terms checked and the finding noted."""
    req = make_request(cast, **overrides)
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {field}


def test_the_owner_cannot_also_be_a_deputy(cast: Cast) -> None:
    """KAU-RESP-OWNER: an owner and at least one other person as deputy."""
    req = make_request(cast, deputies=("communicator",))
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"proposed_deputies"}
    assert AccountRequest.objects.get(pk=req.pk).status == "draft"


def test_an_inactive_deputy_or_owner_is_refused(cast: Cast) -> None:
    """KAU-RESP-OWNER: owner and deputies are people who can watch the account."""
    req = make_request(cast)
    cast["deputy"].is_active = False
    cast["deputy"].save()
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"proposed_deputies"}

    other = make_request(cast, deputies=("staff",), proposed_owner=cast["outsider"], handle="kemi_kau")
    cast["outsider"].is_active = False
    cast["outsider"].save()
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(other.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"proposed_owner"}


def test_a_request_without_owner_and_deputies_is_refused(cast: Cast) -> None:
    """KAU-RESP-OWNER: every account has an owner and at least one deputy."""
    req = make_request(cast, deputies=(), proposed_owner=None)
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"proposed_owner", "proposed_deputies"}


BLOG: dict[str, Any] = {
    "platform": "blog",
    "handle": "",
    "sender_type": "internal_project",
    "name": "Fysikbloggen",
}


def test_a_blog_request_needs_a_blogger(cast: Cast) -> None:
    """KTH-BLOG: bloggers are approved by the manager, so the request names them."""
    req = make_request(cast, **BLOG)
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"blogger"}


def test_a_blogger_who_is_not_employed_needs_an_assigning_unit(cast: Cast) -> None:
    """KTH-BLOG: a non-employee blogs only on direct assignment from a unit."""
    req = make_request(cast, blogger_external_name="Alva Student", **BLOG)
    with pytest.raises(services.IncompleteRequest) as raised:
        services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert set(raised.value.message_dict) == {"blogger_assigning_unit"}
    assert AccountRequest.objects.get(pk=req.pk).status == "draft"

    assigned = make_request(
        cast, blogger_external_name="Alva Student", blogger_assigning_unit=cast.units["department"], **BLOG
    )
    services.submit_request(assigned.pk, by=cast["communicator"], now=NOW)
    assert AccountRequest.objects.get(pk=assigned.pk).status == "submitted"


def test_an_employed_blogger_needs_no_assigning_unit(cast: Cast) -> None:
    """KTH-BLOG: an employee blogger is approved with the request."""
    req = make_request(cast, blogger=cast["deputy"], **BLOG)
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    assert AccountRequest.objects.get(pk=req.pk).status == "submitted"


# --- Review: the communications department (KAU-START-COMMS, KAU-PROFILE-GUIDE) ------------------------


def test_a_subject_instagram_handle_without_kau_is_a_deviation_on_save_and_on_submit(cast: Cast) -> None:
    """KAU-PROFILE-GUIDE: a subject's Instagram handle has the form name_kau."""
    req = make_request(cast, handle="civing_studentliv")
    assert [(d["code"], d["rule"]) for d in req.deviations] == [("handle", "KAU-PROFILE-GUIDE")]
    assert "civing_studentliv" in req.deviations[0]["message"]
    assert "_kau" in req.deviations[0]["message"]
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    req.refresh_from_db()
    assert [d["code"] for d in req.deviations] == ["handle"]


def test_a_handle_that_follows_the_guide_is_no_deviation(cast: Cast) -> None:
    """KAU-PROFILE-GUIDE: fysik_kau follows the form name_kau; the university's logo is the picture."""
    req = make_request(cast, state="submitted")
    assert req.deviations == []


def test_a_deviation_fixed_in_a_revision_is_gone_after_resubmission(cast: Cast) -> None:
    """KAU-PROFILE-GUIDE: deviations follow the request as it is now, and acceptance starts over."""
    req = make_request(cast, state="returned", handle="civing_studentliv")
    assert [d["code"] for d in req.deviations] == ["handle"]
    services.save_draft(
        req.pk, by=cast["communicator"], data={"handle": "civing_kau"}, deputies=[cast["deputy"]], now=NOW
    )
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    req.refresh_from_db()
    assert (req.deviations, req.accepted_deviations) == ([], [])


def test_the_reviewer_must_accept_every_deviation(cast: Cast) -> None:
    """KAU-PROFILE-GUIDE, KAU-START-COMMS: each deviation is accepted explicitly, or nothing changes."""
    req = make_request(cast, state="submitted", handle="civing_studentliv", profile_picture="own")
    assert sorted(d["code"] for d in req.deviations) == ["handle", "profile_picture"]
    before = snapshot(req)
    for accepted in ([], ["handle"], ["profile_picture"]):
        with pytest.raises(ValidationError) as raised:
            services.accept_request(
                req.pk, by=cast["communications"], advice="Ok", accepted_deviations=accepted, now=NOW
            )
        assert "accepted_deviations" in raised.value.message_dict
        assert snapshot(req) == before
    services.accept_request(
        req.pk,
        by=cast["communications"],
        advice="Avvikelserna är motiverade.",
        accepted_deviations=["handle", "profile_picture"],
        now=NOW,
    )
    req.refresh_from_db()
    assert req.status == "reviewed"
    assert req.accepted_deviations == ["handle", "profile_picture"]
    assert (req.reviewed_by, req.review_advice) == (cast["communications"], "Avvikelserna är motiverade.")


def test_the_review_needs_advice(cast: Cast) -> None:
    """KAU-START-COMMS: the communications department says in writing what it found."""
    req = make_request(cast, state="submitted")
    before = snapshot(req)
    with pytest.raises(ValidationError) as raised:
        services.accept_request(
            req.pk, by=cast["communications"], advice=" ", accepted_deviations=[], now=NOW
        )
    assert "advice" in raised.value.message_dict
    assert snapshot(req) == before


@pytest.mark.parametrize(
    "person", ["communicator", "head_of_unit", "dean", "registrar", "outsider", "other_head"]
)
def test_only_the_communications_department_reviews(cast: Cast, person: str) -> None:
    """KAU-START-COMMS: the review is the communications department's; nobody else's."""
    req = make_request(cast, state="submitted")
    before = snapshot(req)
    with pytest.raises(PermissionDenied):
        services.accept_request(req.pk, by=cast[person], advice="Ok", accepted_deviations=[], now=NOW)
    with pytest.raises(PermissionDenied):
        services.return_request(req.pk, by=cast[person], advice="Nej", now=NOW)
    assert snapshot(req) == before


def test_the_social_media_lead_reviews_too(cast: Cast) -> None:
    """KAU-HIERARCHY: the central social media lead judges new accounts with the communications department."""
    req = make_request(cast, state="submitted")
    services.accept_request(
        req.pk, by=cast["social_media_lead"], advice="Bra.", accepted_deviations=[], now=NOW
    )
    assert AccountRequest.objects.get(pk=req.pk).reviewed_by == cast["social_media_lead"]


def test_a_reviewer_cannot_review_their_own_request(cast: Cast) -> None:
    """KAU-START-COMMS: a person of the communications department who files a request does not review it."""
    req = make_request(cast, state="submitted", requester="communications")
    before = snapshot(req)
    with pytest.raises(PermissionDenied):
        services.accept_request(
            req.pk,
            by=cast["communications"],
            advice="Jag godkänner mig själv.",
            accepted_deviations=[],
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        services.return_request(req.pk, by=cast["communications"], advice="Tillbaka.", now=NOW)
    assert snapshot(req) == before
    services.accept_request(
        req.pk, by=cast["social_media_lead"], advice="Ok.", accepted_deviations=[], now=NOW
    )
    assert AccountRequest.objects.get(pk=req.pk).status == "reviewed"


# --- Existing channels (KAU-START-COMMS) -----------------------------------------------------------------


def test_submission_lists_the_existing_channels_that_may_serve_the_need(
    cast: Cast, make_account: Any
) -> None:
    """KAU-START-COMMS: the channels that may already exist are listed with the reason each is there;
    closed accounts, drafts and the request itself are not."""
    same_unit = make_account(unit="department", name="Institutionens nyheter", handle="inst_nyheter_kau")
    similar_name = make_account(
        unit="other", platform="facebook_page", name="Fysik för alla", handle="popularvetenskap_kau"
    )
    make_account(unit="department", name="Fysik", handle="fysik_gamla_kau", status=Account.Status.CLOSED)
    make_account(
        unit="comms", platform="linkedin", name="Karlstads universitet", handle="karlstads_universitet"
    )
    similar_handle = make_request(
        cast,
        state="submitted",
        requester="deputy",
        deputies=("communicator",),
        proposed_owner=cast["deputy"],
        unit=cast.units["other"],
        platform="facebook_page",
        name="Studentlivet på Andra",
        handle="fysiken_kau",
    )
    make_request(
        cast, unit=cast.units["other"], platform="x", name="Utkast om fysik", handle="fysik_utkast_kau"
    )

    req = make_request(cast)
    assert req.existing_channels == []  # listed on submission, not before
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    req.refresh_from_db()
    found = {(match["kind"], match["id"]): match["reasons"] for match in req.existing_channels}
    assert found == {
        ("account", same_unit.pk): ["same_unit_platform"],
        ("account", similar_name.pk): ["similar_name"],
        ("request", similar_handle.pk): ["similar_handle"],
    }
    assert ("request", req.pk) not in found


def test_a_resubmitted_request_never_matches_itself(cast: Cast) -> None:
    """KAU-START-COMMS: the request's own earlier round is not an existing channel."""
    req = make_request(cast, state="returned")
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    req.refresh_from_db()
    assert all(not (m["kind"] == "request" and m["id"] == req.pk) for m in req.existing_channels)
    assert req.existing_channels == []


# --- Decision (KAU-START-APPROVAL) -----------------------------------------------------------------------


def test_approval_registers_the_account_with_owner_and_deputies(cast: Cast) -> None:
    """KAU-START-APPROVAL, KAU-RESP-OWNER: the approved request enters the registry as an account with
    its owner and deputies, linked both ways to its strategy document."""
    req = make_request(cast, state="reviewed", deputies=("deputy", "staff"))
    services.approve_request(req.pk, by=cast["head_of_unit"], reason="Godkänt.", now=NOW)
    req.refresh_from_db()
    account = req.account
    assert account is not None
    assert account.request == req
    assert (account.unit, account.platform, account.handle, account.name, account.owner) == (
        cast.units["department"],
        "instagram",
        "fysik_kau",
        "Fysik vid Karlstads universitet",
        cast["communicator"],
    )
    assert set(account.deputies.all()) == {cast["deputy"], cast["staff"]}
    assert account.status == Account.Status.ACTIVE
    assert (req.decided_by, req.decided_at, req.decision_reason) == (cast["head_of_unit"], NOW, "Godkänt.")


@pytest.mark.parametrize("decide", [services.approve_request, services.reject_request])
def test_a_decision_needs_a_reason(cast: Cast, decide: Callable[..., Any]) -> None:
    """KAU-START-APPROVAL: the decision record says why."""
    req = make_request(cast, state="reviewed")
    before = snapshot(req)
    with pytest.raises(ValidationError) as raised:
        decide(req.pk, by=cast["head_of_unit"], reason="  ", now=NOW)
    assert "reason" in raised.value.message_dict
    assert snapshot(req) == before
    assert not Account.objects.exists()


def test_rejection_registers_no_account(cast: Cast) -> None:
    req = make_request(cast, state="rejected")
    assert (req.status, req.account, req.decided_by) == ("rejected", None, cast["head_of_unit"])
    assert not Account.objects.exists()


def test_the_head_of_the_requesting_unit_approves(cast: Cast) -> None:
    """KAU-START-APPROVAL: the approver follows from the requesting unit."""
    req = make_request(cast, state="reviewed")
    assert selectors.approver_for(req) == cast["head_of_unit"]


def test_a_head_who_files_a_request_is_decided_on_by_the_head_above(cast: Cast) -> None:
    """KAU-START-APPROVAL: nobody decides on their own request; a head's request goes to the dean."""
    req = make_request(cast, state="reviewed", requester="head_of_unit")
    assert selectors.approver_for(req) == cast["dean"]
    before = snapshot(req)
    with pytest.raises(PermissionDenied):
        services.approve_request(req.pk, by=cast["head_of_unit"], reason="Självklart.", now=NOW)
    with pytest.raises(PermissionDenied):
        services.reject_request(req.pk, by=cast["head_of_unit"], reason="Nej.", now=NOW)
    assert snapshot(req) == before
    services.approve_request(req.pk, by=cast["dean"], reason="Godkänt av dekanen.", now=NOW)
    assert AccountRequest.objects.get(pk=req.pk).decided_by == cast["dean"]


def test_a_unit_without_a_head_is_decided_on_by_the_nearest_head_above(cast: Cast) -> None:
    """KAU-START-APPROVAL: at every level of the organisation, the nearest manager above decides."""
    services.set_unit_head(cast.units["department"], head=None, by=None)
    req = make_request(cast, state="reviewed")
    assert selectors.approver_for(req) == cast["dean"]
    with pytest.raises(PermissionDenied):
        services.approve_request(req.pk, by=cast["head_of_unit"], reason="Jag var chef.", now=NOW)
    services.approve_request(req.pk, by=cast["dean"], reason="Ok.", now=NOW)
    assert AccountRequest.objects.get(pk=req.pk).status == "approved"


def test_an_inactive_head_is_skipped(cast: Cast) -> None:
    """KAU-START-APPROVAL: a head who has left decides nothing; the nearest active head above does."""
    req = make_request(cast, state="reviewed")
    cast["head_of_unit"].is_active = False
    cast["head_of_unit"].save()
    assert selectors.approver_for(req) == cast["dean"]
    cast["dean"].is_active = False
    cast["dean"].save()
    assert selectors.approver_for(req) is None  # the university has no head in the cast
    for person in ("dean", "head_of_unit", "social_media_lead"):
        with pytest.raises(PermissionDenied):
            services.approve_request(req.pk, by=cast[person], reason="Ok.", now=NOW)


@pytest.mark.parametrize(
    "person", ["social_media_lead", "other_head", "communications", "dean", "communicator", "registrar"]
)
def test_nobody_but_the_approver_decides(cast: Cast, person: str) -> None:
    """KAU-START-APPROVAL: the requester cannot pick an approver; the lead, another head, the
    communications department and the head further up all are refused."""
    req = make_request(cast, state="reviewed")
    before = snapshot(req)
    with pytest.raises(PermissionDenied):
        services.approve_request(req.pk, by=cast[person], reason="Ok.", now=NOW)
    with pytest.raises(PermissionDenied):
        services.reject_request(req.pk, by=cast[person], reason="Nej.", now=NOW)
    assert snapshot(req) == before


def test_approvers_of_many_requests_are_found_in_one_query(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    """KAU-START-APPROVAL: the derivation is one query whatever the number of requests."""
    make_request(cast)
    make_request(cast, requester="head_of_unit")
    make_request(cast, unit=cast.units["other"])
    requests = list(AccountRequest.objects.select_related("unit").order_by("pk"))
    with django_assert_num_queries(1):
        approvers = selectors.approvers_for(requests)
    assert [approvers[r.pk] for r in requests] == [cast["head_of_unit"], cast["dean"], cast["other_head"]]


# --- Notifications -----------------------------------------------------------------------------------------


def test_submission_notifies_the_reviewers_but_not_the_requester(cast: Cast) -> None:
    """KAU-START-COMMS: the communications department learns of every new request."""
    make_request(cast, state="submitted")
    assert recipients("request_submitted") == {"communications", "social_media_lead"}
    Notification.objects.all().delete()
    make_request(cast, state="submitted", requester="communications", handle="kemi_kau")
    assert recipients("request_submitted") == {"social_media_lead"}


def test_each_round_is_notified_again(cast: Cast) -> None:
    req = make_request(cast, state="returned")
    services.submit_request(req.pk, by=cast["communicator"], now=NOW)
    rows = Notification.objects.filter(kind="request_submitted", recipient=cast["communications"])
    assert rows.count() == 2


def test_the_review_notifies_the_approver_only(cast: Cast) -> None:
    """KAU-START-APPROVAL: the head named by the tree is asked to decide; nobody else."""
    make_request(cast, state="reviewed")
    assert recipients("request_reviewed") == {"head_of_unit"}
    Notification.objects.all().delete()
    make_request(cast, state="reviewed", requester="head_of_unit", handle="kemi_kau")
    assert recipients("request_reviewed") == {"dean"}


def test_a_return_notifies_the_requester(cast: Cast) -> None:
    make_request(cast, state="returned")
    assert recipients("request_returned") == {"communicator"}
    row = Notification.objects.get(kind="request_returned")
    assert "Förtydliga målgruppen" in row.body


@pytest.mark.parametrize(
    ("state", "kind"), [("approved", "request_approved"), ("rejected", "request_rejected")]
)
def test_a_decision_notifies_requester_owner_deputies_and_reviewer(cast: Cast, state: str, kind: str) -> None:
    """KAU-RESP-OWNER: the owner and deputies learn of the decision; so do the requester and the reviewer."""
    make_request(cast, state=state, proposed_owner=cast["staff"], deputies=("deputy",))
    assert recipients(kind) == {"communicator", "staff", "deputy", "communications"}


def test_a_refused_transition_notifies_nobody(cast: Cast) -> None:
    req = make_request(cast, state="approved")
    before = Notification.objects.count()
    with pytest.raises(workflow.InvalidTransition):
        services.reject_request(req.pk, by=cast["head_of_unit"], reason="Ångrar mig.", now=NOW)
    assert Notification.objects.count() == before


def test_complete_request_data_is_accepted_by_the_model(cast: Cast) -> None:
    """The factory's data is a valid, complete request; changing it changes what is stored."""
    data = complete_request_data(cast, name="Kemi vid Karlstads universitet")
    req = services.save_draft(None, by=cast["communicator"], data=data, deputies=[cast["deputy"]], now=NOW)
    assert req.name == "Kemi vid Karlstads universitet"
    assert list(req.proposed_deputies.all()) == [cast["deputy"]]


# --- Two people at once (PostgreSQL row locks) -------------------------------------------------------------


def run_at_once(*calls: Callable[[], Any]) -> list[str]:
    """Run each call in its own thread and database connection, released together; what each got."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("done")
        except workflow.InvalidTransition:
            outcomes.append("refused")
        except Exception as exc:
            outcomes.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_once_make_one_decision_and_at_most_one_account(cast: Cast) -> None:
    """KAU-START-APPROVAL: an approval and a rejection sent at the same moment: the row lock lets one
    through and refuses the other; one decision event, and an account only if it was the approval."""
    req = make_request(cast, state="reviewed")
    head = cast["head_of_unit"]
    outcomes = run_at_once(
        lambda: services.approve_request(req.pk, by=head, reason="Ja.", now=NOW),
        lambda: services.reject_request(req.pk, by=head, reason="Nej.", now=NOW),
    )
    assert outcomes == ["done", "refused"]
    req.refresh_from_db()
    assert req.events.filter(kind__in=[RequestEvent.Kind.APPROVED, RequestEvent.Kind.REJECTED]).count() == 1
    assert Account.objects.count() == (1 if req.status == "approved" else 0)
    assert (
        Notification.objects.filter(kind__in=["request_approved", "request_rejected"])
        .values("kind")
        .distinct()
        .count()
        == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_submitted_twice_at_once_is_submitted_once(cast: Cast) -> None:
    """KAU-START-COMMS: a double click is one submission, one round, one notice to each reviewer."""
    req = make_request(cast)
    by = cast["communicator"]
    outcomes = run_at_once(
        lambda: services.submit_request(req.pk, by=by, now=NOW),
        lambda: services.submit_request(req.pk, by=by, now=NOW),
    )
    assert outcomes == ["done", "refused"]
    req.refresh_from_db()
    assert (req.status, req.round) == ("submitted", 1)
    assert req.events.filter(kind=RequestEvent.Kind.SUBMITTED).count() == 1
    assert Notification.objects.filter(kind="request_submitted").count() == 2


def test_a_request_for_an_existing_account_gives_it_a_strategy_document_without_registering_another(
    cast: Cast, make_account: Any
) -> None:
    """KAU-START-CHECKLIST: a channel that existed before Kanalvakt gets its strategy document through
    the same review and decision; approval links it instead of registering a second account."""
    existing = make_account(name="Gammalt konto", handle="gammalt_kau")
    req = make_request(
        cast, state="reviewed", existing_account=existing, name=existing.name, handle=existing.handle
    )
    assert all(match["id"] != existing.pk for match in req.existing_channels if match["kind"] == "account")
    count = Account.objects.count()
    approver = selectors.approver_for(req)
    assert approver is not None
    services.approve_request(req.pk, by=approver, reason="Strategin är bra.", now=NOW)
    req.refresh_from_db()
    assert req.account == existing
    assert Account.objects.count() == count
    existing.refresh_from_db()
    assert existing.request == req


def test_a_dean_filing_for_a_department_below_is_not_decided_by_someone_who_reports_to_them(
    cast: Cast,
) -> None:
    """KAU-START-APPROVAL: the head of the department reports to the dean; the decision goes above
    the faculty instead."""
    from governance import services as governance_services

    governance_services.set_unit_head(cast.units["university"], head=cast["outsider"], by=None)
    req = make_request(cast, state="reviewed", requester="dean")
    assert req.unit == cast.units["department"]
    assert selectors.approver_for(req) == cast["outsider"]
    with pytest.raises(PermissionDenied):
        services.approve_request(
            req.pk, by=cast["head_of_unit"], reason="Jag godkänner min chefs begäran.", now=NOW
        )


def test_nobody_writes_the_strategy_document_of_an_account_they_may_not_see(
    cast: Cast, make_account: Any
) -> None:
    """KAU-START-APPROVAL: attaching a request to another unit's account would let the wrong head decide."""
    theirs = make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andra kontot")
    with pytest.raises(ValidationError) as refused:
        services.save_draft(
            None,
            by=cast["communicator"],
            data=complete_request_data(cast, existing_account=theirs),
            deputies=[cast["deputy"]],
            now=NOW,
        )
    assert set(refused.value.message_dict) == {"existing_account"}
    assert not AccountRequest.objects.exists()


def test_a_request_for_an_existing_account_belongs_to_the_accounts_unit(
    cast: Cast, make_account: Any
) -> None:
    """KAU-START-APPROVAL: the unit, and so the approver, follow from the account, not from the form."""
    mine = make_account(name="Mitt gamla konto", handle="mitt_gamla_kau")
    req = services.save_draft(
        None,
        by=cast["communicator"],
        data=complete_request_data(cast, existing_account=mine, unit=cast.units["other"]),
        deputies=[cast["deputy"]],
        now=NOW,
    )
    assert req.unit == mine.unit == cast.units["department"]
