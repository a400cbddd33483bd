"""The diary package carries the text of the post and of its replies, exactly as received, beside
their screenshots (KAU-DIARY-ACTION, KAU-PUBLIC-RECORD): on the cover of the PDF/A, which still
validates, and in the CSV and JSON of its registry fields."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pikepdf
import pikepdf.pdfa
import pytest
from django.utils import translation

from archive import registration
from archive.models import DiaryPackage
from moderation.platform import keep_publication
from tests.archive.diary_support import NOW, account, make_item, media_root, registrable
from tests.conftest import Cast
from tests.core import pdf_support

__all__ = ["account", "make_item", "media_root", "registrable"]  # fixtures used by name

pytestmark = pytest.mark.django_db

# What visitors write: emoji and their sequences, right-to-left scripts, Chinese, Japanese, Korean,
# combining characters.
TEXTS = {
    "emoji": "Varför? 😡👩\u200d👩\u200d👧 🇸🇪 👍🏽",
    "arabic": "متى يفتح التسجيل؟",
    "hebrew": "מתי נפתחת ההרשמה?",
    "cjk": "报名什么时候开始\uff1f 申し込み 김민준",
    "combining": "Zoë Ö\u0308berg Z\u0324\u0308a\u0310 e\u0301",
}


def build(item: Any, cast: Cast) -> DiaryPackage:
    return registration.build_package(
        item, subject="Fråga om antagningen", secrecy="", by=cast["communicator"], now=NOW
    )


def label(key: str) -> str:
    """The field's label in the registry's language, as the cover prints it."""
    with translation.override("sv"):
        return str(registration.FIELD_LABELS[key])


def no_replies() -> str:
    with translation.override("sv"):
        return translation.gettext("No replies")


def cover_value(data: bytes, key: str, next_key: str) -> list[str]:
    """The cover's lines between the field's label and the next one's."""
    lines = [line for page in pdf_support.page_lines(data) for line in page]
    start = lines.index(label(key)) + 1
    return lines[start : lines.index(label(next_key), start)]


def squeezed(text: str) -> str:
    return "".join(text.split())


def assert_valid(data: bytes) -> None:
    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
    assert report.passed, report.findings


def test_the_cover_carries_the_post_its_replies_and_what_it_answers(
    cast: Cast, account: Any, make_item: Any, registrable: Any
) -> None:
    pdf_support.require_fallback_fonts()
    post = make_item(kind="post", author="@forfattare", text="Inlägget: " + TEXTS["cjk"], platform_id="root")
    item = registrable(text="Frågan: " + TEXTS["emoji"], platform_id="q-1", in_reply_to="root")
    make_item(
        author="@svarare",
        text="Svar från besökare: " + TEXTS["arabic"],
        platform_id="r-1",
        in_reply_to="q-1",
        received_at=NOW - timedelta(minutes=30),
    )
    keep_publication(
        account,
        platform_id="pub-1",
        kind="reply",
        text="Kontots svar: " + TEXTS["hebrew"],
        published_at=NOW - timedelta(minutes=10),
        in_reply_to="q-1",
        answers=item,
    )
    package = build(item, cast)
    data = package.pdf.read()
    assert_valid(data)

    assert squeezed("".join(cover_value(data, "text", "in_reply_to"))) == squeezed(item.text)
    answered = "".join(cover_value(data, "in_reply_to", "replies"))
    assert "@forfattare" in answered
    assert squeezed(post.text) in squeezed(answered)
    replies = squeezed("".join(cover_value(data, "replies", "action")))
    assert squeezed("@svarare:" + "Svar från besökare: " + TEXTS["arabic"]) in replies
    assert squeezed("Kontots svar: " + TEXTS["hebrew"]) in replies
    assert replies.index("@svarare") < replies.index("Kontots")  # oldest first

    values = {row["key"]: row["value"] for row in package.fields["rows"]}
    assert values["text"] == item.text  # exactly, spaces and all
    assert post.text in values["in_reply_to"]
    assert "Svar från besökare: " + TEXTS["arabic"] in values["replies"]
    assert "Kontots svar: " + TEXTS["hebrew"] in values["replies"]


@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_any_text_a_visitor_wrote_is_on_the_cover_and_in_the_fields_exactly(
    cast: Cast, registrable: Any, text: str
) -> None:
    item = registrable(text=text)
    package = build(item, cast)
    data = package.pdf.read()
    assert_valid(data)
    pdf_support.require_fallback_fonts()
    assert squeezed("".join(cover_value(data, "text", "in_reply_to"))) == squeezed(text)

    document = json.loads(registration.package_fields_json(package))
    assert document["fields"]["text"] == text
    assert document["fields"]["replies"] == no_replies()
    rows = list(csv.reader(io.StringIO(registration.package_fields_csv(package).decode()[1:]), delimiter=";"))
    keys, values = rows
    assert values[keys.index("text")] == text


def test_a_very_long_text_wraps_across_pages_and_the_package_still_validates(
    cast: Cast, registrable: Any
) -> None:
    paragraph = "Lång kommentar med åäö och 🌸 som fortsätter. " * 40
    text = "\n\n".join(f"{number}. {paragraph}" for number in range(1, 9))
    item = registrable(text=text)
    package = build(item, cast)
    data = package.pdf.read()
    assert_valid(data)
    pages = pdf_support.page_lines(data)
    cover_pages = len(pages) - 1  # one screenshot after the cover
    assert cover_pages >= 3
    assert max(len(line) for page in pages for line in page) <= 110  # wrapped within the page
    pdf_support.require_fallback_fonts()
    assert squeezed("".join(cover_value(data, "text", "in_reply_to"))) == squeezed(text)
    assert {row["key"]: row["value"] for row in package.fields["rows"]}["text"] == text


def test_an_item_without_thread_says_so(cast: Cast, registrable: Any) -> None:
    item = registrable()
    package = build(item, cast)
    values = {row["key"]: row["value"] for row in package.fields["rows"]}
    assert values["text"] == item.text
    assert values["in_reply_to"] == "–"
    assert values["replies"] == no_replies()
