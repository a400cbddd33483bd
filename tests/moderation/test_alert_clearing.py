"""Alerts clear themselves when their item is answered, closed or removed, and say so; threats stay
until someone acknowledges them (KAU-THREAT); "acknowledge all" takes the rest off the start page in
one go."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from moderation import services
from moderation.models import Alert
from moderation.routing import acknowledge_alerts
from moderation.selectors import open_alerts_for
from moderation.services import Triage, classify_item
from tests.conftest import Cast
from tests.moderation.conftest import NOW


def client_for(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def flagged(cast: Cast, make_item: Any) -> Any:
    """An item that is criticism, a risk of a pile-on and a threat: three alerts at once."""
    item = make_item()
    triage = Triage(classification="criticism", pile_on_risk=True, threat=True)
    return classify_item(item, triage=triage, by=cast["communicator"], now=NOW)


@pytest.mark.parametrize("finish", ["answer", "close"])
def test_answering_or_closing_clears_the_items_alerts_but_not_the_threat_kau_threat(
    cast: Cast, flagged: Any, finish: str
) -> None:
    later = NOW + timedelta(minutes=30)
    if finish == "answer":
        services.answer_item(flagged, answer="Tack, vi ser över det.", by=cast["communicator"], now=later)
    else:
        services.close_item(flagged, reason="Besvarat i annan tråd.", by=cast["communicator"], now=later)
    alerts = {alert.kind: alert for alert in Alert.objects.filter(item=flagged)}
    for kind in (Alert.Kind.CRITICISM, Alert.Kind.PILE_ON):
        assert alerts[kind].cleared_at == later
        assert alerts[kind].cleared_reason == ("answered" if finish == "answer" else "closed")
        assert alerts[kind].acknowledged_at is None
        assert alerts[kind].acknowledged_by is None
    assert alerts[Alert.Kind.THREAT].cleared_at is None
    assert alerts[Alert.Kind.THREAT].is_open
    # Off the lead's and the head's start pages; the threat stays on the security officer's.
    assert not open_alerts_for(cast["social_media_lead"]).filter(item=flagged).exists()
    assert not open_alerts_for(cast["head_of_unit"]).filter(item=flagged).exists()
    assert open_alerts_for(cast["security_officer"]).filter(item=flagged).exists()


def test_an_acknowledged_alert_keeps_its_acknowledgement_when_the_item_is_answered(
    cast: Cast, flagged: Any
) -> None:
    pile_on = Alert.objects.get(item=flagged, kind=Alert.Kind.PILE_ON)
    acknowledge_alerts([pile_on], by=cast["social_media_lead"], now=NOW)
    services.answer_item(flagged, answer="Tack.", by=cast["communicator"], now=NOW + timedelta(hours=1))
    pile_on.refresh_from_db()
    assert pile_on.acknowledged_by == cast["social_media_lead"]
    assert pile_on.cleared_at is None


def test_the_items_page_says_the_alert_was_not_needed(cast: Cast, flagged: Any) -> None:
    services.answer_item(flagged, answer="Tack.", by=cast["communicator"], now=NOW + timedelta(minutes=5))
    page = client_for(cast["communicator"]).get(reverse("moderation:item", args=[flagged.pk]))
    html = page.content.decode()
    assert html.count('data-alert-state="cleared"') == 2
    assert html.count('data-alert-state="open"') == 1  # the threat


def test_acknowledge_all_takes_every_alert_but_threats_in_one_go(cast: Cast, make_item: Any) -> None:
    lead = cast["social_media_lead"]
    for _ in range(3):
        classify_item(make_item(), triage=Triage(pile_on_risk=True), by=cast["communicator"], now=NOW)
    threat = classify_item(make_item(), triage=Triage(threat=True), by=cast["communicator"], now=NOW)
    services.escalate_item(threat, target="central", note="Se detta.", by=cast["communicator"], now=NOW)
    client = client_for(lead)
    home = client.get(reverse("core:home")).content.decode()
    assert 'data-acknowledge-all="4"' in home
    response = client.post(reverse("moderation:alerts_acknowledge_all"))
    assert response.status_code == 302
    assert not open_alerts_for(lead).exists()
    assert Alert.objects.filter(acknowledged_by=lead).count() == 4
    # The threat to the security officer was not the lead's, and stays open.
    assert Alert.objects.get(item=threat, kind=Alert.Kind.THREAT).is_open


def test_acknowledge_all_leaves_threats_to_be_acknowledged_one_by_one_kau_threat(
    cast: Cast, flagged: Any
) -> None:
    officer = cast["security_officer"]
    response = client_for(officer).post(reverse("moderation:alerts_acknowledge_all"))
    assert response.status_code == 302
    assert open_alerts_for(officer).filter(kind=Alert.Kind.THREAT).count() == 1
    home = client_for(officer).get(reverse("core:home")).content.decode()
    assert "data-acknowledge-all" not in home  # nothing but the threat: no button


def test_acknowledge_all_refuses_a_get(cast: Cast) -> None:
    assert (
        client_for(cast["communicator"]).get(reverse("moderation:alerts_acknowledge_all")).status_code == 405
    )
