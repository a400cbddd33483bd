"""KAU-DIARY-NONE: deciding that an item needs no registration is a decision of its own, with who,
when, why and where the item is found; KAU-DIARY-ACTION: "required" can still be decided later. Each
decision is one line in the item's log; a refusal changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.calendar import STOCKHOLM
from moderation import registration, services
from moderation.models import Item, LogEntry, Registration
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import in_english

pytestmark = pytest.mark.django_db


def decisions(item: Item) -> list[LogEntry]:
    return list(item.log.filter(action=LogEntry.Action.REGISTRATION).order_by("at", "pk"))


def test_kau_diary_none_records_who_when_why_and_where_found(cast: Cast, make_item: Any) -> None:
    item = make_item(url="https://www.instagram.com/p/fraga1/")
    later = NOW + timedelta(hours=1)
    decided = registration.decide_no_registration(
        item, by=cast["communicator"], now=later, reason="En allmän fråga om antagningen."
    )
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == Registration.NOT_NEEDED == decided.registration
    assert fresh.requires_registration is False
    assert fresh.registration_decided_by == cast["communicator"]
    assert fresh.registration_decided_at == later
    assert fresh.registration_reason == "En allmän fråga om antagningen."
    assert fresh.registration_found_at == "https://www.instagram.com/p/fraga1/"  # its link by default
    assert "KAU-DIARY-NONE" in fresh.rule_ids()
    [entry] = decisions(fresh)
    assert entry.actor == cast["communicator"]
    assert entry.at == later
    assert entry.before["registration"] == Registration.UNDECIDED
    assert entry.after["registration"] == Registration.NOT_NEEDED
    assert "KAU-DIARY-NONE" in entry.note
    assert "https://www.instagram.com/p/fraga1/" in entry.note
    assert fresh.history.first().history_user == cast["communicator"]


def test_kau_diary_none_without_a_link_names_account_author_and_time(cast: Cast, make_item: Any) -> None:
    item = make_item(url="", author="@utanlank")
    with translation.override("en"):
        registration.decide_no_registration(item, by=cast["deputy"], now=NOW)
    found_at = Item.objects.get(pk=item.pk).registration_found_at
    assert "@utanlank" in found_at
    assert item.account.name in found_at
    assert "2026-11-26 08:00" in found_at


def test_kau_diary_none_keeps_a_note_written_by_the_moderator(cast: Cast, make_item: Any) -> None:
    item = make_item(url="")
    registration.decide_no_registration(
        item, by=cast["communicator"], now=NOW, found_at="  Instagram, direktmeddelanden, 26 nov  "
    )
    assert Item.objects.get(pk=item.pk).registration_found_at == "Instagram, direktmeddelanden, 26 nov"


def test_kau_diary_action_can_be_decided_after_no_registration_and_is_logged(
    cast: Cast, make_item: Any
) -> None:
    item = make_item()
    registration.decide_no_registration(item, by=cast["communicator"], now=NOW)
    later = NOW + timedelta(days=1)
    registration.decide_registration(
        item, decision="required", by=cast["deputy"], now=later, reason="Det visade sig kräva åtgärd."
    )
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == Registration.REQUIRED
    assert fresh.requires_registration is True
    assert fresh.registration_decided_by == cast["deputy"]
    assert fresh.registration_decided_at == later
    assert fresh.registration_found_at == ""
    assert "KAU-DIARY-ACTION" in fresh.rule_ids()
    assert "KAU-DIARY-NONE" not in fresh.rule_ids()
    _first, second = decisions(fresh)
    assert second.before["registration"] == "not_needed"
    assert second.after["registration"] == "required"


def test_kau_diary_action_by_triage_is_the_decision_required(cast: Cast, make_item: Any) -> None:
    item = make_item()
    registration.decide_no_registration(item, by=cast["communicator"], now=NOW)
    services.classify_item(
        item,
        triage=services.Triage(classification="question", requires_registration=True),
        by=cast["deputy"],
        now=NOW,
    )
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == Registration.REQUIRED
    assert fresh.requires_registration
    assert fresh.registration_decided_by == cast["deputy"]
    # Unticked again: back to undecided, nobody named.
    services.classify_item(
        item, triage=services.Triage(classification="question"), by=cast["deputy"], now=NOW
    )
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == Registration.UNDECIDED
    assert not fresh.requires_registration
    assert fresh.registration_decided_by is None


def test_kau_diary_none_survives_a_later_classification(cast: Cast, make_item: Any) -> None:
    item = make_item()
    registration.decide_no_registration(item, by=cast["communicator"], now=NOW)
    services.classify_item(
        item, triage=services.Triage(classification="question"), by=cast["deputy"], now=NOW
    )
    assert Item.objects.get(pk=item.pk).registration == Registration.NOT_NEEDED


def test_items_handled_without_a_decision_are_undecided(cast: Cast, make_item: Any) -> None:
    item = make_item()
    services.answer_item(item, answer="Den 15 mars.", by=cast["communicator"], now=NOW)
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == Registration.UNDECIDED
    assert fresh.registration_decided_at is None


def test_deciding_the_same_again_logs_nothing(cast: Cast, make_item: Any) -> None:
    item = make_item()
    registration.decide_no_registration(item, by=cast["communicator"], now=NOW)
    registration.decide_no_registration(item, by=cast["deputy"], now=NOW + timedelta(hours=1))
    assert len(decisions(item)) == 1
    assert Item.objects.get(pk=item.pk).registration_decided_by == cast["communicator"]


def _unchanged(item: Item) -> tuple[Any, ...]:
    fresh = Item.objects.get(pk=item.pk)
    return (
        fresh.registration,
        fresh.requires_registration,
        fresh.registration_decided_at,
        fresh.registration_found_at,
        fresh.log.count(),
    )


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"decision": "undecided"}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "not_needed", "found_at": "x" * 1001}, "found_at"),
        ({"decision": "not_needed", "reason": "x" * 2001}, "reason"),
    ],
)
def test_kau_diary_none_refuses_bad_input_and_changes_nothing(
    cast: Cast, make_item: Any, arguments: dict[str, str], field: str
) -> None:
    item = make_item()
    before = _unchanged(item)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        registration.decide_registration(item, by=cast["communicator"], now=NOW, **arguments)
    assert field in refused.value.message_dict
    assert _unchanged(item) == before


@pytest.mark.parametrize(
    "triage",
    [
        services.Triage(classification="criticism"),
        services.Triage(threat=True),
        services.Triage(prohibited=[6]),
        services.Triage(classification="question", requires_registration=True),
    ],
)
def test_kau_diary_none_is_refused_where_kau_diary_action_applies(
    cast: Cast, make_item: Any, triage: services.Triage
) -> None:
    item = make_item(triage=triage)
    before = _unchanged(item)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        registration.decide_no_registration(item, by=cast["communicator"], now=NOW)
    assert "KAU-DIARY-ACTION" in refused.value.message_dict["decision"][0]
    assert _unchanged(item) == before


@pytest.mark.parametrize("person", ["head_of_unit", "social_media_lead", "registrar", "outsider"])
def test_only_the_moderators_decide_kau_diary_none(cast: Cast, make_item: Any, person: str) -> None:
    item = make_item()
    with pytest.raises(PermissionDenied):
        registration.decide_no_registration(item, by=cast[person], now=NOW)
    assert Item.objects.get(pk=item.pk).registration == Registration.UNDECIDED


def test_bulk_kau_diary_none_is_every_item_or_none(cast: Cast, make_item: Any) -> None:
    plain, critical = make_item(), make_item(triage=services.Triage(classification="criticism"))
    with pytest.raises(ValidationError):
        registration.decide_no_registration_items([plain, critical], by=cast["communicator"], now=NOW)
    assert Item.objects.get(pk=plain.pk).registration == Registration.UNDECIDED
    second = make_item()
    registration.decide_no_registration_items([plain, second], by=cast["communicator"], now=NOW)
    assert set(Item.objects.filter(registration="not_needed").values_list("pk", flat=True)) == {
        plain.pk,
        second.pk,
    }


# --- The live figures --------------------------------------------------------------------------------


def test_kau_diary_none_live_figures_count_this_month_and_handled_undecided(
    cast: Cast, make_item: Any
) -> None:
    last_month = datetime(2026, 10, 31, 23, 30, tzinfo=STOCKHOLM)
    old = make_item(received_at=last_month - timedelta(hours=3), now=last_month)
    registration.decide_no_registration(old, by=cast["communicator"], now=last_month)
    for _number in range(2):
        registration.decide_no_registration(make_item(), by=cast["communicator"], now=NOW)
    handled = make_item()
    services.answer_item(handled, answer="Svar.", by=cast["communicator"], now=NOW)
    make_item()  # open and undecided: not handled yet
    assert registration.no_registration_this_month(NOW) == 2
    assert registration.handled_undecided(NOW) == 1
    assert registration.handled_undecided(NOW - timedelta(days=1)) == 0


# --- The item page -----------------------------------------------------------------------------------


def test_owner_decides_kau_diary_none_with_one_click_on_the_item_page(
    client: Client, cast: Cast, make_item: Any
) -> None:
    item = make_item(url="https://www.instagram.com/p/ettklick/")
    client.force_login(cast["communicator"])
    page = in_english(client).get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert 'data-action="no-registration"' in page
    response = client.post(
        reverse("moderation:registration", args=[item.pk]), {"registration-decision": "not_needed"}
    )
    assert response.status_code == 302
    fresh = Item.objects.get(pk=item.pk)
    assert fresh.registration == "not_needed"
    assert fresh.registration_found_at == item.url
    page = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "Needs no registration (KAU-DIARY-NONE), decided by" in page
    assert f"and in Kanalvakt as item {item.pk}" in page
    assert 'href="https://www.instagram.com/p/ettklick/"' in page
    assert 'data-action="no-registration"' not in page  # decided: no quick button any more


def test_a_refused_decision_is_shown_on_its_field(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item(triage=services.Triage(classification="criticism"))
    client.force_login(cast["communicator"])
    response = in_english(client).post(
        reverse("moderation:registration", args=[item.pk]), {"registration-decision": "not_needed"}
    )
    assert response.status_code == 400
    assert "KAU-DIARY-ACTION" in response.content.decode()
    assert Item.objects.get(pk=item.pk).registration == Registration.UNDECIDED


@pytest.mark.parametrize(("person", "status"), [("head_of_unit", 403), ("registrar", 404), ("outsider", 404)])
def test_only_moderators_post_the_decision(
    client: Client, cast: Cast, make_item: Any, person: str, status: int
) -> None:
    item = make_item()
    client.force_login(cast[person])
    response = client.post(
        reverse("moderation:registration", args=[item.pk]), {"registration-decision": "not_needed"}
    )
    assert response.status_code == status
    assert Item.objects.get(pk=item.pk).registration == Registration.UNDECIDED


def test_bulk_kau_diary_none_from_my_queue(client: Client, cast: Cast, make_item: Any) -> None:
    first, second = make_item(), make_item()
    client.force_login(cast["communicator"])
    data = {"action": "no_registration", "items": [first.pk, second.pk]}
    confirm = in_english(client).post(reverse("moderation:bulk"), data)
    assert confirm.status_code == 200
    assert "need no registration" in confirm.content.decode()
    done = client.post(reverse("moderation:bulk"), {**data, "confirm": "1"})
    assert done.status_code == 302
    assert Item.objects.filter(pk__in=[first.pk, second.pk], registration="not_needed").count() == 2
