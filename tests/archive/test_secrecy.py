"""The secrecy review before a release (archive.secrecy, KAU-PUBLIC-RECORD, OSL): a review freezes the
records a search finds; marks need a legal ground and a record of the review; the released copy is a
PDF/A-2b in which masked fields and withheld records are absent and their grounds present; the
originals never change; the review, its marks and the release are logged and cannot be rewritten."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, timedelta
from typing import Any

import pikepdf
import pikepdf.pdfa
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, connection, transaction
from django.forms.models import model_to_dict

from archive import ledger, secrecy
from archive.models import LedgerEntry, Release, Screenshot, SecrecyMark, SecrecyReview
from archive.search import Criteria
from moderation.models import Item
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
from tests.core import pdf_support
from tests.support import PEOPLE

pytestmark = pytest.mark.django_db
FIXTURES = (account, archive, make_item, media_root, review)

PERSONAL = "OSL 21 kap. 7 §"
SECURITY = "OSL 18 kap. 8 §"
LATER = NOW + timedelta(hours=1)


def release(review: SecrecyReview, cast: Cast, **extra: Any) -> Release:
    fields: dict[str, Any] = {
        "recipient": "Journalisten, per e-post",
        "confirmed": True,
        "by": cast["registrar"],
        "now": LATER,
    }
    fields.update(extra)
    return secrecy.release_review(review, **fields)


def copy_text(release: Release) -> str:
    with release.file.open("rb") as handle:
        return pdf_support.text(handle.read())


def snapshot(*records: Any) -> list[dict[str, Any]]:
    return [model_to_dict(type(r).objects.get(pk=r.pk)) for r in records]


# --- Opening -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", REVIEWERS)
def test_a_review_freezes_the_items_and_screenshots_the_search_finds(
    cast: Cast, archive: Archive, make_item: Any, person: str
) -> None:
    review = open_review(cast, person)
    assert set(review.items.values_list("pk", flat=True)) == {archive.criticism.pk, archive.prohibited.pk}
    assert list(review.screenshots.values_list("pk", flat=True)) == [archive.evidence.pk]
    assert review.opened_by == cast[person]
    assert review.criteria["unit"] == cast.units["department"].pk
    # A record the search would find now is not added: the review is of a fixed set.
    make_item(author="@senare", text="Kom senare", received_at=NOW - timedelta(days=1))
    review.refresh_from_db()
    assert review.items.count() == 2


def test_an_anonymous_request_opens_a_review_tf_2_kap_18(cast: Cast, archive: Archive) -> None:
    review = open_review(cast, requester="", reference="")
    assert review.requester == ""
    assert review.history.get().history_change_reason == "opened"


@pytest.mark.parametrize("person", [p for p in PEOPLE if p not in {"anonymous", *REVIEWERS}])
def test_nobody_else_opens_a_review(cast: Cast, archive: Archive, person: str) -> None:
    with pytest.raises(PermissionDenied):
        open_review(cast, person)
    assert not SecrecyReview.objects.exists()


def test_a_search_that_finds_nothing_opens_no_review(cast: Cast, archive: Archive) -> None:
    with pytest.raises(ValidationError) as refused:
        open_review(cast, criteria=Criteria(text="finns-inte-någonstans"))
    assert "kinds" in refused.value.message_dict
    assert not SecrecyReview.objects.exists()


def test_too_many_records_are_refused_with_the_limit_named(
    cast: Cast, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrecy, "MAX_RECORDS", 2)
    with pytest.raises(ValidationError, match="2"):
        open_review(cast)
    assert not SecrecyReview.objects.exists()


def test_a_request_dated_after_today_is_refused(cast: Cast, archive: Archive) -> None:
    with pytest.raises(ValidationError) as refused:
        open_review(cast, requested_on=date(2026, 12, 24))
    assert "requested_on" in refused.value.message_dict


# --- Marks ---------------------------------------------------------------------------------------------


def test_a_mark_without_a_ground_is_refused_and_nothing_changes(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    with pytest.raises(ValidationError) as refused:
        secrecy.mark_item(
            review,
            item_id=archive.criticism.pk,
            field="author",
            ground="  ",
            note="",
            by=cast["registrar"],
            now=NOW,
        )
    assert "ground" in refused.value.message_dict
    assert not SecrecyMark.objects.exists()


def test_a_record_outside_the_review_cannot_be_marked(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    """The threat item and the start page belong to the other department: not in this review."""
    for call in (
        lambda: secrecy.mark_item(
            review,
            item_id=archive.threat.pk,
            field="",
            ground=PERSONAL,
            note="",
            by=cast["registrar"],
            now=NOW,
        ),
        lambda: secrecy.mark_screenshot(
            review,
            screenshot_id=archive.startpage.pk,
            ground=PERSONAL,
            note="",
            by=cast["registrar"],
            now=NOW,
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            call()
        assert "record" in refused.value.message_dict
    assert not SecrecyMark.objects.exists()


def test_an_unknown_field_and_a_part_marked_twice_are_refused(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    common = {
        "item_id": archive.criticism.pk,
        "ground": PERSONAL,
        "note": "",
        "by": cast["registrar"],
        "now": NOW,
    }
    with pytest.raises(ValidationError) as refused:
        secrecy.mark_item(review, field="account", **common)
    assert "field" in refused.value.message_dict
    secrecy.mark_item(review, field="author", **common)
    with pytest.raises(ValidationError):
        secrecy.mark_item(review, field="author", **common)
    assert SecrecyMark.objects.count() == 1


def test_a_removed_mark_stays_in_the_log(cast: Cast, archive: Archive, review: SecrecyReview) -> None:
    mark = secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="text",
        ground=PERSONAL,
        note="Hälsouppgift",
        by=cast["registrar"],
        now=NOW,
    )
    secrecy.remove_mark(review, mark_id=mark.pk, by=cast["social_media_lead"], now=LATER)
    mark.refresh_from_db()
    assert (mark.removed_at, mark.removed_by) == (LATER, cast["social_media_lead"])
    history = list(mark.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert history == [("marked", cast["registrar"].pk), ("removed", cast["social_media_lead"].pk)]
    assert not secrecy.draft_of(review).marks
    # Removed, it can be marked again.
    secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="text",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=LATER,
    )


# --- The release ---------------------------------------------------------------------------------------


def test_the_copy_masks_the_field_and_lists_its_ground_kau_public_record(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    """The author's name is absent from the copy, the ground stands in its place and in the cover
    note; the rest of the item, and the released screenshot, go out. The copy is PDF/A-2b."""
    secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="author",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    done = release(review, cast)
    with done.file.open("rb") as handle:
        data = handle.read()
    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
    assert report.passed, report.findings
    text = pdf_support.text(data)
    assert "@kritiker" not in text
    assert f"[Sekretess: {PERSONAL}]" in text or f"[Secrecy: {PERSONAL}]" in text
    assert "Varför stänger ni biblioteket på lördagar?" in text  # the rest of the item
    assert "@reklam" in text  # the unmarked item
    assert "Journalist på Nya Wermlands-Tidningen" in text  # the request
    assert "Journalisten, per e-post" in text  # to whom
    assert len(pikepdf.open(io.BytesIO(data)).pages) >= 2  # the evidence screenshot's page
    assert done.records["screenshots"] == {"released": [archive.evidence.pk], "withheld": []}
    assert done.sha256 == hashlib.sha256(data).hexdigest()


def test_a_withheld_item_is_absent_and_its_screenshot_must_be_withheld_too(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    secrecy.mark_item(
        review,
        item_id=archive.prohibited.pk,
        field="",
        ground=SECURITY,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    # The evidence screenshot shows the withheld item; an image is not masked.
    with pytest.raises(ValidationError, match=str(archive.evidence.pk)):
        release(review, cast)
    assert not Release.objects.exists()
    secrecy.mark_screenshot(
        review, screenshot_id=archive.evidence.pk, ground=SECURITY, note="", by=cast["registrar"], now=NOW
    )
    done = release(review, cast)
    text = copy_text(done)
    assert "@reklam" not in text
    assert "Köp billiga klockor här!" not in text
    assert SECURITY in text
    assert "Röjs ej" in text
    assert len(pikepdf.open(done.file.path).pages) == 1  # the cover only: no image goes out
    assert done.records["items"]["withheld"] == [archive.prohibited.pk]
    assert done.records["screenshots"]["withheld"] == [archive.evidence.pk]


def test_the_originals_never_change(cast: Cast, archive: Archive, review: SecrecyReview) -> None:
    items = (archive.criticism, archive.prohibited)
    before = snapshot(*items, archive.evidence)
    history_before = [Item.history.filter(id=i.pk).count() for i in items]
    with archive.evidence.image.open("rb") as handle:
        image_before = handle.read()
    secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="text",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    secrecy.mark_item(
        review,
        item_id=archive.prohibited.pk,
        field="",
        ground=SECURITY,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    secrecy.mark_screenshot(
        review, screenshot_id=archive.evidence.pk, ground=SECURITY, note="", by=cast["registrar"], now=NOW
    )
    release(review, cast)
    assert snapshot(*items, archive.evidence) == before
    assert [Item.history.filter(id=i.pk).count() for i in items] == history_before
    with Screenshot.objects.get(pk=archive.evidence.pk).image.open("rb") as handle:
        assert handle.read() == image_before


def test_the_release_is_logged_frozen_and_ledgered(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    mark = secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="author",
        ground=PERSONAL,
        note="Privatperson",
        by=cast["registrar"],
        now=NOW,
    )
    done = release(review, cast, by=cast["social_media_lead"])
    review.refresh_from_db()
    assert review.status == SecrecyReview.Status.RELEASED
    assert (done.released_by, done.released_at, done.recipient) == (
        cast["social_media_lead"],
        LATER,
        "Journalisten, per e-post",
    )
    assert done.marks == [
        {
            "mark": mark.pk,
            "item": archive.criticism.pk,
            "screenshot": None,
            "field": "author",
            "ground": PERSONAL,
            "note": "Privatperson",
            "marked_by": str(cast["registrar"]),
            "marked_at": NOW.astimezone(UTC).isoformat(),
        }
    ]
    assert done.records["items"]["masked_fields"] == {str(archive.criticism.pk): ["author"]}
    entry = done.ledger_entry
    assert (entry.kind, entry.path, entry.sha256) == (LedgerEntry.Kind.EXPORT, done.file.name, done.sha256)
    assert ledger.verify() == []
    reasons = list(review.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["opened", "released"]


def test_a_released_review_takes_no_more_marks_removals_or_releases(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    mark = secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="author",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    release(review, cast)
    with pytest.raises(ValidationError):
        secrecy.remove_mark(review, mark_id=mark.pk, by=cast["registrar"], now=LATER)
    with pytest.raises(ValidationError):
        secrecy.mark_item(
            review,
            item_id=archive.criticism.pk,
            field="text",
            ground=PERSONAL,
            note="",
            by=cast["registrar"],
            now=LATER,
        )
    with pytest.raises(ValidationError):
        release(review, cast)
    assert Release.objects.count() == 1
    assert SecrecyMark.objects.get().removed_at is None


def test_a_release_needs_a_recipient_and_the_confirmation(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    with pytest.raises(ValidationError) as refused:
        release(review, cast, recipient=" ")
    assert "recipient" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        release(review, cast, confirmed=False)
    assert "confirm" in refused.value.message_dict
    assert not Release.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).exists()
    review.refresh_from_db()
    assert review.is_open


# --- The database keeps the log ------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_release_cannot_be_rewritten_or_deleted_kau_public_record(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    done = release(review, cast)
    for statement, pk in (
        ("UPDATE archive_release SET recipient = 'någon annan' WHERE id = %s", done.pk),
        ("DELETE FROM archive_release WHERE id = %s", done.pk),
        ("DELETE FROM archive_secrecyreview WHERE id = %s", review.pk),
        ("DELETE FROM archive_secrecyreview_items WHERE secrecyreview_id = %s", review.pk),
        ("DELETE FROM archive_secrecyreview_screenshots WHERE secrecyreview_id = %s", review.pk),
    ):
        with (
            pytest.raises((InternalError, IntegrityError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [pk])
    assert Release.objects.get().recipient == "Journalisten, per e-post"
    assert review.items.count() == 2


@pytest.mark.postgres
def test_a_mark_is_never_deleted(cast: Cast, archive: Archive, review: SecrecyReview) -> None:
    mark = secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="author",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    with pytest.raises((InternalError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_secrecymark WHERE id = %s", [mark.pk])
    assert SecrecyMark.objects.filter(pk=mark.pk).exists()


def test_the_table_beside_the_copy_is_masked_the_same_way(
    cast: Cast, archive: Archive, review: SecrecyReview
) -> None:
    secrecy.mark_item(
        review,
        item_id=archive.criticism.pk,
        field="author",
        ground=PERSONAL,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    secrecy.mark_item(
        review,
        item_id=archive.prohibited.pk,
        field="",
        ground=SECURITY,
        note="",
        by=cast["registrar"],
        now=NOW,
    )
    secrecy.mark_screenshot(
        review, screenshot_id=archive.evidence.pk, ground=SECURITY, note="", by=cast["registrar"], now=NOW
    )
    done = release(review, cast)
    with done.table.open("rb") as handle:
        data = handle.read()
    assert done.table_sha256 == hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8-sig")
    assert "@kritiker" not in text
    assert "@reklam" not in text
    assert "Köp billiga klockor här!" not in text
    assert "Varför stänger ni biblioteket på lördagar?" in text
    assert PERSONAL in text
    assert SECURITY in text
    rows = text.strip().split("\r\n")
    assert len(rows) == 1 + 2 + 1  # the heading, two items, one screenshot
    assert LedgerEntry.objects.filter(path=done.table.name, sha256=done.table_sha256).exists()
    assert ledger.verify() == []
