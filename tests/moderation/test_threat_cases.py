"""Threat cases and the re-alert (KAU-THREAT): a threat is a case from the moment it is routed, with
notes and actions each logged with who and when; nobody acknowledging it within the institution's
working hours alerts it again, once, to the security officer and the social media lead; the security
officer's menu shows what he uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.models import InstitutionSettings, Notification
from core.navigation import navigation_for
from moderation import realert
from moderation.cases import record_case_entry
from moderation.models import Alert, LogEntry, ThreatCase, ThreatCaseEntry
from moderation.routing import acknowledge_alert
from moderation.services import Triage, classify_item
from tests.conftest import Cast
from tests.moderation.conftest import NOW

THREAT = Triage(classification="comment", threat=True)


@pytest.fixture
def threat(cast: Cast, make_item: Any) -> Any:
    item = make_item(text="Föreläsaren ska få se vad som händer efter tentan.")
    return classify_item(item, triage=THREAT, by=cast["communicator"], now=NOW)


def client_for(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_threat_is_a_case_from_the_moment_it_is_routed_kau_threat(cast: Cast, threat: Any) -> None:
    case = ThreatCase.objects.get(item=threat)
    assert case.is_open
    assert case.opened_at == NOW
    (entry,) = case.entries.all()
    assert (entry.kind, entry.by) == (ThreatCaseEntry.Kind.OPENED, None)
    alert = Alert.objects.get(item=threat, kind=Alert.Kind.THREAT)
    # Two working hours on a Thursday morning (the default setting).
    assert alert.realert_at == NOW + timedelta(hours=2)
    # Classifying it again opens no second case.
    classify_item(threat, triage=THREAT, by=cast["communicator"], now=NOW, note="Igen")
    assert ThreatCase.objects.filter(item=threat).count() == 1


def test_actions_and_notes_are_logged_with_who_and_when_kau_threat(cast: Cast, threat: Any) -> None:
    case = threat.threat_case
    officer, lead = cast["security_officer"], cast["social_media_lead"]
    record_case_entry(case, kind="police_report", note="Anmält, K-123-26.", by=officer, now=NOW)
    record_case_entry(case, kind="risk_assessment", note="", by=lead, now=NOW + timedelta(minutes=5))
    record_case_entry(case, kind="note", note="Föreläsaren har fått stöd.", by=officer, now=NOW)
    record_case_entry(case, kind="target_informed", note="", by=officer, now=NOW)
    record_case_entry(case, kind="closed", note="Hanterat.", by=officer, now=NOW + timedelta(hours=1))
    case.refresh_from_db()
    assert not case.is_open
    assert case.closed_by == officer
    kinds = list(case.entries.values_list("kind", "by__username"))
    assert kinds == [
        ("opened", None),
        ("police_report", "security_officer"),
        ("note", "security_officer"),
        ("target_informed", "security_officer"),
        ("risk_assessment", "social_media_lead"),
        ("closed", "security_officer"),
    ]
    # A closed case takes nothing but a re-opening; re-opened, it is open again, history kept.
    with pytest.raises(ValidationError) as refused:
        record_case_entry(case, kind="note", note="Till.", by=officer, now=NOW + timedelta(hours=2))
    assert "kind" in refused.value.message_dict
    record_case_entry(case, kind="reopened", note="Nytt hot.", by=lead, now=NOW + timedelta(hours=3))
    case.refresh_from_db()
    assert case.is_open
    assert case.closed_by is None
    assert case.entries.count() == 7
    assert case.history.count() >= 3  # opened, closed, re-opened


def test_recording_acknowledges_the_threat_alert_and_stops_the_re_alert_kau_threat(
    cast: Cast, threat: Any
) -> None:
    record_case_entry(threat.threat_case, kind="note", note="Läst.", by=cast["security_officer"], now=NOW)
    alert = Alert.objects.get(item=threat, kind=Alert.Kind.THREAT)
    assert alert.acknowledged_by == cast["security_officer"]
    assert alert.realert_at is None
    assert realert.realert_threats(now=NOW + timedelta(days=3)) == 0


@pytest.mark.parametrize(
    ("kind", "note", "field"),
    [("note", "  ", "note"), ("reopened", "", "kind"), ("delete", "x", "kind"), ("note", "x" * 5001, "note")],
)
def test_bad_input_names_the_field_and_changes_nothing(
    cast: Cast, threat: Any, kind: str, note: str, field: str
) -> None:
    case = threat.threat_case
    with pytest.raises(ValidationError) as refused:
        record_case_entry(case, kind=kind, note=note, by=cast["security_officer"], now=NOW)
    assert field in refused.value.message_dict
    assert case.entries.count() == 1
    assert Alert.objects.get(item=threat, kind=Alert.Kind.THREAT).acknowledged_at is None


def test_only_the_security_officer_and_the_lead_record_in_a_case(cast: Cast, threat: Any) -> None:
    from django.http import Http404

    for name in ("communicator", "head_of_unit", "communications", "registrar"):
        with pytest.raises(Http404):
            record_case_entry(threat.threat_case, kind="note", note="Hej", by=cast[name], now=NOW)
    assert threat.threat_case.entries.count() == 1


@pytest.mark.postgres
def test_the_case_record_is_append_only_kau_public_record(cast: Cast, threat: Any) -> None:
    entry = threat.threat_case.entries.get()
    for statement in (
        "UPDATE moderation_threatcaseentry SET note = 'x'",
        "DELETE FROM moderation_threatcaseentry",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"{statement} WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM moderation_threatcase WHERE id = %s", [threat.threat_case.pk])


# --- The re-alert ---------------------------------------------------------------------------------------


def test_an_unacknowledged_threat_is_alerted_again_once_to_the_officer_and_the_lead_kau_threat(
    cast: Cast, threat: Any
) -> None:
    assert realert.realert_threats(now=NOW + timedelta(hours=1, minutes=59)) == 0
    assert realert.realert_threats(now=NOW + timedelta(hours=2)) == 1
    again = Alert.objects.get(item=threat, kind=Alert.Kind.THREAT_UNACKNOWLEDGED)
    assert again.target == Alert.Target.SECURITY_AND_LEAD
    told = set(Notification.objects.filter(kind="item_threat_unack").values_list("email", flat=True))
    assert {"security_officer@example.se", "social_media_lead@example.se"} <= told
    assert threat.log.filter(action=LogEntry.Action.ROUTED, note__contains="KAU-THREAT").count() == 2
    # Once: a second run, and a run a day later, send nothing more.
    assert realert.realert_threats(now=NOW + timedelta(hours=3)) == 0
    assert realert.realert_threats(now=NOW + timedelta(days=1)) == 0
    assert Alert.objects.filter(item=threat, kind=Alert.Kind.THREAT_UNACKNOWLEDGED).count() == 1
    # Both see it on their start page.
    from moderation.selectors import open_alerts_for

    assert again in open_alerts_for(cast["security_officer"])
    assert again in open_alerts_for(cast["social_media_lead"])


def test_an_acknowledged_threat_is_not_alerted_again(cast: Cast, threat: Any) -> None:
    alert = Alert.objects.get(item=threat, kind=Alert.Kind.THREAT)
    acknowledge_alert(alert, by=cast["security_officer"], now=NOW + timedelta(minutes=10))
    assert realert.realert_threats(now=NOW + timedelta(days=2)) == 0
    assert not Alert.objects.filter(kind=Alert.Kind.THREAT_UNACKNOWLEDGED).exists()


def test_the_re_alert_counts_working_hours_from_the_setting_kau_threat(cast: Cast, make_item: Any) -> None:
    InstitutionSettings.objects.get_solo()  # the row exists
    InstitutionSettings.objects.filter(pk=1).update(threat_reacknowledge_hours=5)
    friday_late = NOW + timedelta(days=1, hours=12)  # Friday 22:00: the count runs on into Monday
    item = make_item(now=friday_late, received_at=friday_late - timedelta(minutes=5))
    classify_item(item, triage=THREAT, by=cast["communicator"], now=friday_late)
    alert = Alert.objects.get(item=item, kind=Alert.Kind.THREAT)
    assert alert.realert_at is not None
    assert alert.realert_at.astimezone(NOW.tzinfo).weekday() == 0  # Monday
    assert realert.realert_threats(now=friday_late + timedelta(hours=24)) == 0  # Saturday: not yet


def test_a_new_re_alert_setting_moves_the_waiting_threats_kau_threat(
    cast: Cast, threat: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from governance.services import update_institution_settings
    from moderation.tasks import recompute_open_deadlines

    alert = Alert.objects.get(item=threat, kind=Alert.Kind.THREAT)
    assert alert.realert_at == NOW + timedelta(hours=2)
    with django_capture_on_commit_callbacks() as callbacks:
        update_institution_settings(by=cast["social_media_lead"], threat_reacknowledge_hours=6)
    assert callbacks  # the recompute is sent to the worker once the change is committed
    recompute_open_deadlines()  # what the worker runs
    alert.refresh_from_db()
    assert alert.realert_at == NOW + timedelta(hours=6)  # counted from when the threat was alerted
    assert realert.realert_threats(now=NOW + timedelta(hours=3)) == 0
    assert realert.realert_threats(now=NOW + timedelta(hours=6)) == 1
    # Once alerted again, the threat has no moment left to move.
    assert realert.reschedule_waiting() == 0


# --- The pages ------------------------------------------------------------------------------------------


def test_the_security_officer_reads_the_case_with_the_item_text_and_records_an_action(
    cast: Cast, threat: Any
) -> None:
    client = client_for(cast["security_officer"])
    case = threat.threat_case
    page = client.get(reverse("moderation:cases"))
    assert page.status_code == 200
    assert f'data-case="{case.pk}"' in page.content.decode()
    detail = client.get(reverse("moderation:case", args=[case.pk]))
    assert detail.status_code == 200
    assert "Föreläsaren ska få se vad som händer efter tentan." in detail.content.decode()
    done = client.post(
        reverse("moderation:case_record", args=[case.pk]), {"kind": "police_report", "note": "K-1"}
    )
    assert done.status_code == 302
    assert case.entries.filter(kind="police_report", by=cast["security_officer"]).exists()
    again = client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert 'data-step="police_report" data-step-done="yes"' in again


def test_a_refused_entry_is_shown_on_its_field_and_nothing_is_kept(cast: Cast, threat: Any) -> None:
    client = client_for(cast["social_media_lead"])
    case = threat.threat_case
    with translation.override("en"):
        response = client.post(
            reverse("moderation:case_record", args=[case.pk]),
            {"kind": "note", "note": ""},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert 'id="id_note_error"' in response.content.decode()
    assert case.entries.count() == 1


def test_the_item_page_links_the_officer_to_the_case(cast: Cast, threat: Any) -> None:
    page = client_for(cast["security_officer"]).get(reverse("moderation:item", args=[threat.pk]))
    assert f'data-threat-case="{threat.threat_case.pk}"' in page.content.decode()
    owner_page = client_for(cast["communicator"]).get(reverse("moderation:item", args=[threat.pk]))
    assert "data-threat-case" not in owner_page.content.decode()


def test_the_case_list_costs_the_same_for_many_cases(cast: Cast, make_item: Any) -> None:
    client = client_for(cast["security_officer"])

    def flagged(count: int) -> None:
        for _ in range(count):
            classify_item(make_item(), triage=THREAT, by=cast["communicator"], now=NOW)

    flagged(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("moderation:cases")).status_code == 200
    flagged(12)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("moderation:cases")).status_code == 200
    assert len(many) == len(few) <= 10


def test_the_security_officers_menu_shows_what_he_uses(cast: Cast) -> None:
    keys = [entry["key"] for entry in navigation_for(cast["security_officer"], "/")]
    assert keys == ["home", "cases", "policy"]  # the policy page is for everyone signed in
    lead = [entry["key"] for entry in navigation_for(cast["social_media_lead"], "/")]
    assert "cases" in lead
    assert "queue" in lead
    communicator = [entry["key"] for entry in navigation_for(cast["communicator"], "/")]
    assert "cases" not in communicator
    assert "queue" in communicator
