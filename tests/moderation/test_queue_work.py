"""Working the queue: "I'm handling this" (taking, releasing, the take lapsing, released when the item
is dealt with), the bulk actions with their one confirmation, the filters of "my queue", and the
severity order of every list (KAU-THREAT, KAU-DREV, KAU-PROHIBITED) with its keyset pages and its
constant query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from archive.services import store_evidence
from core.models import InstitutionSettings
from moderation import handling, services, views, work_views
from moderation.models import Alert, Item, LogEntry, Severity
from moderation.services import Triage
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import in_english, png

pytestmark = pytest.mark.django_db

THREAT = Triage(threat=True)
PILE_ON = Triage(pile_on_risk=True)
PROHIBITED = Triage(prohibited=[3])


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


def actions(item: Item) -> list[str]:
    return list(item.log.order_by("at", "pk").values_list("action", flat=True))


# --- Taking and releasing ------------------------------------------------------------------------------


def test_taking_an_item_names_who_handles_it_and_is_logged(cast: Cast, make_item: Any) -> None:
    item = make_item()
    handling.take_item(item, by=cast["communicator"], now=NOW)
    item = fresh(item)
    assert (item.taken_by, item.taken_at) == (cast["communicator"], NOW)
    assert item.holder(NOW + timedelta(hours=1), 4) == cast["communicator"]
    assert actions(item)[-1] == LogEntry.Action.TAKEN


def test_taking_over_from_a_colleague_names_them_in_the_log(cast: Cast, make_item: Any) -> None:
    item = make_item()
    handling.take_item(item, by=cast["communicator"], now=NOW)
    handling.take_item(item, by=cast["deputy"], now=NOW + timedelta(minutes=5))
    assert fresh(item).taken_by == cast["deputy"]
    entry = item.log.order_by("-at", "-pk").first()
    assert entry is not None
    assert entry.action == LogEntry.Action.TAKEN
    assert str(cast["communicator"]) in entry.note


def test_releasing_frees_the_item_and_is_logged(cast: Cast, make_item: Any) -> None:
    item = make_item()
    handling.take_item(item, by=cast["communicator"], now=NOW)
    handling.release_item(item, by=cast["communicator"], now=NOW + timedelta(minutes=10))
    item = fresh(item)
    assert item.taken_by is None
    assert item.taken_at is None
    assert item.holder(NOW + timedelta(minutes=11), 4) is None
    assert actions(item)[-2:] == [LogEntry.Action.TAKEN, LogEntry.Action.RELEASED]


def test_releasing_an_item_nobody_holds_changes_and_logs_nothing(cast: Cast, make_item: Any) -> None:
    item = make_item()
    before = actions(item)
    handling.release_item(item, by=cast["communicator"], now=NOW)
    assert actions(fresh(item)) == before


def test_a_take_lapses_after_the_institutions_hours(cast: Cast, make_item: Any) -> None:
    """Computed at read time: no sweep, the row still names the person, the pages show it free."""
    item = make_item()
    handling.take_item(item, by=cast["communicator"], now=NOW)
    item = fresh(item)
    hours = InstitutionSettings.objects.get_solo().take_expires_hours
    assert hours == 4
    assert item.holder(NOW + timedelta(hours=3, minutes=59), hours) == cast["communicator"]
    assert item.holder(NOW + timedelta(hours=4), hours) is None
    assert item.holder(NOW + timedelta(hours=4), 8) == cast["communicator"]


def test_a_lapsed_take_can_be_taken_by_another_without_a_takeover_note(cast: Cast, make_item: Any) -> None:
    item = make_item()
    handling.take_item(item, by=cast["communicator"], now=NOW)
    handling.take_item(item, by=cast["deputy"], now=NOW + timedelta(hours=5))
    entry = item.log.order_by("-at", "-pk").first()
    assert entry is not None
    assert entry.note == ""


@pytest.mark.parametrize("how", ["answer", "close", "remove"])
def test_dealing_with_an_item_releases_it(cast: Cast, make_item: Any, how: str) -> None:
    item = make_item()
    by = cast["communicator"]
    handling.take_item(item, by=by, now=NOW)
    if how == "answer":
        services.answer_item(item, answer="Anmälan öppnar 15 mars.", by=by, now=NOW)
    elif how == "close":
        services.close_item(item, reason="Ett tack.", by=by, now=NOW)
    else:
        services.classify_item(item, triage=PROHIBITED, by=by, now=NOW)
        store_evidence(item, data=png(), by=by, now=NOW)
        services.remove_item(item, note="Borttagen.", by=by, now=NOW)
    item = fresh(item)
    assert not item.is_open
    assert item.taken_by is None
    assert item.taken_at is None
    assert item.holder(NOW, 4) is None


def test_only_a_moderator_takes_and_only_an_open_item(cast: Cast, make_item: Any) -> None:
    item = make_item()
    with pytest.raises(PermissionDenied):
        handling.take_item(item, by=cast["head_of_unit"], now=NOW)
    services.close_item(item, reason="Ett tack.", by=cast["communicator"], now=NOW)
    with pytest.raises(services.ItemNotOpen):
        handling.take_item(item, by=cast["communicator"], now=NOW)
    assert fresh(item).taken_by is None


def test_the_take_view_redirects_to_a_safe_next_only(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["deputy"])
    response = client.post(reverse("moderation:take", args=[item.pk]), {"next": "/moderering/?flag=threat"})
    assert response.status_code == 302
    assert response["Location"] == "/moderering/?flag=threat"
    assert fresh(item).taken_by == cast["deputy"]
    response = client.post(reverse("moderation:release", args=[item.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("moderation:item", args=[item.pk])
    assert fresh(item).taken_by is None


def test_the_queue_and_the_item_page_say_who_handles_it(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    handling.take_item(item, by=cast["deputy"], now=timezone.now())
    client.force_login(cast["communicator"])
    body = in_english(client).get(reverse("moderation:queue")).content.decode()
    row = body.split(f'data-item="{item.pk}"')[1].split("</tr>")[0]
    assert f'data-holder="{cast["deputy"].pk}"' in row
    assert f"Handled by {cast['deputy']} since " in row
    assert "Take over" in row
    page = in_english(client).get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert f"Handled by {cast['deputy']} since " in page
    client.force_login(cast["deputy"])
    page = in_english(client).get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "You are handling this since " in page
    assert "Release" in page


def test_a_take_from_another_day_says_the_day(cast: Cast, make_item: Any) -> None:
    from moderation.templatetags.moderation_tags import taken_since

    item = make_item()
    handling.take_item(item, by=cast["communicator"], now=NOW)  # Thursday 26 November, 10:00
    item = fresh(item)
    assert taken_since(item, NOW + timedelta(hours=2)) == "10:00"
    with translation.override("en"):
        assert taken_since(item, NOW + timedelta(days=1)) == "thu 26 nov 10:00"


# --- Bulk actions ------------------------------------------------------------------------------------------


def bulk(client: Client, items: list[Item], action: str, **extra: Any) -> Any:
    return client.post(
        reverse("moderation:bulk"), {"action": action, "items": [i.pk for i in items], **extra}
    )


def test_bulk_close_asks_once_then_closes_each_item_with_the_reason(
    client: Client, cast: Cast, make_item: Any
) -> None:
    items = [make_item(), make_item()]
    client.force_login(cast["communicator"])
    response = bulk(client, items, "close")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-bulk-confirm="close"' in body
    assert all(f'data-item="{item.pk}"' in body for item in items)
    assert all(fresh(item).is_open for item in items)  # nothing changed before the confirmation

    response = bulk(client, items, "close", confirm="1", **{"bulk-reason": "Tack till oss, inget att svara."})
    assert response.status_code == 302
    for item in items:
        item = fresh(item)
        assert item.status == Item.Status.CLOSED
        assert item.close_reason == "Tack till oss, inget att svara."
        entry = item.log.get(action=LogEntry.Action.CLOSED)
        assert entry.actor == cast["communicator"]


def test_bulk_close_without_a_reason_is_refused_on_the_field(
    client: Client, cast: Cast, make_item: Any
) -> None:
    items = [make_item(), make_item()]
    client.force_login(cast["communicator"])
    response = bulk(client, items, "close", confirm="1", **{"bulk-reason": "  "})
    assert response.status_code == 400
    assert "bulk-reason" in response.content.decode()
    assert "id_bulk-reason_error" in response.content.decode()
    assert all(fresh(item).is_open for item in items)


def test_bulk_take_takes_every_chosen_item(client: Client, cast: Cast, make_item: Any) -> None:
    items = [make_item(), make_item()]
    client.force_login(cast["deputy"])
    assert bulk(client, items, "take").status_code == 200
    assert all(fresh(item).taken_by is None for item in items)
    response = bulk(client, items, "take", confirm="1", next="/moderering/?kind=comment")
    assert response.status_code == 302
    assert response["Location"] == "/moderering/?kind=comment"
    for item in items:
        assert fresh(item).taken_by == cast["deputy"]
        assert actions(item)[-1] == LogEntry.Action.TAKEN


@pytest.mark.parametrize("confirm", [False, True])
def test_bulk_refuses_an_item_the_person_does_not_moderate_and_changes_nothing(
    client: Client, cast: Cast, make_item: Any, make_account: Any, confirm: bool
) -> None:
    mine = make_item()
    theirs = make_item(make_account(owner="other_head", deputies=("outsider",), unit="other"))
    client.force_login(cast["communicator"])
    extra = {"confirm": "1", "bulk-reason": "Inget svar."} if confirm else {}
    assert bulk(client, [mine, theirs], "close", **extra).status_code == 404
    assert bulk(client, [mine, theirs], "take", **extra).status_code == 404
    assert fresh(mine).is_open
    assert fresh(theirs).is_open
    assert fresh(mine).taken_by is None
    assert fresh(theirs).taken_by is None


def test_the_head_of_unit_reads_but_cannot_bulk_close(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["head_of_unit"])
    assert bulk(client, [item], "close", confirm="1", **{"bulk-reason": "x"}).status_code == 404
    assert fresh(item).is_open


def test_bulk_close_of_an_item_closed_meanwhile_changes_nothing(
    client: Client, cast: Cast, make_item: Any
) -> None:
    first, second = make_item(), make_item()
    services.close_item(second, reason="Redan klart.", by=cast["deputy"], now=NOW)
    client.force_login(cast["communicator"])
    response = bulk(client, [first, second], "close", confirm="1", **{"bulk-reason": "Inget svar."})
    assert response.status_code == 409
    assert "data-refused" in response.content.decode()
    assert fresh(first).is_open  # one transaction: the first close was rolled back


def test_bulk_without_items_or_action_goes_back_with_an_error(client: Client, cast: Cast) -> None:
    client.force_login(cast["communicator"])
    too_many = {"action": "take", "items": [str(n) for n in range(work_views.BULK_MOST + 1)]}
    response = in_english(client).post(reverse("moderation:bulk"), too_many, follow=True)
    assert f"Choose at most {work_views.BULK_MOST} items at a time." in response.content.decode()
    assert client.post(reverse("moderation:bulk"), {"action": "close"}).status_code == 302
    assert client.post(reverse("moderation:bulk"), {"action": "delete"}).status_code == 302
    assert client.post(reverse("moderation:bulk"), {"action": "take", "items": "x"}).status_code == 404


# --- Filters -----------------------------------------------------------------------------------------------


def queue_rows(client: Client, **query: Any) -> list[Item]:
    response = client.get(reverse("moderation:queue"), query)
    assert response.status_code == 200
    return list(response.context["page"].rows)


def test_the_queue_filters_by_account_kind_flag_and_overdue(
    client: Client, cast: Cast, make_item: Any, make_account: Any
) -> None:
    other = make_account(name="Fysik")  # the communicator owns this one too
    now = timezone.now()
    plain = make_item()  # long overdue on the real clock
    message = make_item(kind="message")
    threat = make_item(triage=THREAT)
    pile_on = make_item(other, triage=PILE_ON)
    prohibited = make_item(other, triage=PROHIBITED)
    not_due = make_item(received_at=now - timedelta(minutes=1), now=now)
    client.force_login(cast["communicator"])

    assert set(queue_rows(client)) == {plain, message, threat, pile_on, prohibited, not_due}
    assert set(queue_rows(client, account=other.pk)) == {pile_on, prohibited}
    assert set(queue_rows(client, kind="message")) == {message}
    assert set(queue_rows(client, flag="threat")) == {threat}
    assert set(queue_rows(client, flag="pile_on")) == {pile_on}
    assert set(queue_rows(client, flag="prohibited")) == {prohibited}
    assert set(queue_rows(client, flag="any")) == {threat, pile_on, prohibited}
    assert set(queue_rows(client, overdue="on")) == {plain, message, threat, pile_on, prohibited}
    assert set(queue_rows(client, account=other.pk, flag="pile_on")) == {pile_on}


def test_a_filter_value_that_is_not_valid_is_ignored_and_reveals_nothing(
    client: Client, cast: Cast, make_item: Any, make_account: Any
) -> None:
    mine = make_item()
    theirs = make_account(owner="other_head", unit="other")
    make_item(theirs)
    client.force_login(cast["communicator"])
    assert queue_rows(client, account=theirs.pk) == [mine]  # not one of hers: ignored
    assert queue_rows(client, kind="nonsense", flag="x") == [mine]


# --- Severity first ----------------------------------------------------------------------------------------


def test_items_sort_threat_pile_on_prohibited_then_due(client: Client, cast: Cast, make_item: Any) -> None:
    """KAU-THREAT, KAU-DREV, KAU-PROHIBITED: flagged items lead, whatever their due time."""
    oldest = make_item(received_at=NOW - timedelta(days=5))
    prohibited = make_item(triage=PROHIBITED)
    pile_on = make_item(received_at=NOW - timedelta(hours=1), triage=PILE_ON)
    threat = make_item(received_at=NOW - timedelta(minutes=5), triage=THREAT)
    newer = make_item(received_at=NOW - timedelta(minutes=1))
    client.force_login(cast["communicator"])
    assert queue_rows(client) == [threat, pile_on, prohibited, oldest, newer]

    body = in_english(client).get(reverse("moderation:queue")).content.decode()
    row = body.split(f'data-item="{threat.pk}"')[1].split("</tr>")[0]
    assert 'data-severity="threat"' in row
    assert ">Threat</span>" in row
    assert ">Pile-on risk</span>" in body
    assert ">Prohibited content</span>" in body

    inbox = client.get(reverse("moderation:inbox", args=[threat.account_id]))
    assert list(inbox.context["page"].rows)[:3] == [threat, pile_on, prohibited]

    home = in_english(client).get(reverse("core:home")).content.decode()
    assert home.index(f'data-item="{threat.pk}"') < home.index(f'data-item="{oldest.pk}"')
    assert 'data-severity="threat"' in home


def test_a_threat_dealt_with_no_longer_leads_the_inbox(client: Client, cast: Cast, make_item: Any) -> None:
    threat = make_item(received_at=NOW - timedelta(days=2), triage=THREAT)
    newer = make_item()
    services.close_item(threat, reason="Polisanmäld, hanterad.", by=cast["communicator"], now=NOW)
    client.force_login(cast["communicator"])
    rows = list(
        client.get(reverse("moderation:inbox", args=[threat.account_id]), {"status": "all"})
        .context["page"]
        .rows
    )
    assert rows == [newer, threat]


def test_the_alerts_list_puts_threats_first(client: Client, cast: Cast, make_item: Any) -> None:
    """The social media lead's and the head's alerts: a threat (KAU-THREAT) above later criticism."""
    threat = make_item(triage=Triage(threat=True, pile_on_risk=True))
    later = make_item(triage=Triage(pile_on_risk=True), now=NOW + timedelta(hours=1))
    from moderation.selectors import open_alerts_for

    alerts = list(open_alerts_for(cast["social_media_lead"]))
    assert [a.item_id for a in alerts][:1] == [threat.pk]
    assert later.pk in [a.item_id for a in alerts]
    assert Alert.objects.filter(item=threat).exists()
    assert threat.severity == Severity.THREAT


def test_keyset_pages_keep_the_severity_order_with_filters(
    client: Client, cast: Cast, make_item: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [make_item(received_at=NOW - timedelta(hours=n)) for n in range(1, 5)]
    made += [make_item(received_at=NOW - timedelta(hours=n), triage=THREAT) for n in range(1, 4)]
    made += [make_item(received_at=NOW - timedelta(hours=2), triage=PROHIBITED)]
    client.force_login(cast["communicator"])
    expected = sorted(made, key=lambda i: (-int(i.severity), i.due_at, i.pk))
    for query, wanted in (({}, expected), ({"kind": "comment"}, expected)):
        seen: list[Item] = []
        params: dict[str, str] = dict(query)
        for _ in range(10):
            response = client.get(reverse("moderation:queue"), params)
            seen += response.context["page"].rows
            key = response.context["page"].next_key
            if not key:
                break
            params = {**query, "efter": key}
        assert seen == wanted
    # The inbox: open flagged first, then newest first, across its pages.
    seen = []
    params = {}
    for _ in range(10):
        response = client.get(reverse("moderation:inbox", args=[made[0].account_id]), params)
        seen += response.context["page"].rows
        if not response.context["page"].next_key:
            break
        params = {"efter": response.context["page"].next_key}
    assert seen == sorted(made, key=lambda i: (-int(i.severity), -i.received_at.timestamp(), -i.pk))


def test_an_old_two_part_key_still_reads_as_a_position() -> None:
    assert views._parse_key("1700000000000000.12") == (
        0,
        views._EPOCH + timedelta(microseconds=1700000000000000),
        12,
    )
    assert views._parse_key("3.1700000000000000.12")[0] == 3  # type: ignore[index]
    assert views._parse_key("x.y") is None


# --- Query counts ------------------------------------------------------------------------------------------


def count_queries(client: Client, url: str, query: dict[str, str]) -> int:
    client.get(url, query)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("query", [{}, {"flag": "any", "overdue": "on"}, {"kind": "comment"}])
def test_the_queue_reads_the_same_queries_at_one_row_and_at_many(
    client: Client, cast: Cast, make_item: Any, query: dict[str, str]
) -> None:
    """Severity badges, holders and filters cost no query per row."""
    first = make_item(triage=THREAT)
    handling.take_item(first, by=cast["deputy"], now=timezone.now())
    client.force_login(cast["communicator"])
    url = reverse("moderation:queue")
    small = count_queries(client, url, query)
    for n in range(12):
        item = make_item(triage=[THREAT, PILE_ON, PROHIBITED][n % 3])
        handling.take_item(item, by=cast["deputy" if n % 2 else "communicator"], now=timezone.now())
    assert count_queries(client, url, query) == small <= 8
