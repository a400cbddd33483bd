"""moderation.services: every change to an item, its log entry, its routing and its permissions."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.test import RequestFactory
from PIL import Image

from archive.services import store_evidence
from core.calendar import STOCKHOLM
from core.models import Notification
from moderation import routing, services, sweep
from moderation.models import Alert, Item, LogEntry
from moderation.services import ItemNotOpen, Triage
from tests.conftest import Cast
from tests.moderation.conftest import NOW


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def emails(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("email", flat=True))


def actions(item: Item) -> list[str]:
    return list(item.log.order_by("pk").values_list("action", flat=True))


# --- Logging ------------------------------------------------------------------------------------------


def test_log_item_fixes_the_deadlines_in_working_hours_and_writes_the_log_kau_response_deadline(
    cast: Cast, account: Any
) -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=STOCKHOLM)
    item = services.log_item(
        account,
        kind=Item.Kind.COMMENT,
        author="@elin",
        text="När öppnar anmälan?",
        received_at=friday,
        by=cast["communicator"],
        now=friday + timedelta(minutes=5),
    )
    # The weekend does not count: 24 working hours after Friday 15:00 is Monday 15:00.
    assert item.due_at == datetime(2026, 11, 30, 15, 0, tzinfo=STOCKHOLM)
    assert item.limit_at == datetime(2026, 12, 1, 15, 0, tzinfo=STOCKHOLM)
    assert item.alert_after == item.due_at
    entry = item.log.get()
    assert (entry.action, entry.actor, entry.at) == (
        LogEntry.Action.LOGGED,
        cast["communicator"],
        friday + timedelta(minutes=5),
    )
    assert entry.after["status"] == Item.Status.OPEN
    assert not Alert.objects.exists()


def test_log_item_refuses_a_future_time_and_a_platform_id_logged_before(
    cast: Cast, account: Any, make_item: Any
) -> None:
    with pytest.raises(ValidationError) as error:
        make_item(received_at=NOW + timedelta(hours=1))
    assert "received_at" in error.value.message_dict
    make_item(platform_id="same")
    with pytest.raises(ValidationError):
        make_item(platform_id="same")
    assert Item.objects.count() == 1


# --- Routing ------------------------------------------------------------------------------------------


def test_a_threat_goes_once_to_the_security_officer_and_the_address_kau_threat(
    cast: Cast, make_item: Any
) -> None:
    item = make_item()
    services.classify_item(item, triage=Triage(threat=True), by=cast["communicator"], now=NOW)
    alert = Alert.objects.get(item=item)
    assert (alert.kind, alert.target) == (Alert.Kind.THREAT, Alert.Target.SECURITY)
    assert emails("item_threat") == {"security_officer@example.se", "sakerhet@kau.se"}
    # Read again, unflagged and flagged again: still one alert, one e-mail each.
    services.classify_item(item, triage=Triage(threat=True), by=cast["deputy"], now=NOW, note="again")
    services.classify_item(item, triage=Triage(), by=cast["deputy"], now=NOW)
    services.classify_item(item, triage=Triage(threat=True), by=cast["deputy"], now=NOW)
    assert Alert.objects.filter(item=item).count() == 1
    assert Notification.objects.filter(kind="item_threat").count() == 2
    assert actions(item).count(LogEntry.Action.ROUTED) == 1
    assert actions(item).count(LogEntry.Action.CLASSIFIED) == 4


def test_a_threat_flagged_when_logged_is_routed_at_once_kau_threat(cast: Cast, make_item: Any) -> None:
    item = make_item(triage=Triage(threat=True))
    assert list(item.alerts.values_list("kind", flat=True)) == [Alert.Kind.THREAT]
    assert actions(item) == [LogEntry.Action.LOGGED, LogEntry.Action.ROUTED]
    assert emails("item_threat") == {"security_officer@example.se", "sakerhet@kau.se"}


def test_a_pile_on_goes_once_to_the_lead_and_the_central_address_kau_drev(cast: Cast, make_item: Any) -> None:
    item = make_item(triage=Triage(pile_on_risk=True))
    services.classify_item(item, triage=Triage(pile_on_risk=True), by=cast["communicator"], now=NOW, note="x")
    alert = Alert.objects.get(item=item)
    assert (alert.kind, alert.target) == (Alert.Kind.PILE_ON, Alert.Target.CENTRAL)
    assert emails("item_pile_on") == {"social_media_lead@example.se", "socialamedier@kau.se"}
    assert Notification.objects.filter(kind="item_pile_on").count() == 2


def test_criticism_goes_once_to_the_head_of_the_unit_kau_response_criticism(
    cast: Cast, make_item: Any
) -> None:
    item = make_item()
    for _ in range(2):
        services.classify_item(item, triage=Triage(classification="criticism"), by=cast["deputy"], now=NOW)
    alert = Alert.objects.get(item=item)
    assert (alert.kind, alert.target) == (Alert.Kind.CRITICISM, Alert.Target.HEAD)
    assert emails("item_criticism") == {"head_of_unit@example.se"}


def test_criticism_on_a_unit_without_a_head_goes_to_the_nearest_head_above(cast: Cast) -> None:
    from accounts import services as account_services
    from governance import services as governance_services

    group = governance_services.create_unit(
        name="Forskargruppen", code="grp", kind="group", parent=cast.units["department"], head=None, by=None
    )
    account = account_services.register_account(
        unit=group, platform="instagram", name="Gruppen", handle="grp_kau",
        owner=cast["communicator"], deputies=[cast["deputy"]], by=None,
    )  # fmt: skip
    services.log_item(
        account,
        kind=Item.Kind.COMMENT,
        author="@arg",
        text="Dåligt!",
        received_at=NOW - timedelta(hours=1),
        by=cast["communicator"],
        now=NOW,
        triage=Triage(classification="criticism"),
    )
    assert emails("item_criticism") == {"head_of_unit@example.se"}
    # The head it reached sees it on the start page and acknowledges it; the dean above does not.
    from moderation.selectors import open_alerts_for

    alert = Alert.objects.get(kind=Alert.Kind.CRITICISM)
    assert alert.head == cast["head_of_unit"]
    assert list(open_alerts_for(cast["head_of_unit"])) == [alert]
    assert list(open_alerts_for(cast["dean"])) == []
    routing.acknowledge_alert(alert, by=cast["head_of_unit"], now=NOW)


def test_several_flags_route_to_each_once(cast: Cast, make_item: Any) -> None:
    item = make_item(triage=Triage(threat=True, pile_on_risk=True, classification="criticism"))
    services.classify_item(
        item,
        triage=Triage(threat=True, pile_on_risk=True, classification="criticism", requires_registration=True),
        by=cast["communicator"],
        now=NOW,
    )
    assert sorted(item.alerts.values_list("kind", flat=True)) == ["criticism", "pile_on", "threat"]
    assert actions(item).count(LogEntry.Action.ROUTED) == 3


def test_inactive_security_officers_are_not_told_but_the_address_is(cast: Cast, make_item: Any) -> None:
    cast["security_officer"].is_active = False
    cast["security_officer"].save()
    make_item(triage=Triage(threat=True))
    assert emails("item_threat") == {"sakerhet@kau.se"}


def test_classification_unchanged_writes_nothing(cast: Cast, make_item: Any) -> None:
    item = make_item()
    services.classify_item(item, triage=Triage(), by=cast["communicator"], now=NOW)
    assert actions(item) == [LogEntry.Action.LOGGED]


def test_classify_keeps_before_and_after_in_the_log(cast: Cast, make_item: Any) -> None:
    item = make_item()
    services.classify_item(
        item, triage=Triage(classification="question", prohibited=[6, 3]), by=cast["communicator"], now=NOW
    )
    entry = item.log.get(action=LogEntry.Action.CLASSIFIED)
    assert entry.before["classification"] == ""
    assert entry.before["prohibited"] == []
    assert entry.after["classification"] == "question"
    assert entry.after["prohibited"] == [3, 6]
    assert entry.actor == cast["communicator"]


def test_triage_refuses_unknown_values() -> None:
    with pytest.raises(ValidationError):
        Triage(classification="shouting")
    with pytest.raises(ValidationError):
        Triage(prohibited=[7])


# --- Answering, closing, removing ---------------------------------------------------------------------


def test_answer_records_text_time_and_who_and_ends_the_reminders(cast: Cast, make_item: Any) -> None:
    item = make_item()
    answered = services.answer_item(
        item, answer="  Den 15 mars.  ", by=cast["deputy"], now=NOW, answered_at=NOW - timedelta(hours=1)
    )
    answered.refresh_from_db()
    assert (answered.status, answered.answer, answered.handled_by) == (
        Item.Status.ANSWERED,
        "Den 15 mars.",
        cast["deputy"],
    )
    assert answered.answered_at == answered.handled_at == NOW - timedelta(hours=1)
    assert answered.alert_after is None
    entry = answered.log.get(action=LogEntry.Action.ANSWERED)
    assert (entry.before["status"], entry.after["status"]) == ("open", "answered")
    assert entry.after["answer"] == "Den 15 mars."
    with pytest.raises(ItemNotOpen):
        services.answer_item(item, answer="Igen", by=cast["deputy"], now=NOW)


@pytest.mark.parametrize(
    ("answer", "answered_at", "field"),
    [
        ("   ", None, "answer"),
        ("Svar", NOW + timedelta(hours=1), "answered_at"),
        ("Svar", NOW - timedelta(days=1), "answered_at"),  # before the item was received
    ],
)
def test_answer_refuses_bad_input_and_changes_nothing(
    cast: Cast, make_item: Any, answer: str, answered_at: datetime | None, field: str
) -> None:
    item = make_item()
    with pytest.raises(ValidationError) as error:
        services.answer_item(item, answer=answer, by=cast["communicator"], now=NOW, answered_at=answered_at)
    assert field in error.value.message_dict
    item.refresh_from_db()
    assert item.status == Item.Status.OPEN
    assert item.alert_after == item.due_at
    assert actions(item) == [LogEntry.Action.LOGGED]


def test_close_needs_a_reason_and_keeps_it(cast: Cast, make_item: Any) -> None:
    item = make_item()
    with pytest.raises(ValidationError):
        services.close_item(item, reason=" ", by=cast["communicator"], now=NOW)
    closed = services.close_item(
        item, reason="Ett tack, inget att svara på.", by=cast["communicator"], now=NOW
    )
    closed.refresh_from_db()
    assert (closed.status, closed.close_reason, closed.alert_after) == (
        Item.Status.CLOSED,
        "Ett tack, inget att svara på.",
        None,
    )
    assert closed.log.get(action=LogEntry.Action.CLOSED).note == "Ett tack, inget att svara på."


def test_remove_is_refused_without_a_category_kau_prohibited_evidence(
    cast: Cast, make_item: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = make_item()
    store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    with pytest.raises(ValidationError) as error:
        services.remove_item(item, note="", by=cast["communicator"], now=NOW)
    assert "prohibited" in error.value.message_dict
    item.refresh_from_db()
    assert item.status == Item.Status.OPEN


def test_remove_is_refused_without_evidence_kau_prohibited_evidence(cast: Cast, make_item: Any) -> None:
    item = make_item(triage=Triage(prohibited=[3]))
    with pytest.raises(ValidationError) as error:
        services.remove_item(item, note="Personangrepp", by=cast["communicator"], now=NOW)
    assert "evidence" in error.value.message_dict
    item.refresh_from_db()
    assert (item.status, item.handled_at) == (Item.Status.OPEN, None)


def test_evidence_then_removal_kau_prohibited_evidence(
    cast: Cast, make_item: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = make_item(triage=Triage(prohibited=[3]))
    shot = store_evidence(item, data=png(), by=cast["deputy"], now=NOW, taken_from="10.0.0.1")
    assert (shot.item_id, shot.purpose, shot.taken_by, shot.taken_at) == (
        item.pk,
        "evidence",
        cast["deputy"],
        NOW,
    )
    assert (tmp_path / shot.image.name).is_file()
    removed = services.remove_item(item, note="Personangrepp", by=cast["deputy"], now=NOW)
    removed.refresh_from_db()
    assert (removed.status, removed.evidence_id, removed.alert_after) == (Item.Status.REMOVED, shot.pk, None)
    assert actions(removed)[-2:] == [LogEntry.Action.EVIDENCE, LogEntry.Action.REMOVED]
    assert shot.sha256 in removed.log.get(action=LogEntry.Action.EVIDENCE).note


@pytest.mark.parametrize("data", [b"", b"<svg xmlns='http://www.w3.org/2000/svg'/>", png()[:60]])
def test_a_refused_evidence_image_stores_nothing_kau_prohibited_evidence(
    cast: Cast, make_item: Any, settings: Any, tmp_path: Path, data: bytes
) -> None:
    from archive.models import Screenshot
    from core.images import ImageRefused

    settings.MEDIA_ROOT = tmp_path
    item = make_item(triage=Triage(prohibited=[3]))
    with pytest.raises(ImageRefused):
        store_evidence(item, data=data, by=cast["communicator"], now=NOW)
    assert not Screenshot.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    item.refresh_from_db()
    assert item.evidence_id is None
    assert actions(item) == [LogEntry.Action.LOGGED]


# --- Who may act --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "person", ["outsider", "head_of_unit", "social_media_lead", "security_officer", "staff"]
)
def test_only_the_owner_and_deputies_moderate(
    cast: Cast, make_item: Any, settings: Any, tmp_path: Path, person: str
) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = make_item(triage=Triage(prohibited=[3]))
    by = cast[person]
    attempts = [
        lambda: services.classify_item(item, triage=Triage(threat=True), by=by, now=NOW),
        lambda: services.answer_item(item, answer="Svar", by=by, now=NOW),
        lambda: services.close_item(item, reason="Inget", by=by, now=NOW),
        lambda: store_evidence(item, data=png(), by=by, now=NOW),
        lambda: services.remove_item(item, note="", by=by, now=NOW),
        lambda: services.escalate_item(item, target=Alert.Target.HEAD, note="Hjälp", by=by, now=NOW),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    item.refresh_from_db()
    assert item.status == Item.Status.OPEN
    assert not item.threat
    assert actions(item) == [LogEntry.Action.LOGGED]
    assert not Alert.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_inactive_owner_may_not_moderate(cast: Cast, make_item: Any) -> None:
    item = make_item()
    cast["communicator"].is_active = False
    cast["communicator"].save()
    with pytest.raises(PermissionDenied):
        services.answer_item(item, answer="Svar", by=cast["communicator"], now=NOW)


# --- Escalating and acknowledging ---------------------------------------------------------------------


def test_each_escalation_by_hand_is_its_own_alert_with_its_reason(cast: Cast, make_item: Any) -> None:
    item = make_item()
    with pytest.raises(ValidationError):
        services.escalate_item(item, target=Alert.Target.HEAD, note="  ", by=cast["communicator"], now=NOW)
    with pytest.raises(ValidationError):
        services.escalate_item(
            item, target=Alert.Target.OWNERS, note="Hjälp", by=cast["communicator"], now=NOW
        )
    first = services.escalate_item(
        item, target=Alert.Target.HEAD, note="Hjälp", by=cast["communicator"], now=NOW
    )
    second = services.escalate_item(
        item, target=Alert.Target.SECURITY, note="Hot?", by=cast["deputy"], now=NOW + timedelta(minutes=1)
    )
    assert (first.kind, first.note, first.created_by) == (
        Alert.Kind.ESCALATION,
        "Hjälp",
        cast["communicator"],
    )
    assert second.target == Alert.Target.SECURITY
    assert set(Notification.objects.filter(kind="item_escalation").values_list("email", flat=True)) == {
        "head_of_unit@example.se",
        "security_officer@example.se",
        "sakerhet@kau.se",
    }
    assert actions(item).count(LogEntry.Action.ESCALATED) == 2


def test_an_alert_is_acknowledged_once_by_someone_it_reached(cast: Cast, make_item: Any) -> None:
    item = make_item(triage=Triage(threat=True))
    alert = item.alerts.get()
    with pytest.raises(PermissionDenied):
        routing.acknowledge_alert(alert, by=cast["outsider"], now=NOW)
    with pytest.raises(PermissionDenied):
        routing.acknowledge_alert(alert, by=cast["head_of_unit"], now=NOW)
    routing.acknowledge_alert(alert, by=cast["security_officer"], now=NOW)
    routing.acknowledge_alert(alert, by=cast["communicator"], now=NOW + timedelta(hours=1))
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (cast["security_officer"], NOW)
    assert actions(item).count(LogEntry.Action.ACKNOWLEDGED) == 1


def test_the_head_acknowledges_criticism(cast: Cast, make_item: Any) -> None:
    item = make_item(triage=Triage(classification="criticism"))
    alert = routing.acknowledge_alert(item.alerts.get(), by=cast["head_of_unit"], now=NOW)
    assert alert.acknowledged_by == cast["head_of_unit"]
    with pytest.raises(PermissionDenied):
        routing.acknowledge_alert(
            make_item(triage=Triage(classification="criticism")).alerts.get(), by=cast["other_head"], now=NOW
        )


# --- When the calendar changes ------------------------------------------------------------------------


def test_recompute_follows_new_hours_and_days_off_for_open_items_only(cast: Cast, make_item: Any) -> None:
    from governance.services import update_institution_settings

    open_item = make_item()  # Thursday 08:00: due Friday 08:00, limit Monday 08:00
    answered = make_item()
    services.answer_item(answered, answer="Svar", by=cast["communicator"], now=NOW)
    answered_deadlines = (answered.due_at, answered.limit_at)
    update_institution_settings(
        by=cast["social_media_lead"], response_due_hours=16, extra_days_off=["2026-11-27"]
    )
    assert sweep.recompute_open_deadlines(by=cast["social_media_lead"], now=NOW) == 1
    open_item.refresh_from_db()
    answered.refresh_from_db()
    # 16 working hours from Thursday 08:00 end with Thursday; 48 skip the day off and the weekend.
    assert open_item.due_at == datetime(2026, 11, 27, 0, 0, tzinfo=STOCKHOLM)
    assert open_item.limit_at == datetime(2026, 12, 1, 8, 0, tzinfo=STOCKHOLM)
    assert open_item.alert_after == open_item.due_at
    assert (answered.due_at, answered.limit_at) == answered_deadlines
    entry = open_item.log.get(action=LogEntry.Action.DEADLINES_CHANGED)
    assert entry.actor == cast["social_media_lead"]
    # A second run finds nothing to change.
    assert sweep.recompute_open_deadlines(by=None, now=NOW) == 0


def test_recompute_keeps_a_sent_reminder_sent_and_waits_for_the_new_limit(cast: Cast, make_item: Any) -> None:
    from governance.services import update_institution_settings

    item = make_item(received_at=NOW - timedelta(days=1))  # Wednesday 10:00: due Thursday 10:00 = NOW
    sweep.sweep_deadlines(now=NOW)
    assert list(item.alerts.values_list("kind", flat=True)) == [Alert.Kind.DUE]
    update_institution_settings(by=cast["social_media_lead"], extra_days_off=["2026-11-26"])
    sweep.recompute_open_deadlines(by=None, now=NOW)
    item.refresh_from_db()
    assert item.due_at == datetime(2026, 11, 27, 10, 0, tzinfo=STOCKHOLM)
    assert item.alert_after == item.limit_at  # the reminder went; the escalation is still to come
    sweep.sweep_deadlines(now=NOW + timedelta(days=1))
    assert item.alerts.count() == 1
    assert Notification.objects.filter(kind="item_due").count() == 2


# --- Public records: never deleted, the log never changed (KAU-PUBLIC-RECORD) --------------------------


@pytest.mark.postgres
def test_the_database_refuses_to_delete_an_item_kau_public_record(make_item: Any) -> None:
    from django.db import connection
    from django.db.models import ProtectedError

    item = make_item()
    with pytest.raises(ProtectedError), transaction.atomic():
        Item.objects.filter(pk=item.pk).delete()
    # Below the ORM too: the trigger refuses the row before any foreign key is looked at.
    with (
        pytest.raises(DatabaseError, match="public record"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM moderation_item WHERE id = %s", [item.pk])
    assert Item.objects.filter(pk=item.pk).exists()


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_a_log_entry_kau_public_record(make_item: Any) -> None:
    entry = make_item().log.get()
    with pytest.raises(DatabaseError, match="public record"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="public record"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.note == ""


@pytest.mark.parametrize("model", [Item, LogEntry, Alert])
def test_the_admin_shows_moderation_records_read_only_and_never_deletes_kau_public_record(
    cast: Cast, model: Any
) -> None:
    cast["staff"].is_superuser = True
    cast["staff"].save()
    request = RequestFactory().get("/admin/")
    request.user = cast["staff"]
    model_admin = site._registry[model]
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert model_admin.has_view_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_lists_open_with_a_superuser(client: Any, cast: Cast, make_item: Any) -> None:
    from django.urls import reverse

    make_item(triage=Triage(threat=True))
    cast["staff"].is_superuser = True
    cast["staff"].save()
    client.force_login(cast["staff"])
    for name in ("item", "logentry", "alert"):
        assert client.get(reverse(f"admin:moderation_{name}_changelist")).status_code == 200
    item = Item.objects.get()
    assert client.get(reverse("admin:moderation_item_delete", args=[item.pk])).status_code == 403


def test_the_same_image_kept_twice_is_one_file_and_two_records(
    cast: Cast, make_item: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    first = store_evidence(make_item(), data=png(), by=cast["communicator"], now=NOW)
    second = store_evidence(make_item(), data=png(), by=cast["communicator"], now=NOW)
    assert first.pk != second.pk
    assert first.image.name == second.image.name
    # The original once, and its date-stamped copy once: the same image at the same time and account.
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2
