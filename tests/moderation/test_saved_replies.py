"""Saved replies (*svarsmallar*, KAU-RESPONSE-TONE): kept by the communications department and the
social media lead; offered on an item for the institution, the account's unit and the units above it;
inserted into the answer to be edited; retired, never deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from moderation.models import Item, SavedReply
from moderation.replies import add_saved_reply, replies_for_account, set_saved_reply_active
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

KEEPERS = ["communications", "social_media_lead"]
OTHERS = ["communicator", "deputy", "head_of_unit", "security_officer"]


def _reply(
    cast: Cast, title: str = "Antagning", unit: Any = None, text: str = "Tack för frågan!"
) -> SavedReply:
    return add_saved_reply(title=title, text=text, unit=unit, by=cast["communications"])


@pytest.mark.parametrize("person", KEEPERS)
def test_the_communications_department_and_the_lead_add_change_and_retire(
    client: Client, cast: Cast, person: str
) -> None:
    client.force_login(cast[person])
    assert client.get(reverse("moderation:replies")).status_code == 200
    response = client.post(
        reverse("moderation:reply_add"),
        {"title": "Öppet hus", "text": "Välkommen på öppet hus!", "unit": cast.units["faculty"].pk},
    )
    assert response.status_code == 302
    reply = SavedReply.objects.get()
    assert (reply.title, reply.unit, reply.created_by, reply.active) == (
        "Öppet hus",
        cast.units["faculty"],
        cast[person],
        True,
    )
    response = client.post(
        reverse("moderation:reply_edit", args=[reply.pk]),
        {"title": "Öppet hus", "text": "Ny text.", "unit": ""},
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.text, reply.unit) == ("Ny text.", None)
    assert (
        client.post(reverse("moderation:reply_retire", args=[reply.pk]), {"active": "0"}).status_code == 302
    )
    reply.refresh_from_db()
    assert reply.active is False  # retired, the row kept
    assert reply.history.count() == 3


@pytest.mark.parametrize("person", OTHERS)
def test_nobody_else_keeps_saved_replies(client: Client, cast: Cast, person: str) -> None:
    reply = _reply(cast)
    client.force_login(cast[person])
    assert client.get(reverse("moderation:replies")).status_code == 403
    assert client.post(reverse("moderation:reply_add"), {"title": "x", "text": "y"}).status_code == 403
    assert (
        client.post(
            reverse("moderation:reply_edit", args=[reply.pk]), {"title": "x", "text": "y"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("moderation:reply_retire", args=[reply.pk]), {"active": "0"}).status_code == 403
    )
    assert SavedReply.objects.get().title == "Antagning"
    assert SavedReply.objects.count() == 1


def test_an_unknown_reply_is_404(client: Client, cast: Cast) -> None:
    client.force_login(cast["communications"])
    assert client.get(reverse("moderation:reply_edit", args=[999])).status_code == 404


@pytest.mark.parametrize(
    ("data", "field"), [({"title": "", "text": "Text"}, "title"), ({"title": "T", "text": " "}, "text")]
)
def test_bad_input_names_the_field_and_saves_nothing(
    client: Client, cast: Cast, data: dict, field: str
) -> None:
    client.force_login(cast["communications"])
    response = client.post(reverse("moderation:reply_add"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not SavedReply.objects.exists()


def test_an_item_is_offered_the_institutions_and_its_units_and_the_units_above(
    cast: Cast, make_account: Any
) -> None:
    """KAU-RESPONSE-TONE: the account's unit is the department, under the faculty."""
    account = make_account()
    everyone = _reply(cast, "Alla")
    faculty = _reply(cast, "Fakulteten", cast.units["faculty"])
    department = _reply(cast, "Institutionen", cast.units["department"])
    _reply(cast, "Andra", cast.units["other"])
    _reply(cast, "Komm", cast.units["comms"])
    retired = _reply(cast, "Gammal")
    set_saved_reply_active(retired, active=False, by=cast["communications"])
    assert replies_for_account(account) == [everyone, faculty, department]


def test_insert_without_javascript_puts_the_text_in_the_answer_and_saves_nothing(
    client: Client, cast: Cast, make_item: Any
) -> None:
    item = make_item()
    reply = _reply(cast, text="Anmälan öppnar den 15 mars.")
    client.force_login(cast["communicator"])
    response = client.post(
        reverse("moderation:answer", args=[item.pk]), {"reply": reply.pk, "insert": "1", "answer-answer": ""}
    )
    assert response.status_code == 200
    assert response.context["answer_form"]["answer"].value() == "Anmälan öppnar den 15 mars."
    assert Item.objects.get(pk=item.pk).status == "open"
    kept = client.post(
        reverse("moderation:answer", args=[item.pk]),
        {"reply": reply.pk, "insert": "1", "answer-answer": "Hej!"},
    )
    assert kept.context["answer_form"]["answer"].value() == "Hej!\n\nAnmälan öppnar den 15 mars."


def test_insert_without_a_choice_names_the_field(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    _reply(cast)
    client.force_login(cast["communicator"])
    response = client.post(reverse("moderation:answer", args=[item.pk]), {"reply": "", "insert": "1"})
    assert response.status_code == 400
    assert "reply" in response.context["reply_form"].errors
    assert Item.objects.get(pk=item.pk).status == "open"


def test_the_navigation_offers_saved_replies_to_the_keepers_only(client: Client, cast: Cast) -> None:
    client.force_login(cast["communications"])
    assert b'data-nav="replies"' in client.get(reverse("core:home")).content
    client.force_login(cast["communicator"])
    assert b'data-nav="replies"' not in client.get(reverse("core:home")).content
