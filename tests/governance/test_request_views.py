"""Every view of new-account requests against every role, with the Django test client.

Anonymous visitors are sent to sign in; people who may not see a request get 404; people who may see
it but not act get 403; a forbidden transition is 409; bad input is 400 with the field named, and
nothing changes unless the response says it did.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from governance.models import AccountRequest, RequestEvent
from tests.conftest import Cast
from tests.core import pdf_support
from tests.governance.factories import complete_request_data, make_request
from tests.support import HIDDEN, assert_answer, login, people, who

PEOPLE = people(owner="requester")
VISIBLE = [person for person in PEOPLE if person not in HIDDEN | {"anonymous"}]


def form_data(
    cast: Cast, *, action: str = "draft", deputies: tuple[str, ...] = ("deputy",), **overrides: Any
) -> dict[str, Any]:
    """The request form as a browser posts it, from the factory's complete request."""
    post: dict[str, Any] = {"action": action, "proposed_deputies": [str(cast[d].pk) for d in deputies]}
    for key, value in complete_request_data(cast, **overrides).items():
        if value is False:
            continue  # an unticked checkbox is not posted
        if value is None:
            post[key] = ""
        elif value is True:
            post[key] = "on"
        elif isinstance(value, list):
            post[key] = value
        elif hasattr(value, "pk"):
            post[key] = str(value.pk)
        else:
            post[key] = str(value)
    return post


def state_of(req: AccountRequest) -> tuple[Any, ...]:
    fresh = AccountRequest.objects.get(pk=req.pk)
    return (
        fresh.status,
        fresh.round,
        fresh.name,
        fresh.handle,
        fresh.review_advice,
        fresh.decision_reason,
        RequestEvent.objects.filter(request=req).count(),
        Account.objects.count(),
    )


# view: (method, url name, the state the request is in, POST data)
VIEWS: dict[str, tuple[str, str, str | None, dict[str, str]]] = {
    "list": ("get", "governance:request_list", None, {}),
    "create": ("get", "governance:request_create", None, {}),
    "detail": ("get", "governance:request_detail", "submitted", {}),
    "edit": ("get", "governance:request_edit", "draft", {}),
    "submit": ("post", "governance:request_submit", "draft", {}),
    "review": (
        "post",
        "governance:request_review",
        "submitted",
        {"action": "accept", "advice": "Inga hinder."},
    ),
    "decide": (
        "post",
        "governance:request_decide",
        "reviewed",
        {"action": "approve", "reason": "Godkänt.", "confirm": "on"},
    ),
    "withdraw": ("post", "governance:request_withdraw", "submitted", {"withdraw-comment": "Behövs inte."}),
    "comment": ("post", "governance:request_comment", "submitted", {"comment": "En fråga om målgruppen."}),
    "record": ("get", "governance:request_record", "approved", {}),
    "record_pdf": ("get", "governance:request_record_pdf", "approved", {}),
    "check": (
        "post",
        "governance:request_check",
        None,
        {"sender_type": "subject", "platform": "instagram", "handle": "civing_studentliv"},
    ),
    "profile_guide": ("get", "governance:profile_guide", None, {}),
}


def expected_status(view: str, person: str) -> int:
    """The permission matrix (KAU-START-COMMS, KAU-START-APPROVAL, KAU-HIERARCHY)."""
    if person == "anonymous":
        return 302  # to the sign-in page
    if view in ("list", "create", "check", "profile_guide"):
        return 200
    if person in HIDDEN:
        return 404
    allowed: dict[str, tuple[set[str] | None, int]] = {
        "detail": (None, 200),
        "record": (None, 200),
        "record_pdf": (None, 200),
        "comment": (None, 302),
        "edit": ({"requester"}, 200),
        "submit": ({"requester"}, 302),
        "withdraw": ({"requester"}, 302),
        "review": ({"communications", "social_media_lead"}, 302),
        "decide": ({"head_of_unit"}, 302),
    }
    people, code = allowed[view]
    return code if people is None or person in people else 403


