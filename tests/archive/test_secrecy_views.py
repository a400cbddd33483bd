"""The secrecy review's pages (KAU-PUBLIC-RECORD) against every role: the list, opening a review from a
search, the review with its mark controls, marking and removing, the release page, the download and the
review's screenshots.

Anonymous visitors are sent to sign in; the list and the opening page are the registrar's and the social
media lead's (403 for anyone else); a review, its release and its screenshots are not found (404) for
anyone else. Bad input answers 400 with the field named and changes nothing. The list and the review
page take the same number of queries for few records or many.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive import secrecy
from archive.models import Release, SecrecyMark, SecrecyReview
from tests.archive.secrecy_support import (
    NOW,
    REVIEWERS,
    Archive,
    account,
    archive,
    make_item,
    media_root,
    open_review,
    review,
)
from tests.conftest import Cast
from tests.support import PEOPLE, assert_answer, in_english, login

pytestmark = pytest.mark.django_db
FIXTURES = (account, archive, make_item, media_root, review)

OTHERS = [person for person in PEOPLE if person not in {"anonymous", *REVIEWERS}] + ["staff"]
PERSONAL = "OSL 21 kap. 7 §"
SEARCH = {"unit": "", "start": "2026-11-01", "end": "2026-11-30"}


def search(cast: Cast) -> dict[str, Any]:
    return {**SEARCH, "unit": cast.units["department"].pk}


def mark_author(review: SecrecyReview, archive: Archive, cast: Cast) -> SecrecyMark:
    return secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="author",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )


def released(review: SecrecyReview, cast: Cast) -> Release:
    return secrecy.release_review(
        review,
        recipient="Anonym, per e-post",
        confirmed=True,
        by=cast["registrar"],
        now=NOW + timedelta(hours=1),
    )


def urls(review: SecrecyReview, archive: Archive) -> dict[str, str]:
    return {
        "detail": reverse("archive:secrecy_review", args=[review.pk]),
        "release": reverse("archive:secrecy_release", args=[review.pk]),
        "download": reverse("archive:secrecy_download", args=[review.pk]),
        "screenshot": reverse("archive:secrecy_screenshot", args=[review.pk, archive.evidence.pk]),
    }


# --- Who may do what ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"), [("anonymous", 302), *[(p, 403) for p in OTHERS], *[(p, 200) for p in REVIEWERS]]
)
def test_the_list_and_the_opening_page_are_the_reviewers(
    client: Client, cast: Cast, archive: Archive, person: str, expected: int
) -> None:
    login(client, cast, person)
    assert_answer(client.get(reverse("archive:secrecy_reviews")), person, expected)
    assert_answer(client.get(reverse("archive:secrecy_open"), search(cast)), person, expected)
    response = client.post(
        reverse("archive:secrecy_open"), {**search(cast), "requested_on": "2026-11-25", "requester": "X"}
    )
    assert_answer(response, person, 302 if expected == 200 else expected)
    assert SecrecyReview.objects.count() == (1 if expected == 200 else 0)


@pytest.mark.parametrize("person", ["anonymous", *OTHERS])
def test_nobody_else_learns_of_a_review_or_its_release(
    client: Client, cast: Cast, archive: Archive, review: SecrecyReview, person: str
) -> None:
    mark = mark_author(review, archive, cast)
    expected = 302 if person == "anonymous" else 404
    login(client, cast, person)
    pages = urls(review, archive)
    for name in ("detail", "release", "screenshot"):
        assert_answer(client.get(pages[name]), person, expected)
    data = {"record": f"item:{archive.prohibited.pk}", "field": "", "ground": PERSONAL}
    assert_answer(client.post(reverse("archive:secrecy_mark", args=[review.pk]), data), person, expected)
    unmark = reverse("archive:secrecy_unmark", args=[review.pk, mark.pk])
    assert_answer(client.post(unmark), person, expected)
    data = {"recipient": "Någon", "confirm": "on"}
    assert_answer(client.post(pages["release"], data), person, expected)
    assert SecrecyMark.objects.filter(removed_at__isnull=True).count() == 1
    assert not Release.objects.exists()
    released(review, cast)
    assert_answer(client.get(pages["download"]), person, expected)


@pytest.mark.parametrize("person", REVIEWERS)
def test_a_reviewer_opens_marks_releases_and_downloads(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    login(client, cast, person)
    response = client.post(
        reverse("archive:secrecy_open"),
        {**search(cast), "requested_on": "2026-11-25", "requester": "", "reference": "KAU 2026/9"},
    )
    review = SecrecyReview.objects.get()
    assert response["Location"] == reverse("archive:secrecy_review", args=[review.pk])
    assert (review.opened_by, review.requester, review.reference) == (cast[person], "", "KAU 2026/9")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f'data-item="{archive.criticism.pk}"' in page.content.decode()

    data = {
        "record": f"item:{archive.criticism.pk}",
        "field": "author",
        "ground": PERSONAL,
        "note": "Privatperson",
    }
    response = client.post(reverse("archive:secrecy_mark", args=[review.pk]), data)
    assert response.status_code == 302
    mark = SecrecyMark.objects.get()
    assert (mark.item_id, mark.field, mark.ground, mark.marked_by) == (
        archive.criticism.pk,
        "author",
        PERSONAL,
        cast[person],
    )
    data = {
        "record": f"item:{archive.prohibited.pk}",
        "field": "text",
        "ground": "other",
        "ground_other": "OSL 21 kap. 3 §",
    }
    assert client.post(reverse("archive:secrecy_mark", args=[review.pk]), data).status_code == 302
    other = SecrecyMark.objects.get(field="text")
    assert other.ground == "OSL 21 kap. 3 §"
    assert client.post(reverse("archive:secrecy_unmark", args=[review.pk, other.pk])).status_code == 302
    other.refresh_from_db()
    assert other.removed_by == cast[person]

    assert client.get(reverse("archive:secrecy_release", args=[review.pk])).status_code == 200
    response = client.post(
        reverse("archive:secrecy_release", args=[review.pk]),
        {"recipient": "Anonym, per e-post", "confirm": "on"},
    )
    assert response.status_code == 302
    release = Release.objects.get()
    assert (release.released_by, release.recipient) == (cast[person], "Anonym, per e-post")
    download = client.get(reverse("archive:secrecy_download", args=[review.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"%PDF")
    with release.file.open("rb") as handle:
        assert body == handle.read()
    table = client.get(reverse("archive:secrecy_download", args=[review.pk]), {"format": "csv"})
    assert table.status_code == 200
    assert table["Content-Type"] == "text/csv; charset=utf-8"
    assert table["Cache-Control"] == "private, no-store"
    table_body = b"".join(table.streaming_content)  # type: ignore[attr-defined]
    assert "@kritiker" not in table_body.decode("utf-8-sig")
    # Released: the review page has the download and no mark form; the release page is gone.
    text = client.get(reverse("archive:secrecy_review", args=[review.pk])).content.decode()
    assert "data-download" in text
    assert 'class="secrecy-mark"' not in text
    assert client.get(reverse("archive:secrecy_release", args=[review.pk])).status_code == 404


def test_a_review_screenshot_is_served_as_a_kept_image(
    client: Client, cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    login(client, cast, "registrar")
    response = client.get(reverse("archive:secrecy_screenshot", args=[review.pk, archive.evidence.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    # A screenshot outside the review is not found through it.
    outside = reverse("archive:secrecy_screenshot", args=[review.pk, archive.startpage.pk])
    assert client.get(outside).status_code == 404


def test_nothing_to_download_before_the_release(client: Client, cast: Cast, review: SecrecyReview) -> None:
    login(client, cast, "registrar")
    assert client.get(reverse("archive:secrecy_download", args=[review.pk])).status_code == 404


# --- Bad input ------------------------------------------------------------------------------------------


def test_a_mark_without_a_ground_or_of_a_record_outside_is_400_and_changes_nothing(
    client: Client, cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    in_english(login(client, cast, "registrar"))
    url = reverse("archive:secrecy_mark", args=[review.pk])
    response = client.post(url, {"record": f"item:{archive.criticism.pk}", "field": "author", "ground": ""})
    assert response.status_code == 400
    assert "ground" in response.context["mark_form"].errors
    assert 'id="mark-errors"' in response.content.decode()
    response = client.post(url, {"record": f"item:{archive.threat.pk}", "field": "", "ground": PERSONAL})
    assert response.status_code == 400
    assert "record" in response.context["mark_form"].errors
    response = client.post(
        url, {"record": f"item:{archive.criticism.pk}", "ground": "other", "ground_other": ""}
    )
    assert response.status_code == 400
    assert "ground_other" in response.context["mark_form"].errors
    response = client.post(
        url, {"record": f"screenshot:{archive.evidence.pk}", "field": "author", "ground": PERSONAL}
    )
    assert response.status_code == 400
    assert "field" in response.context["mark_form"].errors
    assert not SecrecyMark.objects.exists()


def test_a_release_without_confirmation_or_recipient_is_400_and_stores_nothing(
    client: Client, cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    in_english(login(client, cast, "registrar"))
    url = reverse("archive:secrecy_release", args=[review.pk])
    response = client.post(url, {"recipient": "Anonym"})
    assert response.status_code == 400
    assert "confirm" in response.context["release_form"].errors
    response = client.post(url, {"recipient": "", "confirm": "on"})
    assert response.status_code == 400
    assert "recipient" in response.context["release_form"].errors
    assert 'id="release-errors"' in response.content.decode()
    assert not Release.objects.exists()
    review.refresh_from_db()
    assert review.is_open


def test_a_release_showing_a_withheld_item_in_a_screenshot_is_400(
    client: Client, cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    secrecy.mark_item(
        review,
        item_id=archive.prohibited.pk,
        field="",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    in_english(login(client, cast, "registrar"))
    page = client.get(reverse("archive:secrecy_review", args=[review.pk])).content.decode()
    assert "data-unsafe" in page
    response = client.post(
        reverse("archive:secrecy_release", args=[review.pk]), {"recipient": "Anonym", "confirm": "on"}
    )
    assert response.status_code == 400
    assert response.context["release_form"].non_field_errors()
    assert not Release.objects.exists()


def test_opening_from_a_bad_or_empty_search_is_400(client: Client, cast: Cast, archive: Archive) -> None:
    in_english(login(client, cast, "registrar"))
    assert (
        client.get(reverse("archive:secrecy_open"), {"start": "2026-11-30", "end": "2026-11-01"}).status_code
        == 400
    )
    response = client.post(reverse("archive:secrecy_open"), {**search(cast), "requested_on": ""})
    assert response.status_code == 400
    assert "requested_on" in response.context["form"].errors
    response = client.post(
        reverse("archive:secrecy_open"), {"text": "finns-inte", "requested_on": "2026-11-25"}
    )
    assert response.status_code == 400
    assert "kinds" in response.context["form"].errors
    assert not SecrecyReview.objects.exists()


def test_the_changes_need_post_and_the_csrf_token(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["registrar"])
    data = {"record": f"item:{archive.criticism.pk}", "field": "author", "ground": PERSONAL}
    assert client.post(reverse("archive:secrecy_mark", args=[review.pk]), data).status_code == 403
    assert client.get(reverse("archive:secrecy_mark", args=[review.pk])).status_code == 405
    assert not SecrecyMark.objects.exists()


# --- The search page leads to the review ----------------------------------------------------------------


@pytest.mark.parametrize("person", REVIEWERS)
def test_the_search_page_offers_a_review_of_its_results(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    login(client, cast, person)
    page = client.get(reverse("archive:search"), search(cast)).content.decode()
    assert "data-secrecy-open" in page
    link = page.split('href="' + reverse("archive:secrecy_open") + "?", 1)[1].split('"', 1)[0]
    assert f"unit={cast.units['department'].pk}" in link
    assert "start=2026-11-01" in link


# --- Query counts ---------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_list_takes_the_same_queries_for_one_review_or_many(
    client: Client, cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    login(client, cast, "registrar")
    one = _queries(client, reverse("archive:secrecy_reviews"))
    for person in ("registrar", "social_media_lead", "registrar"):
        other = open_review(cast, person)
        mark_author(other, archive, cast)
    released(review, cast)
    assert _queries(client, reverse("archive:secrecy_reviews")) == one


def test_the_review_page_takes_the_same_queries_for_few_records_or_many(
    client: Client, cast: Cast, archive: Archive, make_item: Any
) -> None:
    login(client, cast, "registrar")
    few = open_review(cast)
    mark_author(few, archive, cast)
    count = _queries(client, reverse("archive:secrecy_review", args=[few.pk]))
    for number in range(6):
        make_item(author=f"@fler{number}", received_at=NOW - timedelta(days=1, hours=number))
    many = open_review(cast)
    assert many.items.count() == 8
    mark_author(many, archive, cast)
    for item in many.items.exclude(pk=archive.criticism.pk)[:3]:
        secrecy.mark_item(
            many, item_id=item.pk, field="text", ground=PERSONAL, note="", by=cast["registrar"], now=NOW
        )
    assert _queries(client, reverse("archive:secrecy_review", args=[many.pk])) == count
    assert _queries(client, reverse("archive:secrecy_release", args=[many.pk])) <= count


def test_the_list_shows_open_reviews_first_then_the_newest(
    client: Client, cast: Cast, archive: Archive
) -> None:
    older = open_review(cast)
    newer = open_review(cast, now=NOW + timedelta(hours=2))
    released(newer, cast)
    newest = open_review(cast, now=NOW + timedelta(hours=3))
    login(client, cast, "registrar")
    reviews = list(client.get(reverse("archive:secrecy_reviews")).context["reviews"])
    assert reviews == [newest, older, newer]
