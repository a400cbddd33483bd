"""The item page as a communicator meets it between meetings: the item and the answer first.

An open item's text and the answer field are on screen without scrolling at 1366x768 and on a
390x844 phone; classify, close, remove, escalate and the screenshots sit behind labelled disclosures
that work without JavaScript, and a disclosure whose form was refused opens by itself with the error
summary focused. The page passes axe (WCAG 2.1 AA, KAU-ACCESS).

Set ITEM_PAGE_SHOTS to a folder to keep a full-page screenshot of the page at 1366x768.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.conftest import Cast, browser_login
from tests.support import assert_accessible

LONG_TEXT = (
    "Hej! Jag har sökt till civilingenjörsprogrammet men har inte fått något besked om min "
    "antagning, och jag undrar om ni kan hjälpa mig att ta reda på var i processen min ansökan "
    "befinner sig. Jag har mejlat studentcentrum två gånger utan svar. Tack på förhand!"
)


def _open_item(cast: Cast, make_account: Any) -> Any:
    from moderation.services import log_item

    account = make_account(name="Studentlivet")
    now = timezone.now()
    return log_item(
        account,
        kind="comment",
        author="@undrande",
        text=LONG_TEXT,
        url="https://www.instagram.com/p/abc123/",
        received_at=now - timedelta(minutes=5),
        by=None,
        now=now,
    )


def _above_the_fold(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_an_open_items_text_and_answer_field_are_visible_without_scrolling(
    page: Any, cast: Cast, make_account: Any, width: int, height: int
) -> None:
    item = _open_item(cast, make_account)
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(reverse("moderation:item", args=[item.pk]))
    page.wait_for_load_state()
    text = page.locator("[data-item-text]").bounding_box()
    assert text is not None
    assert text["y"] + text["height"] <= height, "the item's text is cut off by the fold"
    assert _above_the_fold(page, "form[data-action=answer] textarea")
    if width > 1000:
        answer = page.locator("form[data-action=answer] textarea").bounding_box()
        assert answer["y"] + answer["height"] <= height, "the whole answer field is visible"
    # Nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The other actions wait behind their disclosures, closed.
    for name in ("classify", "close", "remove", "escalate", "screenshots"):
        disclosure = page.locator(f"details[data-disclosure={name}]")
        assert disclosure.count() == 1, name
        assert disclosure.get_attribute("open") is None, name
    assert_accessible(page)
    shots = os.environ.get("ITEM_PAGE_SHOTS")
    if shots and width == 1366:
        page.screenshot(path=str(Path(shots) / "item-after.png"), full_page=True)
        Path(shots, "item-after-height.txt").write_text(
            str(page.evaluate("document.documentElement.scrollHeight"))
        )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_escalation_reopens_its_disclosure_and_focuses_the_error_summary(
    page: Any, cast: Cast, make_account: Any
) -> None:
    item = _open_item(cast, make_account)
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(reverse("moderation:item", args=[item.pk]))
    page.locator("details[data-disclosure=escalate] > summary").click()
    escalate = page.locator("form[data-action=escalate]")
    assert escalate.is_visible()
    escalate.locator("button[type=submit]").click()  # no reason given: refused
    page.wait_for_load_state()
    disclosure = page.locator("details[data-disclosure=escalate]")
    assert disclosure.get_attribute("open") is not None
    assert page.evaluate("document.activeElement.id") == "escalate-errors"
    # The summary links to the field it names.
    assert page.locator("#escalate-errors a[href='#id_escalate-note']").count() == 1
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_saved_reply_is_inserted_into_the_answer_to_be_edited(
    page: Any, cast: Cast, make_account: Any
) -> None:
    from moderation.replies import add_saved_reply

    item = _open_item(cast, make_account)
    add_saved_reply(
        title="Antagning",
        text="Tack för din fråga! Kontakta antagningen på 054-700 10 00.",
        unit=None,
        by=cast["communications"],
    )
    browser_login(page, "communicator", "pw-communicator-0123")
    page.goto(reverse("moderation:item", args=[item.pk]))
    answer = page.locator("form[data-action=answer]")
    answer.locator("select[name=reply]").select_option(label="Antagning")
    answer.locator("button[name=insert]").click()
    textarea = answer.locator("textarea[name=answer-answer]")
    assert textarea.input_value() == "Tack för din fråga! Kontakta antagningen på 054-700 10 00."
    assert page.url.endswith(reverse("moderation:item", args=[item.pk]))  # inserted in place, no reload
    assert page.evaluate("document.activeElement.name") == "answer-answer"
    assert_accessible(page)  # with the mouse still on the insert button: a hovered button keeps its contrast


# --- Without the browser -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_form_is_rendered_with_its_disclosure_open(client: Any, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    fresh = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert 'data-disclosure="close" open' not in fresh
    response = client.post(reverse("moderation:close", args=[item.pk]), {"close-reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-disclosure="close" open' in html
    assert 'data-disclosure="escalate" open' not in html


@pytest.mark.django_db
def test_a_removal_refused_for_want_of_evidence_opens_the_screenshot_uploader(
    client: Any, cast: Cast, make_item: Any
) -> None:
    """KAU-PROHIBITED-EVIDENCE: the refusal points at the one uploader, opened."""
    from moderation import services
    from tests.moderation.conftest import NOW

    item = make_item()
    services.classify_item(item, triage=services.Triage(prohibited=(3,)), by=cast["communicator"], now=NOW)
    client.force_login(cast["communicator"])
    response = client.post(reverse("moderation:remove", args=[item.pk]), {"remove-note": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-disclosure="screenshots" open' in html
    assert 'data-disclosure="remove" open' in html
    assert html.count('data-action="item-screenshot"') + html.count('data-action="evidence"') == 1


@pytest.mark.django_db
def test_the_page_has_one_screenshot_uploader(client: Any, cast: Cast, make_item: Any) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    html = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert html.count('enctype="multipart/form-data"') == 1
    assert 'name="shot-as_evidence"' in html


@pytest.mark.django_db
def test_the_answer_help_says_professional_factual_and_open_kau_response_tone(
    client: Any, cast: Cast, make_item: Any
) -> None:
    item = make_item()
    client.force_login(cast["communicator"])
    response = client.get(reverse("moderation:item", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    help_text = response.context["answer_form"]["answer"].help_text
    with translation.override("en"):
        assert "professional, factual and open" in str(help_text).lower()
    assert "professionellt, sakligt och öppet" in str(help_text).lower()


@pytest.mark.django_db
def test_the_thread_context_names_the_parent_when_it_is_known(
    client: Any, cast: Cast, make_item: Any, account: Any
) -> None:
    from moderation.models import Publication
    from tests.moderation.conftest import NOW

    Publication.objects.create(
        account=account, kind="post", platform_id="post-1", text="Välkommen till öppet hus!", published_at=NOW
    )
    item = make_item(in_reply_to="post-1")
    client.force_login(cast["communicator"])
    html = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "data-thread" in html
    assert "Välkommen till öppet hus!" in html
    unknown = make_item(in_reply_to="post-unknown")
    html = client.get(reverse("moderation:item", args=[unknown.pk])).content.decode()
    assert "data-thread" in html  # said, though the parent is not kept here
