"""Ambassadors and bloggers on assignment in the browser, and on the public list of official accounts
(KAU-PRIVATE, KTH-PRIVATE, KTH-BLOG). Every view against every role is in tests/core/test_access_matrix.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import ambassadors
from accounts.models import Account, Ambassador
from core.models import Notification
from tests.conftest import Cast
from tests.support import in_english

STATEMENT = "They are not official spokespersons of the university."


def today() -> Any:
    return timezone.localdate()


@pytest.fixture
def account(make_account: Any) -> Account:
    return make_account(
        name="Fysik på Instagram", handle="fysik_kau", url="https://www.instagram.com/fysik_kau"
    )


@pytest.fixture
def make_ambassador(cast: Cast, account: Account) -> Any:
    def make(state: str = "proposed", name: str = "Alva Student", **overrides: Any) -> Ambassador:
        fields: dict[str, Any] = {
            "name": name,
            "email": "",
            "employed": False,
            "kind": Ambassador.Kind.STUDENT_AMBASSADOR,
            "unit": cast.units["department"],
            "account": account,
            "starts_on": today() - timedelta(days=10),
            "ends_on": today() + timedelta(days=100),
            "duties": "Berättar om studentlivet.",
            "assignment": "Uppdrag från institutionen.",
        }
        fields.update(overrides)
        now = timezone.now()
        ambassador = ambassadors.propose_ambassador(by=cast["communicator"], now=now, **fields)
        if state in ("approved", "ended", "past", "upcoming"):
            ambassador = ambassadors.approve_ambassador(ambassador, by=cast["head_of_unit"], now=now)
        if state == "refused":
            ambassador = ambassadors.refuse_ambassador(
                ambassador, by=cast["head_of_unit"], reason="Nej.", now=now
            )
        if state == "ended":
            ambassador = ambassadors.end_ambassador(
                ambassador, by=cast["head_of_unit"], reason="Slutar.", now=now
            )
        if state == "past":  # approved for a period that is over: written directly, as time would
            Ambassador.objects.filter(pk=ambassador.pk).update(
                starts_on=today() - timedelta(days=60), ends_on=today() - timedelta(days=1)
            )
        if state == "upcoming":
            Ambassador.objects.filter(pk=ambassador.pk).update(
                starts_on=today() + timedelta(days=5), ends_on=today() + timedelta(days=60)
            )
        return Ambassador.objects.get(pk=ambassador.pk)

    return make


def proposal(cast: Cast, account: Account, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Elin Student",
        "email": "",
        "kind": "student_ambassador",
        "unit": str(cast.units["department"].pk),
        "account": str(account.pk),
        "starts_on": (today() + timedelta(days=1)).isoformat(),
        "ends_on": (today() + timedelta(days=120)).isoformat(),
        "duties": "Tar över Instagram en vecka i månaden.",
        "assignment": "Institutionen ger Elin i uppdrag att visa studentlivet.",
    }
    data.update(overrides)
    return data


# --- Proposing, deciding, ending -----------------------------------------------------------------------


def test_kth_blog_a_communicator_proposes_and_the_head_is_told(
    client: Client, cast: Cast, account: Account
) -> None:
    client.force_login(cast["communicator"])
    response = client.post(reverse("accounts:ambassador_propose"), proposal(cast, account))
    ambassador = Ambassador.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ambassador.get_absolute_url()
    assert ambassador.proposed_by == cast["communicator"]
    assert Notification.objects.get(kind="ambassador_proposed").recipient == cast["head_of_unit"]


def test_kth_blog_a_proposal_without_the_assignment_of_a_person_not_employed_stores_nothing(
    client: Client, cast: Cast, account: Account
) -> None:
    client.force_login(cast["communicator"])
    response = in_english(client).post(
        reverse("accounts:ambassador_propose"), proposal(cast, account, assignment="")
    )
    assert response.status_code == 400
    assert "direct assignment" in " ".join(response.context["form"].errors["assignment"])
    assert not Ambassador.objects.exists()
    assert not Notification.objects.exists()


def test_a_period_ending_before_it_starts_is_refused_on_its_field(
    client: Client, cast: Cast, account: Account
) -> None:
    client.force_login(cast["communicator"])
    data = proposal(
        cast, account, ends_on=today().isoformat(), starts_on=(today() + timedelta(days=3)).isoformat()
    )
    response = client.post(reverse("accounts:ambassador_propose"), data)
    assert response.status_code == 400
    assert "ends_on" in response.context["form"].errors
    assert not Ambassador.objects.exists()


def test_kth_blog_the_head_approves_and_the_proposer_is_told(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    ambassador = make_ambassador()
    client.force_login(cast["head_of_unit"])
    page = client.get(ambassador.get_absolute_url())
    assert page.context["can_decide"]
    response = client.post(reverse("accounts:ambassador_decide", args=[ambassador.pk]), {"action": "approve"})
    assert response.status_code == 302
    assert Ambassador.objects.get(pk=ambassador.pk).status == Ambassador.Status.APPROVED
    assert Notification.objects.get(kind="ambassador_decided").recipient == cast["communicator"]


def test_kth_blog_a_refusal_without_a_reason_changes_nothing(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    ambassador = make_ambassador()
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:ambassador_decide", args=[ambassador.pk])
    assert client.post(url, {"action": "refuse", "reason": ""}).status_code == 400
    assert Ambassador.objects.get(pk=ambassador.pk).status == Ambassador.Status.PROPOSED
    assert client.post(url, {"action": "refuse", "reason": "Inget uppdrag."}).status_code == 302
    refused = Ambassador.objects.get(pk=ambassador.pk)
    assert (refused.status, refused.decision_reason) == (Ambassador.Status.REFUSED, "Inget uppdrag.")


def test_kau_private_ending_early_takes_them_off_the_public_list(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    ambassador = make_ambassador("approved")
    assert "Alva Student" in client.get(reverse("official_accounts")).content.decode()
    client.force_login(cast["communicator"])
    url = reverse("accounts:ambassador_end", args=[ambassador.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Slutar studera."}).status_code == 302
    assert Ambassador.objects.get(pk=ambassador.pk).status == Ambassador.Status.ENDED
    client.logout()
    assert "Alva Student" not in client.get(reverse("official_accounts")).content.decode()


def test_kau_private_the_page_says_they_are_not_official_spokespersons_and_shows_the_history(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    ambassador = make_ambassador("approved")
    client.force_login(cast["deputy"])
    body = in_english(client).get(ambassador.get_absolute_url()).content.decode()
    assert STATEMENT in body
    assert "Uppdrag från institutionen." in body
    assert "Proposed" in body
    assert "Approved" in body


# --- The list ------------------------------------------------------------------------------------------


def test_the_list_filters_by_state_and_unit(client: Client, cast: Cast, make_ambassador: Any) -> None:
    current = make_ambassador("approved", name="Nu")
    waiting = make_ambassador(name="Väntar")
    ended = make_ambassador("ended", name="Slutade")
    past = make_ambassador("past", name="Förbi")
    client.force_login(cast["social_media_lead"])
    url = reverse("accounts:ambassadors")

    def names(**query: Any) -> set[str]:
        return {a.name for a, _state in client.get(url, query).context["rows"]}

    assert names() == {current.name, waiting.name, ended.name, past.name}
    assert names(state="current") == {current.name}
    assert names(state="proposed") == {waiting.name}
    assert names(state="ended") == {ended.name, past.name}
    assert names(unit=cast.units["faculty"].pk) == names()
    assert names(unit=cast.units["other"].pk) == set()


def test_the_list_makes_the_same_queries_for_2_and_12_ambassadors(
    client: Client, cast: Cast, make_ambassador: Any, django_assert_num_queries: Any
) -> None:
    for number in range(2):
        make_ambassador("approved", name=f"Ambassadör {number}")
    client.force_login(cast["head_of_unit"])
    url = reverse("accounts:ambassadors")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(2, 12):
        make_ambassador(name=f"Ambassadör {number}")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["rows"]) == 12


# --- The public list of official accounts ---------------------------------------------------------------


def test_kau_private_the_public_list_shows_current_approved_ones_apart_with_the_statement(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    make_ambassador("approved", name="Nu Godkänd")
    make_ambassador("approved", name="Bloggaren", kind=Ambassador.Kind.BLOGGER, account=None)
    for state in ("proposed", "refused", "ended", "past", "upcoming"):
        make_ambassador(state, name=f"Inte {state}")
    response = in_english(client).get(reverse("official_accounts"))
    body = response.content.decode()
    section = body[body.index('id="h-ambassadors"') :]
    assert "Nu Godkänd" in section
    assert "Bloggaren" in section
    assert STATEMENT in section
    assert "Inte " not in body
    # Apart from the official accounts: the account's own table does not list the ambassador.
    accounts_part = body[: body.index('id="h-ambassadors"')]
    assert "Nu Godkänd" not in accounts_part
    # Nothing internal: neither the assignment's text nor what they do.
    assert "Uppdrag från institutionen." not in body


def test_kau_private_the_json_lists_them_under_a_key_of_their_own(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    make_ambassador("approved", name="Nu Godkänd")
    make_ambassador(name="Väntar")
    payload = json.loads(client.get(reverse("official_accounts_json")).content)
    assert [a["name"] for a in payload["ambassadors"]] == ["Nu Godkänd"]
    assert payload["ambassadors"][0]["account"] == "Fysik på Instagram"
    assert (
        "spokespersons" in payload["ambassadors_statement"]
        or "talespersoner" in payload["ambassadors_statement"]
    )
    assert all(entry["name"] != "Nu Godkänd" for entry in payload["accounts"])


@pytest.mark.parametrize("name", ["official_accounts", "official_accounts_json"])
def test_the_public_list_makes_the_same_queries_for_1_and_8_ambassadors(
    client: Client, cast: Cast, make_ambassador: Any, django_assert_num_queries: Any, name: str
) -> None:
    make_ambassador("approved", name="Första")
    url = reverse(name)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(7):
        make_ambassador("approved", name=f"Fler {number}")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    if name == "official_accounts_json":
        assert len(json.loads(response.content)["ambassadors"]) == 8
    else:
        assert len(response.context["ambassadors"]) == 8


def test_the_heads_start_page_shows_proposals_awaiting_approval(
    client: Client, cast: Cast, make_ambassador: Any
) -> None:
    make_ambassador(name="Väntar på dig")
    client.force_login(cast["head_of_unit"])
    assert "Väntar på dig" in client.get(reverse("core:home")).content.decode()
    client.force_login(cast["other_head"])
    assert "Väntar på dig" not in client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("state", ["proposed", "approved", "refused", "ended", "past", "upcoming"])
def test_the_page_and_the_list_show_every_state(
    client: Client, cast: Cast, make_ambassador: Any, state: str
) -> None:
    ambassador = make_ambassador(state, kind=Ambassador.Kind.BLOGGER, account=None)
    client.force_login(cast["social_media_lead"])
    page = client.get(ambassador.get_absolute_url())
    assert page.status_code == 200
    assert page.context["state"] == ambassador.state_on(today())
    # Only the approver decides, and only a running or coming assignment can be ended early.
    assert page.context["can_decide"] is False
    assert page.context["can_end"] is (state in ("approved", "upcoming"))
    assert client.get(reverse("accounts:ambassadors")).status_code == 200


def test_the_proposed_email_links_to_the_decision_and_names_the_rules(
    cast: Cast, make_ambassador: Any
) -> None:
    ambassador = make_ambassador()
    told = Notification.objects.get(kind="ambassador_proposed")
    assert told.url == ambassador.get_absolute_url()
    assert "KAU-PRIVATE" in told.body
    assert "Alva Student" in told.subject
    assert "KTH-BLOG" in told.body  # not employed: on a direct assignment
