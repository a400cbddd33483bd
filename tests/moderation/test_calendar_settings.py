"""The institution's extra days off, on the settings page, and what they do to deadlines
(KAU-RESPONSE-DEADLINE)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from core.calendar import STOCKHOLM
from core.models import InstitutionSettings
from moderation import services, sweep
from moderation.models import Item, LogEntry
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import INSTITUTION_SETTINGS

URL = reverse("governance:settings")
VALID = INSTITUTION_SETTINGS
FRIDAY = "2026-11-27"  # the day after NOW (Thursday 26 November 2026)


@pytest.mark.parametrize(
    ("person", "expected"), [("outsider", 403), ("communicator", 403), ("head_of_unit", 403)]
)
def test_only_the_social_media_lead_sets_days_off(
    client: Any, cast: Cast, person: str, expected: int
) -> None:
    client.force_login(cast[person])
    assert client.get(URL).status_code == expected
    assert client.post(URL, {**VALID, "extra_days_off": FRIDAY}).status_code == expected
    assert InstitutionSettings.objects.get_solo().extra_days_off == []


def test_anonymous_is_sent_to_log_in(client: Any, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_lead_saves_days_off_sorted_without_repeats(
    client: Any, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast["social_media_lead"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            URL, {**VALID, "extra_days_off": "2026-12-28\r\n\r\n 2026-11-27 \r\n2026-12-28\r\n"}
        )
    assert response.status_code == 302
    saved = InstitutionSettings.objects.get_solo()
    assert saved.extra_days_off == ["2026-11-27", "2026-12-28"]
    assert saved.history.latest().history_user == cast["social_media_lead"]
    assert callbacks  # the open items' deadlines are recomputed after the commit
    # The page shows them one a line, in a labelled text area.
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="extra_days_off"' in html
    assert '<label for="id_extra_days_off">' in html
    assert "2026-11-27\n2026-12-28" in html


def test_saving_the_same_days_off_recomputes_nothing(
    client: Any, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast["social_media_lead"])
    client.post(URL, {**VALID, "extra_days_off": FRIDAY})
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(URL, {**VALID, "extra_days_off": f"{FRIDAY}\n{FRIDAY}"}).status_code == 302
    assert callbacks == []


@pytest.mark.parametrize("bad", ["2026-13-01", "27/11/2026", "2026-11-27 och 28", "2026-2-3"])
def test_a_bad_date_is_400_and_names_the_field_and_the_line(client: Any, cast: Cast, bad: str) -> None:
    client.force_login(cast["social_media_lead"])
    response = client.post(URL, {**VALID, "extra_days_off": f"2026-12-28\n{bad}"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"extra_days_off"}
    message = " ".join(errors["extra_days_off"])
    assert bad[:40] in message
    assert "2" in message.replace(bad, "")  # the line number
    assert 'href="#id_extra_days_off"' in response.content.decode()
    assert InstitutionSettings.objects.get_solo().extra_days_off == []


def test_an_item_logged_after_the_change_skips_the_day_off_kau_response_deadline(
    client: Any, cast: Cast, account: Any
) -> None:
    client.force_login(cast["social_media_lead"])
    client.post(URL, {**VALID, "extra_days_off": FRIDAY})
    item = services.log_item(
        account,
        kind=Item.Kind.COMMENT,
        author="@elin",
        text="Har ni öppet på fredag?",
        received_at=NOW,
        by=cast["communicator"],
        now=NOW,
    )
    # Thursday 10:00 + 24 working hours: 14 on Thursday, Friday off, the weekend, 10 on Monday.
    assert item.due_at == datetime(2026, 11, 30, 10, 0, tzinfo=STOCKHOLM)
    assert item.limit_at == datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM)


def test_open_items_follow_the_new_days_off_and_answered_ones_keep_theirs(
    client: Any, cast: Cast, make_item: Any
) -> None:
    open_item = make_item(received_at=NOW)  # due Friday 10:00 before the change
    answered = make_item(received_at=NOW)
    services.answer_item(answered, answer="Svar", by=cast["communicator"], now=NOW + timedelta(minutes=5))
    assert open_item.due_at == datetime(2026, 11, 27, 10, 0, tzinfo=STOCKHOLM)

    client.force_login(cast["social_media_lead"])
    assert client.post(URL, {**VALID, "extra_days_off": FRIDAY}).status_code == 302
    # The task the settings page enqueues after commit calls this service function.
    assert sweep.recompute_open_deadlines(by=cast["social_media_lead"], now=NOW) == 1

    open_item.refresh_from_db()
    answered.refresh_from_db()
    assert open_item.due_at == datetime(2026, 11, 30, 10, 0, tzinfo=STOCKHOLM)
    assert open_item.alert_after == open_item.due_at
    assert answered.due_at == datetime(2026, 11, 27, 10, 0, tzinfo=STOCKHOLM)
    assert open_item.log.filter(action=LogEntry.Action.DEADLINES_CHANGED).count() == 1
    assert not answered.log.filter(action=LogEntry.Action.DEADLINES_CHANGED).exists()

    # Taking the day off away again brings the old deadline back.
    client.post(URL, {**VALID, "extra_days_off": ""})
    sweep.recompute_open_deadlines(by=None, now=NOW)
    open_item.refresh_from_db()
    assert open_item.due_at == datetime(2026, 11, 27, 10, 0, tzinfo=STOCKHOLM)
