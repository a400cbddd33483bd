"""The moderation pages with the Django test client: "my queue", the inbox, logging by hand, the item
page, every action, the evidence image and acknowledging alerts, for every role.

Anonymous visitors are sent to sign in; an item or inbox a person may not see is 404; a reader who
may not act is 403; bad input is 400 with the field named and nothing changed. The clock is fixed at
the moderation tests' NOW (a Thursday, 10:00 in Stockholm), so no test depends on today.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.models import Screenshot
from archive.services import store_evidence
from moderation.models import Alert, Item, LogEntry
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import PEOPLE, in_english, login, png

pytestmark = pytest.mark.usefixtures("fixed_clock", "media_root")

HIDDEN = {"outsider", "communications", "registrar", "other_head", "security_officer"}
READERS = {"head_of_unit", "dean", "social_media_lead"}  # KAU-RESP-MANAGER; the lead reads all
MODERATORS = {"communicator", "deputy"}  # KAU-RESP-OWNER


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def state_of(item: Item) -> tuple[Any, ...]:
    fresh = Item.objects.get(pk=item.pk)
    return (
        Item.objects.count(),
        LogEntry.objects.count(),
        Alert.objects.count(),
        Screenshot.objects.count(),
        fresh.status,
        fresh.classification,
        fresh.prohibited,
        fresh.threat,
        fresh.requires_registration,
        fresh.answer,
        fresh.close_reason,
        fresh.evidence_id,
        fresh.handled_at,
    )


def field_errors(response: Any, form: str) -> dict[str, Any]:
    return dict(response.context[form].errors)


# --- Who may do what ------------------------------------------------------------------------------------

ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    # action: (url name, valid POST data)
    "classify": ("moderation:classify", {"triage-classification": "question"}),
    "answer": ("moderation:answer", {"answer-answer": "Anmälan öppnar 15 mars."}),
    "close": ("moderation:close", {"close-reason": "Spam."}),
    "escalate": ("moderation:escalate", {"escalate-target": "head", "escalate-note": "Svår fråga."}),
    "remove": ("moderation:remove", {"remove-note": "Borttaget."}),
}


@pytest.mark.parametrize("person", PEOPLE)
def test_item_page_inbox_and_log_form_by_role(
    client: Client, cast: Cast, make_item: Any, person: str
) -> None:
    """Owner and deputies moderate; heads above and the social media lead read; nobody else sees that
    the item or the inbox exists."""
    item = make_item()
    login(client, cast, person)
    pages = {
        "item": reverse("moderation:item", args=[item.pk]),
        "inbox": reverse("moderation:inbox", args=[item.account_id]),
        "create": reverse("moderation:item_create", args=[item.account_id]),
        "queue": reverse("moderation:queue"),
    }
    for page, url in pages.items():
        response = client.get(url)
        if person == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
            continue
        if page == "queue":
            expected = 200
        elif person in HIDDEN:
            expected = 404
        elif page == "create":
            expected = 200 if person in MODERATORS else 403
        else:
            expected = 200
        assert response.status_code == expected, (page, response.status_code)
        if page == "item" and expected == 200:
            # Readers see no forms (the item page offers actions only to moderators).
            assert response.context["can_moderate"] is (person in MODERATORS)
            assert (b'data-action="answer"' in response.content) is (person in MODERATORS)


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_by_role(
    client: Client, cast: Cast, make_item: Any, media_root: Path, action: str, person: str
) -> None:
    """Anonymous → sign in; not visible → 404; readers (head of unit, dean, social media lead) → 403
    and nothing changes; the owner and the deputy act."""
    item = make_item()
    if action == "remove":  # KAU-PROHIBITED-EVIDENCE: a category and a screenshot come first
        from moderation import services

        services.classify_item(item, triage=services.Triage(prohibited=[3]), by=cast["communicator"], now=NOW)
        store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    before = state_of(item)
    url_name, data = ACTIONS[action]
    login(client, cast, person)
    response = client.post(reverse(url_name, args=[item.pk]), data)
    if person == "anonymous":
        expected = 302
    elif person in HIDDEN:
        expected = 404
    elif person in READERS:
        expected = 403
    else:
        expected = 302
    assert response.status_code == expected, response.content[:400]
    if person not in MODERATORS:
        if person == "anonymous":
            assert response["Location"].startswith(reverse("login"))
        assert state_of(item) == before
        return
    assert response["Location"] == reverse("moderation:item", args=[item.pk])
    fresh = Item.objects.get(pk=item.pk)
    last = fresh.log.order_by("-at", "-pk").first()
    assert last is not None
    assert last.actor == cast[person]
    expected_status = {"answer": "answered", "close": "closed", "remove": "removed"}.get(action, "open")
    assert fresh.status == expected_status
    if action == "answer":
        assert fresh.answer == "Anmälan öppnar 15 mars."
        assert fresh.handled_by == cast[person]
    if action == "escalate":
        assert fresh.alerts.filter(kind="escalation", target="head", created_by=cast[person]).exists()


def test_the_security_officer_reads_a_threat_but_not_a_plain_item_and_cannot_act(
    client: Client, cast: Cast, make_item: Any
) -> None:
    """KAU-THREAT: the security officer reads the items flagged as threats, and only those."""
    from moderation.services import Triage

    threat = make_item(triage=Triage(threat=True))
    plain = make_item()
    client.force_login(cast["security_officer"])
    assert client.get(reverse("moderation:item", args=[threat.pk])).status_code == 200
    assert client.get(reverse("moderation:item", args=[plain.pk])).status_code == 404
    assert client.get(reverse("moderation:inbox", args=[threat.account_id])).status_code == 404
    before = state_of(threat)
    answer = client.post(reverse("moderation:answer", args=[threat.pk]), {"answer-answer": "Nej."})
    assert answer.status_code == 403
    assert state_of(threat) == before


# --- My queue -------------------------------------------------------------------------------------------


def test_my_queue_puts_the_overdue_item_first_marked_with_the_working_time(
    client: Client, cast: Cast, make_item: Any, make_account: Any
) -> None:
    """KAU-RESPONSE-DEADLINE: across every account the person owns or deputises, earliest due first;
    overdue is marked in words, and the time left is in working hours."""
    fresh = make_item(text="Färsk fråga")
    # Monday 10:00 → due Tuesday 10:00: two working days overdue at Thursday 10:00.
    overdue = make_item(text="Gammal fråga", received_at=NOW - timedelta(days=3))
    other_account = make_account(owner="deputy", deputies=("communicator",))
    deputised = make_item(other_account, text="Fråga på kontot där jag är ersättare")
    elsewhere = make_item(make_account(owner="other_head", deputies=("outsider",), unit="other"))
    answered = make_item(text="Redan besvarad")
    from moderation.services import answer_item

    answer_item(answered, answer="Svar.", by=cast["communicator"], now=NOW)

    client.force_login(cast["communicator"])
    response = in_english(client).get(reverse("moderation:queue"))
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert rows[0] == overdue
    assert set(rows) == {fresh, overdue, deputised}
    assert elsewhere not in rows
    assert answered not in rows
    body = response.content.decode()
    first_row = body.split(f'data-item="{overdue.pk}"')[1].split("</tr>")[0]
    assert "data-overdue" in first_row
    # Due Tuesday 10:00, now Thursday 10:00: 48 working hours overdue, said once.
    assert first_row.count("badge--late") == 1
    assert "2 working days late" in first_row
    fresh_row = body.split(f'data-item="{fresh.pk}"')[1].split("</tr>")[0]
    # Received Thursday 08:00 → due Friday 08:00: 22 working hours left, within a working day.
    assert 'data-hours-left="22.0"' in fresh_row
    assert "answer within 1 working day · <time" in fresh_row
    assert ">fri 27 nov 08:00</time>" in fresh_row
    assert reverse("moderation:item", args=[overdue.pk]) in first_row


def test_the_queue_counts_time_left_on_the_institutions_calendar(
    client: Client, cast: Cast, make_item: Any
) -> None:
    """A day the institution closes does not count as working time (KAU-RESPONSE-DEADLINE)."""
    from core.models import InstitutionSettings

    item = make_item()  # Thursday 08:00 → due Friday 08:00
    settings_row = InstitutionSettings.objects.get_solo()
    settings_row.extra_days_off = ["2026-11-26"]
    settings_row.save()
    client.force_login(cast["communicator"])
    body = in_english(client).get(reverse("moderation:queue")).content.decode()
    row = body.split(f'data-item="{item.pk}"')[1].split("</tr>")[0]
    assert 'data-hours-left="8.0"' in row  # Thursday is closed: only Friday 00:00–08:00 counts


def bulk_items(account: Any, count: int, *, start: int = 0, handled: bool = False) -> list[Item]:
    """``count`` items written in one statement (the page's query count is the point here)."""
    items = []
    for number in range(start, start + count):
        received = NOW - timedelta(hours=2, minutes=number)
        items.append(
            Item(
                account=account,
                kind="comment",
                author=f"@massa{number}",
                text=f"Massfråga {number}",
                received_at=received,
                due_at=received + timedelta(days=1),
                limit_at=received + timedelta(days=2),
                status="answered" if handled else "open",
                handled_at=NOW if handled else None,
                answer="Svar." if handled else "",
            )
        )
    return Item.objects.bulk_create(items)


def queries(client: Client, url: str) -> tuple[int, Any]:
    client.get(url)  # warm the session, the settings row and the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


@pytest.mark.parametrize("person", ["communicator", "deputy"])
def test_the_queue_costs_the_same_queries_for_1_and_35_items(
    client: Client, cast: Cast, account: Any, person: str
) -> None:
    url = reverse("moderation:queue")
    client.force_login(cast[person])
    bulk_items(account, 1)
    small, response = queries(client, url)
    assert len(response.context["page"].rows) == 1
    bulk_items(account, 34, start=1)
    large, response = queries(client, url)
    assert len(response.context["page"].rows) == 35
    assert large == small, (small, large)
    assert small <= 7, small  # session, person, roles, items, calendar, accounts


@pytest.mark.parametrize("person", ["communicator", "head_of_unit", "social_media_lead"])
@pytest.mark.parametrize("query", ["", "?status=all&q=mass", "?status=done"])
def test_the_inbox_costs_the_same_queries_for_1_and_35_items(
    client: Client, cast: Cast, account: Any, person: str, query: str
) -> None:
    url = reverse("moderation:inbox", args=[account.pk]) + query
    client.force_login(cast[person])
    handled = query == "?status=done"
    bulk_items(account, 1, handled=handled)
    small, response = queries(client, url)
    assert len(response.context["page"].rows) == 1
    bulk_items(account, 34, start=1, handled=handled)
    large, response = queries(client, url)
    assert len(response.context["page"].rows) == 35
    assert large == small, (small, large)
    assert small <= 10, small


def test_the_queue_pages_by_key_to_the_second_page(client: Client, cast: Cast, account: Any) -> None:
    """Keyset paging on (due_at, id): 50 a page, the next link carries the last row's key, no row twice."""
    bulk_items(account, 60)
    client.force_login(cast["communicator"])
    first = client.get(reverse("moderation:queue"))
    page = first.context["page"]
    assert len(page.rows) == 50
    assert page.next_key
    assert b"data-next-page" in first.content
    second = client.get(reverse("moderation:queue"), {"efter": page.next_key})
    rest = second.context["page"]
    assert len(rest.rows) == 10
    assert not rest.next_key
    assert not rest.is_first
    ordered = list(Item.objects.unanswered().order_by("due_at", "pk"))
    assert page.rows + rest.rows == ordered
    # A key that is not one shows the first page.
    assert client.get(reverse("moderation:queue"), {"efter": "x.y"}).context["page"].is_first


def test_the_inbox_pages_by_key_newest_first_and_filters(client: Client, cast: Cast, account: Any) -> None:
    bulk_items(account, 55)
    bulk_items(account, 3, start=100, handled=True)
    client.force_login(cast["head_of_unit"])
    url = reverse("moderation:inbox", args=[account.pk])
    first = client.get(url, {"status": "all"}).context["page"]
    assert len(first.rows) == 50
    assert first.next_key
    second = client.get(url, {"status": "all", "efter": first.next_key}).context["page"]
    assert len(second.rows) == 8
    assert first.rows + second.rows == list(Item.objects.order_by("-received_at", "-pk"))
    assert len(client.get(url).context["page"].rows) == 50  # open by default
    assert {i.author for i in client.get(url, {"status": "done"}).context["page"].rows} == {
        "@massa100",
        "@massa101",
        "@massa102",
    }
    found = client.get(url, {"status": "all", "q": "Massfråga 7"}).context["page"].rows
    assert {i.text for i in found} == {"Massfråga 7"}


# --- Logging an item by hand ---------------------------------------------------------------------------


def create_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "comment",
        "author": "@elin",
        "text": "När öppnar anmälan?",
        "url": "https://www.instagram.com/p/abc/",
        "platform_id": "ig-1",
        "received_at": "2026-11-26T08:30",
    }
    data.update(overrides)
    return data