# What each allowed change does to the request.
MOVES = {"submit": "submitted", "review": "reviewed", "decide": "approved", "withdraw": "withdrawn"}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("view", list(VIEWS))
def test_permission_matrix(client: Client, cast: Cast, view: str, person: str) -> None:
    """Every request URL for every role: anonymous → sign in, not visible → 404, visible but not
    theirs to act on → 403, allowed → 200 or a redirect; a refused change changes nothing."""
    method, url_name, state, data = VIEWS[view]
    req = make_request(cast, state=state) if state else make_request(cast, state="submitted")
    url = reverse(url_name, args=[req.pk]) if state else reverse(url_name)
    before = state_of(req)
    login(client, cast, person)
    response = client.post(url, data) if method == "post" else client.get(url)
    expected = expected_status(view, person)
    assert_answer(response, person, expected)
    if expected in (403, 404) or person == "anonymous" or view == "check":
        assert state_of(req) == before
    elif view in MOVES:
        assert AccountRequest.objects.get(pk=req.pk).status == MOVES[view]
    elif view == "comment":
        assert req.events.filter(kind=RequestEvent.Kind.COMMENTED, actor=who(cast, person)).count() == 1


def test_the_list_shows_only_what_a_person_may_see(client: Client, cast: Cast) -> None:
    mine = make_request(cast, state="submitted", name="Fysikens konto")
    theirs = make_request(
        cast,
        state="submitted",
        requester="deputy",
        deputies=("staff",),
        proposed_owner=cast["deputy"],
        unit=cast.units["other"],
        name="Andra institutionens konto",
        handle="andra_kau",
    )
    seen = {}
    for person in ("requester", "other_head", "head_of_unit", "dean", "registrar", "outsider"):
        client.force_login(who(cast, person))
        body = client.get(reverse("governance:request_list")).content.decode()
        seen[person] = {name for name in (mine.name, theirs.name) if name in body}
    assert seen == {
        "requester": {mine.name},
        "other_head": {theirs.name},
        "head_of_unit": {mine.name},
        "dean": {mine.name, theirs.name},
        "registrar": {mine.name, theirs.name},
        "outsider": set(),
    }


def test_a_named_owner_sees_the_request_until_no_longer_named(client: Client, cast: Cast) -> None:
    """KAU-RESP-OWNER: the proposed owner reads the request they are named in."""
    req = make_request(cast, proposed_owner=cast["staff"])
    client.force_login(cast["staff"])
    assert client.get(reverse("governance:request_detail", args=[req.pk])).status_code == 200
    client.force_login(cast["communicator"])
    response = client.post(reverse("governance:request_edit", args=[req.pk]), form_data(cast))
    assert response.status_code == 302
    client.force_login(cast["staff"])
    assert client.get(reverse("governance:request_detail", args=[req.pk])).status_code == 404


# --- Forbidden transitions: 409 -------------------------------------------------------------------------


def test_submitting_twice_is_a_conflict(client: Client, cast: Cast) -> None:
    req = make_request(cast)
    client.force_login(cast["communicator"])
    url = reverse("governance:request_submit", args=[req.pk])
    assert client.post(url).status_code == 302
    before = state_of(req)
    assert client.post(url).status_code == 409
    assert state_of(req) == before


def test_deciding_a_request_not_yet_reviewed_is_a_conflict(client: Client, cast: Cast) -> None:
    """KAU-START-COMMS: the head decides only after the communications department has reviewed."""
    req = make_request(cast, state="submitted")
    before = state_of(req)
    client.force_login(cast["head_of_unit"])
    response = client.post(
        reverse("governance:request_decide", args=[req.pk]),
        {"action": "approve", "reason": "Kör!", "confirm": "on"},
    )
    assert response.status_code == 409
    assert state_of(req) == before


@pytest.mark.parametrize(
    ("state", "view", "person", "data"),
    [
        ("reviewed", "governance:request_review", "communications", {"action": "accept", "advice": "Igen."}),
        ("approved", "governance:request_review", "communications", {"action": "return", "advice": "Igen."}),
        (
            "approved",
            "governance:request_decide",
            "head_of_unit",
            {"action": "reject", "reason": "Ångrat.", "confirm": "on"},
        ),
        ("approved", "governance:request_withdraw", "requester", {"withdraw-comment": ""}),
        ("rejected", "governance:request_submit", "requester", {}),
        ("draft", "governance:request_comment", "requester", {"comment": "Hej"}),
    ],
)
def test_other_forbidden_transitions_are_conflicts(
    client: Client, cast: Cast, state: str, view: str, person: str, data: dict[str, str]
) -> None:
    req = make_request(cast, state=state)
    before = state_of(req)
    login(client, cast, person)
    assert client.post(reverse(view, args=[req.pk]), data).status_code == 409
    assert state_of(req) == before


