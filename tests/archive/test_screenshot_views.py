"""The item's screenshot pages, role by role (KAU-DIARY-ACTION, KAU-PUBLIC-RECORD): the date-stamped
copy for those who read the item, the upload and the capture for those who moderate it, and the
section the item page includes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.models import CaptureAttempt, LedgerEntry, Screenshot
from archive.services import store_screenshot
from core.images import MAX_BYTES
from core.models import User
from tests.archive.screenshot_support import (
    NOW,
    account,
    image_bytes,
    make_item,
    media_root,
    nothing_stored,
    stored_files,
)
from tests.conftest import Cast
from tests.support import QuietHandler, in_english, login, serve

__all__ = ["account", "make_item", "media_root"]

pytestmark = pytest.mark.django_db

POST_URL = "https://www.instagram.com/p/abc123/"
READERS = ["communicator", "deputy", "head_of_unit", "dean", "social_media_lead"]
MODERATORS = ["communicator", "deputy"]
HIDDEN = ["outsider", "communications", "registrar", "other_head", "security_officer"]
EVERYONE = ["anonymous", *HIDDEN, *READERS]


def upload(data: bytes | None = None, name: str = "skarm.png") -> dict[str, Any]:
    return {"shot-image": SimpleUploadedFile(name, data or image_bytes("PNG"), content_type="image/png")}


def kept(item: Any, cast: Cast, *, purpose: str = "item", person: str = "communicator") -> Screenshot:
    return store_screenshot(
        item.account,
        data=image_bytes("PNG"),
        purpose=purpose,
        item=item,
        by=cast[person],
        now=NOW,
        source_url=item.url,
    )


def texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The stamped copy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("person", EVERYONE)
def test_the_stamped_copy_is_served_to_those_who_read_the_item(
    client: Client, cast: Cast, make_item: Any, person: str
) -> None:
    """KAU-PUBLIC-RECORD: who reads the item sees its screenshots; nobody else learns they exist."""
    shot = kept(make_item(url=POST_URL), cast)
    login(client, cast, person)
    response = client.get(reverse("archive:stamped", args=[shot.pk]))
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif person in HIDDEN:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline;")
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body.startswith(b"\x89PNG")
        import hashlib

        assert hashlib.sha256(body).hexdigest() == shot.stamped_sha256


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("communicator", 200),
        ("deputy", 200),
        ("head_of_unit", 200),
        ("communications", 200),
        ("social_media_lead", 200),
        ("registrar", 200),
        ("other_head", 404),
        ("security_officer", 404),
        ("outsider", 404),
    ],
)
def test_a_start_page_screenshot_is_seen_by_those_who_see_the_start_pages_kau_startpage(
    client: Client, cast: Cast, account: Any, person: str, expected: int
) -> None:
    """The original and the date-stamped copy behind one gate: the owner and deputies, the head, the
    communications department, the social media lead and the registrar (archive.startpage)."""
    shot = store_screenshot(account, data=image_bytes("PNG"), purpose="startpage", by=None, now=NOW)
    client.force_login(cast[person])
    assert client.get(reverse("archive:stamped", args=[shot.pk])).status_code == expected
    assert client.get(reverse("archive:screenshot", args=[shot.pk])).status_code == expected


def test_the_stamped_copy_is_only_read(client: Client, cast: Cast, make_item: Any) -> None:
    shot = kept(make_item(), cast)
    client.force_login(cast["communicator"])
    assert client.post(reverse("archive:stamped", args=[shot.pk])).status_code == 405


def test_an_unknown_screenshot_is_not_found(client: Client, cast: Cast) -> None:
    client.force_login(cast["social_media_lead"])
    assert client.get(reverse("archive:stamped", args=[999_999])).status_code == 404


# --- Upload --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", EVERYONE)
def test_only_the_owner_and_deputies_upload_a_screenshot_of_the_post_kau_diary_action(
    client: Client, cast: Cast, make_item: Any, media_root: Path, person: str
) -> None:
    item = make_item(url=POST_URL)
    login(client, cast, person)
    response = client.post(reverse("archive:item_screenshot", args=[item.pk]), upload())
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif person in HIDDEN:
        assert response.status_code == 404
    elif person not in MODERATORS:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("moderation:item", args=[item.pk])
        shot = Screenshot.objects.get()
        assert (shot.item, shot.purpose, shot.source) == (item, "item", "upload")
        assert shot.taken_by == cast[person]
        assert shot.source_url == POST_URL
        assert shot.stamped_sha256
        assert LedgerEntry.objects.count() == 2
        return
    assert nothing_stored(media_root)


def test_the_upload_keeps_the_time_it_was_taken(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["deputy"])
    data = {**upload(), "shot-taken_at": "2026-11-26T09:15"}
    assert client.post(reverse("archive:item_screenshot", args=[item.pk]), data).status_code == 302
    from core.calendar import STOCKHOLM

    assert Screenshot.objects.get().taken_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") == (
        "2026-11-26 09:15"
    )


def test_a_refused_image_is_shown_on_the_field_and_nothing_is_stored(
    client: Client, cast: Cast, make_item: Any, media_root: Path
) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    response = in_english(client).post(
        reverse("archive:item_screenshot", args=[item.pk]), upload(b"GIF89a not really", name="x.png")
    )
    assert response.status_code == 400
    assert "image" in response.context["form"].errors
    assert b"Nothing was kept" in response.content
    assert nothing_stored(media_root)


def test_an_upload_without_a_file_is_refused_on_the_field(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    response = client.post(reverse("archive:item_screenshot", args=[item.pk]), {})
    assert response.status_code == 400
    assert "image" in response.context["form"].errors


def test_an_oversized_upload_is_refused_before_it_is_read(
    client: Client, cast: Cast, make_item: Any, media_root: Path
) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    response = client.post(
        reverse("archive:item_screenshot", args=[item.pk]), upload(), CONTENT_LENGTH=str(MAX_BYTES * 2)
    )
    assert response.status_code == 413
    assert "image" in response.context["form"].errors
    assert nothing_stored(media_root)


def test_the_upload_is_a_post(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    assert client.get(reverse("archive:item_screenshot", args=[item.pk])).status_code == 405


def test_an_upload_without_a_csrf_token_stores_nothing(cast: Cast, make_item: Any, media_root: Path) -> None:
    item = make_item()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    response = browser.post(reverse("archive:item_screenshot", args=[item.pk]), upload())
    assert response.status_code == 403
    assert nothing_stored(media_root)
    # With the token from the item page, the same upload is kept.
    browser.get(reverse("moderation:item", args=[item.pk]))
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = browser.post(
        reverse("archive:item_screenshot", args=[item.pk]), {**upload(), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Screenshot.objects.count() == 1


# --- Capture -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["anonymous", *HIDDEN, "head_of_unit", "social_media_lead"])
def test_only_the_owner_and_deputies_capture(client: Client, cast: Cast, make_item: Any, person: str) -> None:
    item = make_item(url=POST_URL)
    login(client, cast, person)
    response = client.post(reverse("archive:item_capture", args=[item.pk]))
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == (404 if person in HIDDEN else 403)
    assert not CaptureAttempt.objects.exists()


def test_an_item_without_an_address_is_not_captured(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    response = in_english(client).post(reverse("archive:item_capture", args=[item.pk]))
    assert response.status_code == 302
    assert "no address" in texts(response)[0]
    assert not CaptureAttempt.objects.exists()


def test_a_capture_without_a_csrf_token_is_refused(cast: Cast, make_item: Any) -> None:
    item = make_item(url=POST_URL)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    assert browser.post(reverse("archive:item_capture", args=[item.pk])).status_code == 403
    assert browser.get(reverse("archive:item_capture", args=[item.pk])).status_code == 405
    assert not CaptureAttempt.objects.exists()


class _Page(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = "<!doctype html><meta charset=utf-8><title>Inlägg</title><p>Välkommen till kontot</p>".encode()
        self.send_html(200 if self.path == "/inlagg" else 404, body)


@pytest.fixture
def post_site(settings: Any) -> Iterator[str]:
    # The page is on 127.0.0.1, which a capture reaches only because the test setting allows it.
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
    with serve(_Page) as url:
        yield url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "outcome"), [("/inlagg", "captured"), ("/borta", "failed")])
def test_the_deputy_captures_the_post_and_hears_how_it_went(
    client: Client, cast: Cast, make_item: Any, post_site: str, path: str, outcome: str
) -> None:
    item = make_item(url=f"{post_site}{path}")
    client.force_login(cast["deputy"])
    response = in_english(client).post(reverse("archive:item_capture", args=[item.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:item", args=[item.pk])
    attempt = CaptureAttempt.objects.get()
    assert (attempt.outcome, attempt.item, attempt.requested_by) == (outcome, item, cast["deputy"])
    [message] = texts(response)
    if outcome == "captured":
        assert "captured and kept" in message
        assert Screenshot.objects.get().source == "capture"
    else:
        assert "HTTP status 404" in message
        assert not Screenshot.objects.exists()


# --- The section on the item page ----------------------------------------------------------------------


def render_section(item: Any, cast: Cast, *, can_moderate: bool, user: Any = None) -> str:
    request = RequestFactory().get("/")
    request.user = user or cast["communicator"]
    return render_to_string(
        "archive/includes/item_screenshots.html",
        {"item": item, "can_moderate": can_moderate},
        request=request,
    )


def test_the_section_lists_the_screenshots_and_offers_upload_and_capture_to_moderators(
    cast: Cast, make_item: Any
) -> None:
    item = make_item(url=POST_URL)
    first = kept(item, cast)
    evidence = kept(item, cast, purpose="evidence", person="deputy")
    html = render_section(item, cast, can_moderate=True)
    assert f'data-screenshot="{first.pk}"' in html
    assert f'data-screenshot="{evidence.pk}"' in html
    assert reverse("archive:stamped", args=[first.pk]) in html
    assert first.sha256[:16] in html
    assert reverse("archive:item_screenshot", args=[item.pk]) in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="shot-image"' in html
    assert reverse("archive:item_capture", args=[item.pk]) in html
    assert "csrfmiddlewaretoken" in html


def test_the_section_offers_no_forms_to_readers_and_no_capture_without_an_address(
    cast: Cast, make_item: Any
) -> None:
    item = make_item()
    kept(item, cast)
    reader = render_section(item, cast, can_moderate=False)
    assert "data-screenshot=" in reader
    assert "<form" not in reader
    moderator = render_section(item, cast, can_moderate=True)
    assert reverse("archive:item_screenshot", args=[item.pk]) in moderator
    assert reverse("archive:item_capture", args=[item.pk]) not in moderator


def test_start_page_screenshots_are_not_listed_on_the_item(cast: Cast, make_item: Any, account: Any) -> None:
    item = make_item()
    store_screenshot(account, data=image_bytes("PNG"), purpose="startpage", by=None, now=NOW)
    assert "data-screenshot=" not in render_section(item, cast, can_moderate=False)


def test_the_section_costs_the_same_queries_however_many_screenshots(cast: Cast, make_item: Any) -> None:
    """One query for the screenshots and their takers, at one and at four screenshots (the rest
    are the page's context processors, the same for every page)."""
    counts = []
    for count in (1, 4):
        item = make_item()
        for _number in range(count):
            kept(item, cast)
        user = User.objects.get(pk=cast["communicator"].pk)  # fresh: no roles cached from before
        with CaptureQueriesContext(connection) as queries:
            html = render_section(item, cast, can_moderate=False, user=user)
        assert html.count("data-screenshot=") == count
        counts.append(len(queries))
        assert sum("archive_screenshot" in query["sql"] for query in queries.captured_queries) == 1
    assert counts[0] == counts[1]


def test_files_on_disk_match_what_the_section_shows(cast: Cast, make_item: Any, media_root: Path) -> None:
    item = make_item()
    shot = kept(item, cast)
    assert {path.relative_to(media_root).as_posix() for path in stored_files(media_root)} == {
        shot.image.name,
        shot.stamped.name,
    }