def test_the_owner_logs_an_item_received_at_stockholm_time(client: Client, cast: Cast, account: Any) -> None:
    client.force_login(cast["communicator"])
    url = reverse("moderation:item_create", args=[account.pk])
    form = client.get(url).context["form"]
    assert form["received_at"].value().strftime("%Y-%m-%dT%H:%M") == "2026-11-26T10:00"  # now, Stockholm
    response = client.post(url, create_data())
    item = Item.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:item", args=[item.pk])
    # 08:30 on the Stockholm wall clock is 07:30 UTC in November.
    assert item.received_at == NOW.replace(hour=8, minute=30)
    assert item.logged_by == cast["communicator"]
    assert item.source == "form"
    assert item.log.get().action == "logged"


def test_logging_with_triage_at_once_routes_a_threat(client: Client, cast: Cast, account: Any) -> None:
    """KAU-THREAT: a threat flagged when the item is logged reaches the security officer at once."""
    client.force_login(cast["deputy"])
    response = client.post(
        reverse("moderation:item_create", args=[account.pk]),
        create_data(classification="criticism", prohibited=["4"], threat="on", requires_registration="on"),
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert item.threat
    assert item.prohibited == [4]
    assert item.requires_registration
    assert item.alerts.filter(kind="threat", target="security").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"author": ""}, "author"),
        ({"text": ""}, "text"),
        ({"kind": "tweet"}, "kind"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"received_at": "i går"}, "received_at"),
        ({"received_at": "2026-11-27T10:00"}, "received_at"),  # the future (the service refuses it)
        ({"classification": "rant"}, "classification"),
        ({"prohibited": ["9"]}, "prohibited"),
    ],
)
def test_logging_bad_input_is_400_on_the_field_and_stores_nothing(
    client: Client, cast: Cast, account: Any, overrides: dict[str, Any], field: str
) -> None:
    client.force_login(cast["communicator"])
    response = client.post(reverse("moderation:item_create", args=[account.pk]), create_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in response.content.decode() or field == "prohibited"
    assert not Item.objects.exists()
    assert not LogEntry.objects.exists()


def test_a_platform_id_logged_twice_is_refused_on_that_field(
    client: Client, cast: Cast, account: Any
) -> None:
    client.force_login(cast["communicator"])
    url = reverse("moderation:item_create", args=[account.pk])
    assert client.post(url, create_data()).status_code == 302
    response = client.post(url, create_data(text="Samma id igen"))
    assert response.status_code == 400
    assert "platform_id" in response.context["form"].errors
    assert Item.objects.count() == 1


# --- The item page -------------------------------------------------------------------------------------


def test_the_item_page_shows_the_item_its_triage_and_the_full_log_in_words(
    client: Client, cast: Cast, make_item: Any
) -> None:
    from moderation import services

    item = make_item(url="https://www.instagram.com/p/xyz/", received_at=NOW - timedelta(days=3))
    services.classify_item(
        item,
        triage=services.Triage(classification="criticism", threat=True, requires_registration=True),
        by=cast["deputy"],
        now=NOW,
        note="Hotfullt.",
    )
    services.answer_item(item, answer="Vi tar det på allvar.", by=cast["communicator"], now=NOW)
    client.force_login(cast["head_of_unit"])
    response = in_english(client).get(reverse("moderation:item", args=[item.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="https://www.instagram.com/p/xyz/" rel="noopener noreferrer"' in body
    log = response.context["log"]
    assert [entry.action for entry, _changes in log] == [
        "logged",
        "classified",
        "routed",
        "routed",
        "answered",
    ]
    classified = next(changes for entry, changes in log if entry.action == "classified")
    assert {"label": "Classification", "old": "–", "new": "Criticism"} in classified
    assert {"label": "Threat", "old": "no", "new": "yes"} in classified
    answered = next(changes for entry, changes in log if entry.action == "answered")
    assert {"label": "Status", "old": "Open", "new": "Answered"} in answered
    assert "Hotfullt." in body
    assert "Vi tar det på allvar." in body
    # The alerts the item sent: the threat (KAU-THREAT) and the criticism (KAU-RESPONSE-CRITICISM).
    assert {a.kind for a in response.context["alerts"]} == {"threat", "criticism"}
    assert b'data-action="' not in response.content  # a reader sees no forms


def test_the_registration_box_is_proposed_for_criticism(client: Client, cast: Cast, make_item: Any) -> None:
    """KAU-DIARY-ACTION: criticism and prohibited content propose "requires registration"."""
    from moderation import services

    plain = make_item()
    critical = make_item()
    services.classify_item(
        critical, triage=services.Triage(classification="criticism"), by=cast["deputy"], now=NOW
    )
    client.force_login(cast["communicator"])
    proposed = client.get(reverse("moderation:item", args=[critical.pk])).context["triage_form"]
    assert proposed["requires_registration"].value() is True
    not_proposed = client.get(reverse("moderation:item", args=[plain.pk])).context["triage_form"]
    assert not not_proposed["requires_registration"].value()


# --- Bad input on the actions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "form", "field"),
    [
        ("classify", {"triage-classification": "rant"}, "triage_form", "classification"),
        ("classify", {"triage-prohibited": ["7"]}, "triage_form", "prohibited"),
        ("answer", {"answer-answer": "  "}, "answer_form", "answer"),
        (
            "answer",
            {"answer-answer": "Svar", "answer-answered_at": "2026-11-20T10:00"},
            "answer_form",
            "answered_at",
        ),
        (
            "answer",
            {"answer-answer": "Svar", "answer-answered_at": "2026-11-27T10:00"},
            "answer_form",
            "answered_at",
        ),
        ("close", {"close-reason": ""}, "close_form", "reason"),
        ("escalate", {"escalate-target": "owners", "escalate-note": "x"}, "escalate_form", "target"),
        ("escalate", {"escalate-target": "head", "escalate-note": " "}, "escalate_form", "note"),
    ],
)
def test_bad_input_on_an_action_is_400_on_the_field_and_changes_nothing(
    client: Client, cast: Cast, make_item: Any, action: str, data: dict[str, Any], form: str, field: str
) -> None:
    item = make_item()
    before = state_of(item)
    client.force_login(cast["communicator"])
    url_name = ACTIONS[action][0]
    response = client.post(reverse(url_name, args=[item.pk]), data)
    assert response.status_code == 400
    assert field in field_errors(response, form)
    assert state_of(item) == before


def test_an_item_already_answered_is_409_and_keeps_its_answer(
    client: Client, cast: Cast, make_item: Any
) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    url = reverse("moderation:answer", args=[item.pk])
    assert client.post(url, {"answer-answer": "Första svaret."}).status_code == 302
    before = state_of(item)
    response = client.post(url, {"answer-answer": "Andra svaret."})
    assert response.status_code == 409
    assert state_of(item) == before
    assert client.post(reverse("moderation:close", args=[item.pk]), {"close-reason": "x"}).status_code == 409


def test_answering_takes_the_item_out_of_the_queue(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["deputy"])
    assert item in client.get(reverse("moderation:queue")).context["page"].rows
    client.post(reverse("moderation:answer", args=[item.pk]), {"answer-answer": "Svar."})
    assert item not in client.get(reverse("moderation:queue")).context["page"].rows


# --- Evidence and removal (KAU-PROHIBITED-EVIDENCE) --------------------------------------------------------


def flag_prohibited(item: Item, cast: Cast) -> None:
    from moderation import services

    services.classify_item(item, triage=services.Triage(prohibited=[3]), by=cast["communicator"], now=NOW)


def test_removal_is_refused_without_evidence_kau_prohibited_evidence(
    client: Client, cast: Cast, make_item: Any
) -> None:
    """KAU-PROHIBITED-EVIDENCE: nothing is removed before its screenshot is kept; the refusal is
    shown at the screenshot field."""
    item = make_item()
    flag_prohibited(item, cast)
    before = state_of(item)
    client.force_login(cast["communicator"])
    response = client.post(reverse("moderation:remove", args=[item.pk]), {"remove-note": ""})
    assert response.status_code == 400
    assert "image" in field_errors(response, "evidence_form")
    assert "KAU-PROHIBITED-EVIDENCE" in str(response.context["remove_form"].non_field_errors())
    assert state_of(item) == before


def test_removal_is_refused_for_content_not_marked_prohibited(
    client: Client, cast: Cast, make_item: Any
) -> None:
    item = make_item()
    before = state_of(item)
    client.force_login(cast["communicator"])
    response = client.post(reverse("moderation:remove", args=[item.pk]), {"remove-note": ""})
    assert response.status_code == 400
    assert "prohibited" in field_errors(response, "triage_form")
    assert state_of(item) == before


def test_a_real_png_is_kept_as_evidence_and_then_the_item_is_removed(
    client: Client, cast: Cast, make_item: Any, media_root: Path
) -> None:
    """KAU-PROHIBITED-EVIDENCE: the screenshot first, then the removal."""
    item = make_item()
    flag_prohibited(item, cast)
    client.force_login(cast["deputy"])
    upload = SimpleUploadedFile("skarm.png", png(), content_type="image/png")
    response = client.post(reverse("archive:item_evidence", args=[item.pk]), {"evidence-image": upload})
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    assert Item.objects.get(pk=item.pk).evidence == shot
    assert shot.content_type == "image/png"
    assert shot.taken_by == cast["deputy"]
    assert shot.purpose == "evidence"
    assert len(stored_files(media_root)) == 2  # the original and its date-stamped copy
    response = client.post(reverse("moderation:remove", args=[item.pk]), {"remove-note": "Borta."})
    assert response.status_code == 302
    assert Item.objects.get(pk=item.pk).status == "removed"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "x.jpg"),
        (b"<html><script>alert(1)</script></html>", "bild.png"),
        (b"", "tom.png"),
        (png()[:60], "trasig.png"),
    ],
)
def test_an_upload_that_is_not_an_image_is_400_and_stores_nothing(
    client: Client, cast: Cast, make_item: Any, media_root: Path, data: bytes, name: str
) -> None:
    item = make_item()
    before = state_of(item)
    client.force_login(cast["communicator"])
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = client.post(reverse("archive:item_evidence", args=[item.pk]), {"evidence-image": upload})
    assert response.status_code == 400
    assert "image" in field_errors(response, "evidence_form")
    assert state_of(item) == before
    assert not Screenshot.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversized_upload_is_refused_before_it_is_read(
    client: Client, cast: Cast, make_item: Any, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import uploads

    monkeypatch.setattr(uploads, "UPLOAD_LIMIT", 1024)
    item = make_item()
    before = state_of(item)
    client.force_login(cast["communicator"])
    upload = SimpleUploadedFile("stor.png", png((400, 400)), content_type="image/png")
    response = client.post(reverse("archive:item_evidence", args=[item.pk]), {"evidence-image": upload})
    assert response.status_code == 413
    assert "image" in field_errors(response, "evidence_form")
    assert state_of(item) == before
    assert stored_files(media_root) == []


@pytest.mark.parametrize("person", PEOPLE)
def test_the_evidence_image_is_served_only_to_those_who_see_the_item(
    client: Client, cast: Cast, make_item: Any, person: str
) -> None:

    item = make_item()
    shot = store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    login(client, cast, person)
    response = client.get(reverse("archive:screenshot", args=[shot.pk]))
    if person == "anonymous":
        assert response.status_code == 302
        return
    if person in HIDDEN:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert response.getvalue().startswith(b"\x89PNG")


def test_the_security_officer_sees_the_evidence_of_a_threat(
    client: Client, cast: Cast, make_item: Any
) -> None:
    from moderation import services

    item = make_item(triage=services.Triage(threat=True))
    shot = store_evidence(item, data=png(), by=cast["communicator"], now=NOW)
    client.force_login(cast["security_officer"])
    assert client.get(reverse("archive:screenshot", args=[shot.pk])).status_code == 200


# --- CSRF ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_action_without_a_csrf_token_is_refused(cast: Cast, make_item: Any, action: str) -> None:
    item = make_item()
    flag_prohibited(item, cast)
    before = state_of(item)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    url_name, data = ACTIONS[action]
    assert browser.post(reverse(url_name, args=[item.pk]), data).status_code == 403
    assert state_of(item) == before


def test_an_evidence_upload_without_a_csrf_token_stores_nothing(
    cast: Cast, make_item: Any, media_root: Path
) -> None:
    item = make_item()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    upload = SimpleUploadedFile("skarm.png", png(), content_type="image/png")
    assert (
        browser.post(reverse("archive:item_evidence", args=[item.pk]), {"evidence-image": upload}).status_code
        == 403
    )
    assert not Screenshot.objects.exists()
    assert stored_files(media_root) == []


def test_logging_without_a_csrf_token_stores_nothing(cast: Cast, account: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    assert (
        browser.post(reverse("moderation:item_create", args=[account.pk]), create_data()).status_code == 403
    )
    assert not Item.objects.exists()


# --- Alerts on the start page ------------------------------------------------------------------------------


def test_a_threat_reaches_the_security_officers_start_page_kau_threat(
    client: Client, cast: Cast, make_item: Any
) -> None:
    from moderation.services import Triage

    item = make_item(text="Ett hot mot en föreläsare", triage=Triage(threat=True))
    client.force_login(cast["security_officer"])
    response = client.get(reverse("core:home"))
    body = response.content.decode()
    assert 'id="todo-alerts"' in body
    assert "Ett hot mot en föreläsare" in body
    assert reverse("moderation:item", args=[item.pk]) in body
    assert reverse("moderation:alert_acknowledge", args=[item.alerts.get().pk]) in body


@pytest.mark.parametrize("person", PEOPLE)
def test_only_someone_the_alert_reached_acknowledges_it(
    client: Client, cast: Cast, make_item: Any, person: str
) -> None:
    from moderation.services import Triage

    item = make_item(triage=Triage(threat=True))
    alert = item.alerts.get()
    login(client, cast, person)
    response = client.post(reverse("moderation:alert_acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif person == "security_officer":
        assert response.status_code == 302
        assert response["Location"] == reverse("core:home")
        assert alert.acknowledged_by == cast["security_officer"]
        assert alert.acknowledged_at == NOW
        assert item.log.filter(action="acknowledged", actor=cast["security_officer"]).exists()
        return
    else:
        assert response.status_code == 404
    assert alert.acknowledged_at is None


def test_an_acknowledged_alert_leaves_the_start_page_and_a_second_acknowledgement_is_404(
    client: Client, cast: Cast, make_item: Any
) -> None:
    from moderation.services import Triage

    item = make_item(text="Kritik mot institutionen", triage=Triage(classification="criticism"))
    alert = item.alerts.get(kind="criticism")
    client.force_login(cast["head_of_unit"])
    assert "Kritik mot institutionen" in client.get(reverse("core:home")).content.decode()
    url = reverse("moderation:alert_acknowledge", args=[alert.pk])
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == reverse("core:home")
    assert "Kritik mot institutionen" not in client.get(reverse("core:home")).content.decode()
    assert client.post(url).status_code == 404


def test_acknowledging_needs_a_post_and_a_csrf_token(cast: Cast, make_item: Any) -> None:
    from moderation.services import Triage

    alert = make_item(triage=Triage(threat=True)).alerts.get()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["security_officer"])
    url = reverse("moderation:alert_acknowledge", args=[alert.pk])
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


# --- The start page and the account page ------------------------------------------------------------------


def test_the_start_page_links_each_item_and_shows_its_time_left(
    client: Client, cast: Cast, make_item: Any
) -> None:
    item = make_item(received_at=NOW - timedelta(days=3))
    client.force_login(cast["communicator"])
    body = in_english(client).get(reverse("core:home")).content.decode()
    row = body.split(f'data-item="{item.pk}"')[1].split("</tr>")[0]
    assert reverse("moderation:item", args=[item.pk]) in row
    assert "2 working days late" in row


@pytest.mark.parametrize(
    ("person", "shown"),
    [("communicator", True), ("head_of_unit", True), ("social_media_lead", True), ("communications", False)],
)
def test_the_account_page_links_to_the_inbox_for_those_who_read_it(
    client: Client, cast: Cast, account: Any, person: str, shown: bool
) -> None:
    client.force_login(cast[person])
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 200
    assert (reverse("moderation:inbox", args=[account.pk]) in response.content.decode()) is shown


def test_long_delays_read_in_working_days() -> None:
    """KAU-RESPONSE-DEADLINE: every hour of a working day counts, so 24 working hours are one working day."""
    from django.utils import translation

    from moderation.templatetags.moderation_tags import duration

    with translation.override("en"):
        assert duration(0.5) == "30 min"
        assert duration(48) == "48 h"
        assert duration(72) == "3 working days"
        assert duration(2712.7) == "113 working days"
        assert duration(75.5) == "3 working days 3 h"