# --- Bad input: 400 with the field named ----------------------------------------------------------------


def test_bad_form_input_is_refused_with_the_field_named_and_nothing_saved(client: Client, cast: Cast) -> None:
    req = make_request(cast)
    before = state_of(req)
    client.force_login(cast["communicator"])
    response = client.post(
        reverse("governance:request_edit", args=[req.pk]),
        form_data(cast, name="Ett nytt namn", resource_hours_per_week="många"),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"resource_hours_per_week"}
    assert 'href="#id_resource_hours_per_week"' in response.content.decode()
    assert state_of(req) == before


def test_a_negative_number_of_hours_is_refused(client: Client, cast: Cast) -> None:
    """KTH-RESOURCES: time set aside cannot be negative."""
    client.force_login(cast["communicator"])
    response = client.post(
        reverse("governance:request_create"), form_data(cast, resource_hours_per_week="-2")
    )
    assert response.status_code == 400
    assert "resource_hours_per_week" in response.context["form"].errors
    assert not AccountRequest.objects.exists()


# Who reviews and who decides, and where: (state of the request, view, person).
REVIEW = ("submitted", "governance:request_review", "communications")
DECIDE = ("reviewed", "governance:request_decide", "head_of_unit")


@pytest.mark.parametrize(
    ("state", "view", "person", "data", "field"),
    [
        (*REVIEW, {"action": "accept", "advice": ""}, "advice"),
        (*REVIEW, {"action": "return", "advice": " "}, "advice"),
        (*REVIEW, {"action": "ignore", "advice": "Ok"}, "action"),
        (*DECIDE, {"action": "approve", "reason": "", "confirm": "on"}, "reason"),
        (*DECIDE, {"action": "reject", "reason": "  ", "confirm": "on"}, "reason"),
        ("submitted", "governance:request_comment", "requester", {"comment": ""}, "comment"),
    ],
)
def test_bad_review_decision_or_comment_is_refused_with_the_field_named(
    client: Client, cast: Cast, state: str, view: str, person: str, data: dict[str, str], field: str
) -> None:
    """KAU-START-COMMS, KAU-START-APPROVAL: advice and reasons are written, never blank."""
    req = make_request(cast, state=state)
    before = state_of(req)
    login(client, cast, person)
    response = client.post(reverse(view, args=[req.pk]), data)
    assert response.status_code == 400
    form = next(
        response.context[name]
        for name in ("review_form", "decision_form", "comment_form")
        if response.context[name] is not None and response.context[name].errors
    )
    assert field in form.errors
    assert state_of(req) == before


def test_a_review_that_leaves_a_deviation_unaccepted_is_refused(client: Client, cast: Cast) -> None:
    """KAU-PROFILE-GUIDE: the reviewer ticks every deviation, or returns the request."""
    req = make_request(cast, state="submitted", handle="civing_studentliv")
    before = state_of(req)
    client.force_login(cast["communications"])
    url = reverse("governance:request_review", args=[req.pk])
    response = client.post(url, {"action": "accept", "advice": "Ser bra ut."})
    assert response.status_code == 400
    assert "accepted_deviations" in response.context["review_form"].errors
    assert state_of(req) == before
    response = client.post(
        url, {"action": "accept", "advice": "Ser bra ut.", "accepted_deviations": ["handle"]}
    )
    assert response.status_code == 302
    assert AccountRequest.objects.get(pk=req.pk).accepted_deviations == ["handle"]


# --- The form: draft, submit, every missing part named ----------------------------------------------------


def test_a_complete_form_submitted_goes_to_the_communications_department(client: Client, cast: Cast) -> None:
    """KAU-START-COMMS: a complete request, submitted from the form, is at once under review."""
    client.force_login(cast["communicator"])
    response = client.post(reverse("governance:request_create"), form_data(cast, action="submit"))
    req = AccountRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == req.get_absolute_url()
    assert (req.status, req.round, req.requester) == ("submitted", 1, cast["communicator"])
    assert list(req.proposed_deputies.all()) == [cast["deputy"]]
    assert req.areas == ["knowledge", "student_relations"]
    assert req.terms_checked is True


def test_saving_a_draft_keeps_it_and_returns_to_the_form(client: Client, cast: Cast) -> None:
    client.force_login(cast["communicator"])
    response = client.post(reverse("governance:request_create"), form_data(cast, handle="civing_studentliv"))
    req = AccountRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:request_edit", args=[req.pk])
    assert req.status == "draft"
    assert [d["code"] for d in req.deviations] == ["handle"]  # KAU-PROFILE-GUIDE, already on the draft
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["form"]["handle"].value() == "civing_studentliv"


def test_submitting_an_incomplete_form_saves_the_draft_and_names_every_missing_part(
    client: Client, cast: Cast
) -> None:
    """KAU-START-CHECKLIST, KTH-TERMS, KAU-RESP-OWNER: the draft is kept; each missing part is marked
    on the form, where it is."""
    client.force_login(cast["communicator"])
    data = form_data(cast, action="submit", deputies=(), purpose="Ja", terms_checked=False, terms_note="")
    response = client.post(reverse("governance:request_create"), data)
    assert response.status_code == 400
    req = AccountRequest.objects.get()
    assert (req.status, req.round, req.name) == ("draft", 0, "Fysik vid Karlstads universitet")
    assert not req.events.filter(kind=RequestEvent.Kind.SUBMITTED).exists()
    errors = response.context["form"].errors
    assert set(errors) == {"purpose", "terms_checked", "terms_note", "proposed_deputies"}
    body = response.content.decode()
    for field in errors:
        assert f'href="#id_{field}"' in body


def test_submitting_an_incomplete_draft_from_its_page_sends_back_to_the_form(
    client: Client, cast: Cast
) -> None:
    req = make_request(cast, terms_checked=False)
    client.force_login(cast["communicator"])
    response = client.post(reverse("governance:request_submit", args=[req.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:request_edit", args=[req.pk])
    assert AccountRequest.objects.get(pk=req.pk).status == "draft"


def test_a_submitted_request_is_not_editable(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="submitted")
    before = state_of(req)
    client.force_login(cast["communicator"])
    url = reverse("governance:request_edit", args=[req.pk])
    assert client.get(url).status_code == 302
    assert client.post(url, form_data(cast, name="Ändrat")).status_code == 302
    assert state_of(req) == before


def test_the_live_check_reports_the_profile_guide_deviation(client: Client, cast: Cast) -> None:
    """KAU-PROFILE-GUIDE: the form's live notice."""
    client.force_login(cast["communicator"])
    url = reverse("governance:request_check")
    body = client.post(
        url, {"sender_type": "subject", "platform": "instagram", "handle": "civing_studentliv"}
    ).json()
    assert [(d["code"], d["rule"]) for d in body["deviations"]] == [("handle", "KAU-PROFILE-GUIDE")]
    assert "_kau" in body["deviations"][0]["message"]
    assert client.post(
        url, {"sender_type": "subject", "platform": "instagram", "handle": "civing_kau"}
    ).json() == {"deviations": []}
    assert client.get(url).status_code == 405


# --- The decision record ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "submitted", "returned", "reviewed", "withdrawn"])
def test_there_is_no_decision_record_before_a_decision(client: Client, cast: Cast, state: str) -> None:
    req = make_request(cast, state=state)
    for person in ("requester", "head_of_unit", "registrar"):
        login(client, cast, person)
        assert client.get(reverse("governance:request_record", args=[req.pk])).status_code == 403
        assert client.get(reverse("governance:request_record_pdf", args=[req.pk])).status_code == 403


@pytest.mark.parametrize("state", ["approved", "rejected"])
def test_the_decision_record_prints_as_html_and_pdf(client: Client, cast: Cast, state: str) -> None:
    """KAU-START-APPROVAL: who requested, who decided, when and why, on paper."""
    req = make_request(cast, state=state)
    client.force_login(cast["registrar"])
    page = client.get(reverse("governance:request_record", args=[req.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert req.decision_reason in body
    assert reverse("governance:request_record_pdf", args=[req.pk]) in body
    pdf = client.get(reverse("governance:request_record_pdf", args=[req.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'inline; filename="beslut-begaran-{req.pk}.pdf"'
    assert pdf.content.startswith(b"%PDF")
    text = pdf_support.text(pdf.content)
    assert "Fysik vid Karlstads universitet (Instagram) fysik_kau" in text
    assert "Head Of Unit" in text


@pytest.mark.parametrize(
    "name",
    ["Lisa 🌸 Berg", "Łukasz Żółć", "王小明 김민준", "Ωμέγα Ямал", "a\x01b"],
    ids=["emoji", "polish", "cjk", "greek and cyrillic", "control"],
)
def test_the_decision_record_pdf_prints_every_character_of_a_name(
    client: Client, cast: Cast, name: str
) -> None:
    """KAU-START-APPROVAL: the record on paper names the account as requested. In Helvetica, which
    holds only Latin-1, an emoji, a Ł or a 王 printed as nothing; the record embeds fonts that have them,
    and shows a control character by its picture."""
    pdf_support.require_fallback_fonts()
    req = make_request(cast, state="approved", name=name)
    client.force_login(cast["registrar"])
    pdf = client.get(reverse("governance:request_record_pdf", args=[req.pk]))
    assert pdf.status_code == 200
    drawn = name.replace("\x01", "\u2401")
    assert f"{drawn} (Instagram) fysik_kau" in pdf_support.text(pdf.content)
    assert pdf_support.font_names(pdf.content) <= {
        "DejaVuSans",
        "DejaVuSans-Bold",
        "Symbola",
        "DroidSansFallback",
    }


# --- CSRF ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "view", "person", "data"),
    [
        ("draft", "governance:request_submit", "requester", {}),
        ("submitted", "governance:request_review", "communications", {"action": "accept", "advice": "Ok"}),
        (
            "reviewed",
            "governance:request_decide",
            "head_of_unit",
            {"action": "approve", "reason": "Ok", "confirm": "on"},
        ),
        ("submitted", "governance:request_withdraw", "requester", {}),
    ],
)
def test_a_post_without_a_csrf_token_is_refused(
    cast: Cast, state: str, view: str, person: str, data: dict[str, str]
) -> None:
    req = make_request(cast, state=state)
    before = state_of(req)
    browser = Client(enforce_csrf_checks=True)
    login(browser, cast, person)
    assert browser.post(reverse(view, args=[req.pk]), data).status_code == 403
    assert state_of(req) == before


def test_a_form_post_without_a_csrf_token_creates_nothing(cast: Cast) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    assert (
        browser.post(reverse("governance:request_create"), form_data(cast, action="submit")).status_code
        == 403
    )
    assert not AccountRequest.objects.exists()


# --- Query counts: two data sizes, one count ---------------------------------------------------------------


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches (content types, translations)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def more_requests(cast: Cast, *, state: str, requester: str, total: int) -> None:
    count = AccountRequest.objects.count()
    for number in range(count, total):
        make_request(
            cast, state=state, requester=requester, handle=f"fysik{number}_kau", name=f"Fysik {number}"
        )


@pytest.mark.parametrize(
    ("person", "state"),
    [
        ("communications", "submitted"),
        ("requester", "draft"),
        ("head_of_unit", "reviewed"),
        ("registrar", "approved"),
    ],
)
def test_the_list_page_makes_the_same_queries_for_1_and_15_requests(
    client: Client, cast: Cast, django_assert_num_queries: Any, person: str, state: str
) -> None:
    more_requests(cast, state=state, requester="communicator", total=1)
    login(client, cast, person)
    url = reverse("governance:request_list")
    count = queries_for(client, url)
    more_requests(cast, state=state, requester="communicator", total=15)
    with django_assert_num_queries(count):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 15


START_PAGE_CASES = [
    ("communications", "submitted"),  # to review (KAU-START-COMMS)
    ("head_of_unit", "reviewed"),  # to decide (KAU-START-APPROVAL)
    ("requester", "draft"),  # to finish
    pytest.param(
        "requester",
        "returned",
    ),
]


@pytest.mark.parametrize(("person", "state"), START_PAGE_CASES)
def test_the_start_page_makes_the_same_queries_for_1_and_15_requests(
    client: Client, cast: Cast, django_assert_num_queries: Any, person: str, state: str
) -> None:
    more_requests(cast, state=state, requester="communicator", total=1)
    login(client, cast, person)
    url = reverse("core:home")
    count = queries_for(client, url)
    more_requests(cast, state=state, requester="communicator", total=15)
    with django_assert_num_queries(count):
        response = client.get(url)
    assert response.content.decode().count("Fysik ") >= 15


# --- Product bugs -------------------------------------------------------------------------------------------


def test_approving_a_handle_already_in_the_registry_is_refused_without_a_server_error(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-START-APPROVAL: a decision that cannot be carried out says why; it does not crash."""
    make_account(unit="other", handle="fysik_kau", name="Fysik på andra institutionen")
    req = make_request(cast, state="reviewed")
    before = state_of(req)
    client.raise_request_exception = False
    client.force_login(cast["head_of_unit"])
    response = client.post(
        reverse("governance:request_decide", args=[req.pk]),
        {"action": "approve", "reason": "Godkänt.", "confirm": "on"},
    )
    assert response.status_code in (400, 409)
    assert state_of(req) == before


def test_approving_when_the_owner_has_left_is_refused_without_a_server_error(
    client: Client, cast: Cast
) -> None:
    """KAU-RESP-OWNER: an account is not registered with an owner who has left, and the head is told why."""
    req = make_request(cast, state="reviewed")
    cast["communicator"].is_active = False
    cast["communicator"].save()
    before = state_of(req)
    client.raise_request_exception = False
    client.force_login(cast["head_of_unit"])
    response = client.post(
        reverse("governance:request_decide", args=[req.pk]),
        {"action": "approve", "reason": "Godkänt.", "confirm": "on"},
    )
    assert response.status_code in (400, 409)
    assert state_of(req) == before


# --- Markup: one element per id (WCAG 2.1 4.1.1, 1.3.1) ---------------------------------------------


@pytest.mark.parametrize(
    ("person", "state", "view"),
    [
        ("requester", None, "governance:request_create"),
        ("requester", "draft", "governance:request_edit"),
        ("requester", "returned", "governance:request_edit"),
        ("requester", "draft", "governance:request_detail"),
        pytest.param("requester", "submitted", "governance:request_detail"),
        pytest.param("requester", "returned", "governance:request_detail"),
        pytest.param("requester", "reviewed", "governance:request_detail"),
        ("requester", "approved", "governance:request_detail"),
        ("communications", "submitted", "governance:request_detail"),
        ("head_of_unit", "reviewed", "governance:request_detail"),
        ("registrar", "approved", "governance:request_record"),
    ],
)
def test_every_id_on_a_request_page_is_unique(
    client: Client, cast: Cast, person: str, state: str | None, view: str
) -> None:
    """KAU-ACCESS: a label names its own field only when ids are unique."""
    login(client, cast, person)
    args = [make_request(cast, state=state).pk] if state else []
    response = client.get(reverse(view, args=args))
    assert response.status_code == 200
    ids = re.findall(r'\sid="([^"]+)"', response.content.decode())
    assert ids
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


# --- The start page: each person's own queue --------------------------------------------------------------


def test_the_start_page_asks_only_the_approver_to_decide(client: Client, cast: Cast) -> None:
    """KAU-START-APPROVAL: a reviewed request waits on the start page of the head the tree names; the
    dean sees only the request a head filed, and the requester none to decide."""
    by_staff = make_request(cast, state="reviewed", name="Fysik för skolor")
    by_head = make_request(
        cast, state="reviewed", requester="head_of_unit", name="Prefektens konto", handle="pref_kau"
    )
    pages = {}
    for person in ("head_of_unit", "dean", "requester", "communications"):
        login(client, cast, person)
        sections = {section.key: section for section in client.get(reverse("core:home")).context["sections"]}
        decide = sections.get("requests-decide")
        pages[person] = {req.pk for req in decide.rows} if decide else None
    assert pages == {
        "head_of_unit": {by_staff.pk},
        "dean": {by_head.pk},
        "requester": None,
        "communications": None,
    }


def test_the_review_queue_leaves_out_a_reviewers_own_request(client: Client, cast: Cast) -> None:
    """KAU-START-COMMS: nobody reviews their own request, so it is not in their queue."""
    theirs = make_request(cast, state="submitted")
    own = make_request(cast, state="submitted", requester="communications", handle="komm_kau")
    queues = {}
    for person in ("communications", "social_media_lead"):
        login(client, cast, person)
        sections = {section.key: section for section in client.get(reverse("core:home")).context["sections"]}
        queues[person] = {req.pk for req in sections["requests-review"].rows}
    assert queues == {"communications": {theirs.pk}, "social_media_lead": {theirs.pk, own.pk}}


@pytest.mark.parametrize(
    "state", ["draft", "submitted", "returned", "reviewed", "approved", "rejected", "withdrawn"]
)
def test_the_request_page_shows_each_state_and_offers_only_the_next_step(
    client: Client, cast: Cast, state: str
) -> None:
    """Each person is offered the action that is theirs in this state, and no other."""
    req = make_request(cast, state=state)
    offered = {}
    for person in ("requester", "communications", "head_of_unit"):
        login(client, cast, person)
        response = client.get(reverse("governance:request_detail", args=[req.pk]))
        assert response.status_code == 200
        body = response.content.decode()
        assert f'status--{state}"' in body
        offered[person] = {
            name
            for name, url in (
                ("submit", reverse("governance:request_submit", args=[req.pk])),
                ("review", reverse("governance:request_review", args=[req.pk])),
                ("decide", reverse("governance:request_decide", args=[req.pk])),
                ("withdraw", reverse("governance:request_withdraw", args=[req.pk])),
            )
            if f'action="{url}"' in body
        }
    requester = {"submit", "withdraw"} if state in ("draft", "returned") else set()
    if state in ("submitted", "reviewed"):
        requester = {"withdraw"}
    assert offered == {
        "requester": requester,
        "communications": {"review"} if state == "submitted" else set(),
        "head_of_unit": {"decide"} if state == "reviewed" else set(),
    }


def test_the_list_filters_by_status(client: Client, cast: Cast) -> None:
    submitted = make_request(cast, state="submitted", name="Inskickad begäran")
    make_request(cast, name="Ett utkast", handle="utkast_kau")
    client.force_login(cast["communications"])
    response = client.get(reverse("governance:request_list"), {"status": "submitted"})
    assert [req.pk for req in response.context["page"].object_list] == [submitted.pk]
    response = client.get(reverse("governance:request_list"), {"status": "nonsense"})
    assert len(response.context["page"].object_list) == 2


def test_deviations_read_in_the_readers_language_whatever_language_saved_them(
    client: Client, cast: Cast
) -> None:
    """KAU-PROFILE-GUIDE: a request saved from the English interface reads in Swedish to a Swedish reader."""
    from django.utils import translation

    from governance.profile_guide import check_profile

    with translation.override("en"):
        req = make_request(cast, state="submitted", handle="civing_studentliv")
        english = check_profile(
            sender_type="subject",
            platform="instagram",
            handle="civing_studentliv",
            profile_picture="university",
        )[0].message
    with translation.override("sv"):
        swedish = check_profile(
            sender_type="subject",
            platform="instagram",
            handle="civing_studentliv",
            profile_picture="university",
        )[0].message
    assert english != swedish
    login(client, cast, "communications")
    body = client.get(reverse("governance:request_detail", args=[req.pk])).content.decode()
    from html import unescape

    assert swedish in unescape(body)
    assert english not in unescape(body)


def test_the_request_form_prefills_an_existing_account_without_a_strategy_document(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-START-CHECKLIST: from the account page, the owner writes the missing strategy document."""
    existing = make_account(name="Gammalt konto", handle="gammalt_kau")
    login(client, cast, "communicator")
    form = client.get(reverse("governance:request_create") + f"?konto={existing.pk}").context["form"]
    assert form.initial["existing_account"] == existing.pk
    assert form.initial["name"] == "Gammalt konto"
    login(client, cast, "outsider")  # may not see the account: nothing is prefilled
    form = client.get(reverse("governance:request_create") + f"?konto={existing.pk}").context["form"]
    assert "existing_account" not in form.initial
