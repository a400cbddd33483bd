"""The bulk import page: upload, preview, confirm (moderation.import_views).

Only the account owner and the deputies import; the head of unit and the social media lead, who read
the account, are refused (403); anyone else sees 404. A bad file imports nothing and names its rows; a
clean one is previewed, kept in the session under its SHA-256, and imported on confirmation in one
transaction, with the deadlines of KAU-RESPONSE-DEADLINE. The platform id makes a second import a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.calendar import STOCKHOLM
from moderation.import_views import session_key
from moderation.models import Item, LogEntry
from tests.conftest import Cast
from tests.support import PEOPLE, login

pytestmark = pytest.mark.usefixtures("fixed_clock")

# Wednesday 2 December 2026, 10:00: after the items in the files below were received.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)

HIDDEN = {"outsider", "communications", "registrar", "other_head", "security_officer"}
READERS = {"head_of_unit", "dean", "social_media_lead"}  # read the account's items, do not moderate
MODERATORS = {"communicator", "deputy"}

CLEAN_CSV = (
    "\ufeffplatform_id;kind;author;text;url;received_at\r\n"
    "ig-1;comment;@anna;När öppnar anmälan?;https://www.instagram.com/p/1/;2026-11-27T15:00:00+01:00\r\n"
    "ig-2;message;@bo;Hej, en fråga om schemat;;2026-11-27 15:00\r\n"
).encode()


def url(account: Any) -> str:
    return reverse("moderation:import", args=[account.pk])


def upload(client: Client, account: Any, data: bytes, name: str = "items.csv") -> Any:
    return client.post(url(account), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def confirm(client: Client, account: Any, digest: str) -> Any:
    return client.post(url(account), {"digest": digest})


@pytest.mark.parametrize("person", PEOPLE)
def test_who_opens_the_import_page(client: Client, cast: Cast, account: Any, person: str) -> None:
    login(client, cast, person)
    response = client.get(url(account))
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif person in HIDDEN:
        assert response.status_code == 404
    elif person in READERS:
        assert response.status_code == 403
    else:
        assert person in MODERATORS
        assert response.status_code == 200
        assert b'enctype="multipart/form-data"' in response.content


@pytest.mark.parametrize("person", sorted(HIDDEN | READERS | {"anonymous"}))
def test_only_moderators_can_upload_or_confirm(client: Client, cast: Cast, account: Any, person: str) -> None:
    login(client, cast, person)
    assert upload(client, account, CLEAN_CSV).status_code in {302, 403, 404}
    assert confirm(client, account, "0" * 64).status_code in {302, 403, 404}
    assert not Item.objects.exists()


def test_an_unknown_account_is_404(client: Client, cast: Cast) -> None:
    login(client, cast, "communicator")
    assert client.get(reverse("moderation:import", args=[999_999])).status_code == 404


def test_the_page_states_the_format_and_limits(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(url(account)).content.decode()
    for text in ("platform_id", "received_at", "5 MB", "5000 items", "2026-11-27 15:00", "Stockholm time"):
        assert text in page
    assert 'style="' not in page


def test_a_bad_file_imports_nothing_and_names_every_bad_row(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    data = (
        b"platform_id,kind,author,text,url,received_at\r\n"
        b"a,comment,@a,Hej,,2026-11-27 15:00\r\n"
        b"b,question,@b,Hej,,2026-11-27 15:00\r\n"
        b"c,comment,,Hej,,not a time\r\n"
        b"a,post,@d,Hej igen,,2026-11-28 10:00\r\n"
    )
    response = upload(client, account, data)
    assert response.status_code == 400
    assert [(error.row, error.field) for error in response.context["errors"]] == [
        (3, "kind"),
        (4, "author"),
        (4, "received_at"),
        (5, "platform_id"),
    ]
    assert response.context["preview"] is None
    page = response.content.decode()
    assert "<caption>" in page
    assert '<th scope="row" class="num">5</th>' in page
    assert not Item.objects.exists()
    assert session_key(account) not in client.session


def test_a_file_that_is_too_large_is_refused_on_the_field(
    client: Client, cast: Cast, account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moderation.import_forms.MAX_BYTES", 100)
    login(client, cast, "communicator")
    response = upload(client, account, CLEAN_CSV)
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not Item.objects.exists()


def test_no_file_is_400(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    response = client.post(url(account), {})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_a_clean_file_is_previewed_then_imported(client: Client, cast: Cast, account: Any) -> None:
    """KAU-RESPONSE-DEADLINE: received Friday 27 Nov 2026 15:00 → due Monday 30 Nov 15:00, outer limit
    Tuesday 1 Dec 15:00, both in Stockholm, counting working hours only."""
    login(client, cast, "deputy")
    preview = upload(client, account, CLEAN_CSV)
    assert preview.status_code == 200
    context = preview.context["preview"]
    assert (context["new"], context["existing"]) == (2, 0)
    assert (context["past_due"], context["past_limit"]) == (2, 2)  # NOW is Wednesday 2 December
    assert not Item.objects.exists()  # nothing before the confirmation
    stored = client.session[session_key(account)]
    assert len(stored["rows"]) == 2

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = confirm(client, account, stored["digest"])
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:inbox", args=[account.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "2 items imported. 0 already existed and were skipped."
    ]
    assert session_key(account) not in client.session

    items = {item.platform_id: item for item in Item.objects.filter(account=account)}
    assert set(items) == {"ig-1", "ig-2"}
    for item in items.values():
        assert item.source == Item.Source.IMPORT
        assert item.logged_by == cast["deputy"]
        assert item.received_at == datetime(2026, 11, 27, 15, 0, tzinfo=STOCKHOLM)
        assert item.due_at == datetime(2026, 11, 30, 15, 0, tzinfo=STOCKHOLM)
        assert item.limit_at == datetime(2026, 12, 1, 15, 0, tzinfo=STOCKHOLM)
        assert item.status == Item.Status.OPEN
        assert LogEntry.objects.filter(
            item=item, action=LogEntry.Action.LOGGED, actor=cast["deputy"]
        ).exists()
    assert items["ig-1"].url == "https://www.instagram.com/p/1/"
    assert items["ig-2"].kind == Item.Kind.MESSAGE
    assert items["ig-2"].text == "Hej, en fråga om schemat"


def test_a_json_file_is_imported(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    data = (
        b'[{"platform_id": "fb-9", "kind": "post", "author": "Per", "text": "Hej",'
        b' "received_at": "2026-12-01T08:00:00Z"}]'
    )
    preview = upload(client, account, data, name="items.json")
    assert preview.status_code == 200
    response = confirm(client, account, client.session[session_key(account)]["digest"])
    assert response.status_code == 302
    item = Item.objects.get(account=account)
    assert (item.platform_id, item.kind, item.received_at) == (
        "fb-9",
        "post",
        datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM),
    )


def test_importing_the_same_file_again_creates_nothing_new(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    upload(client, account, CLEAN_CSV)
    confirm(client, account, client.session[session_key(account)]["digest"])
    assert Item.objects.count() == 2
    logged = LogEntry.objects.count()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    preview = upload(client, account, CLEAN_CSV)
    assert preview.status_code == 200
    assert (preview.context["preview"]["new"], preview.context["preview"]["existing"]) == (0, 2)
    assert b"Import 0" not in preview.content  # nothing to confirm: no button
    response = confirm(client, account, client.session[session_key(account)]["digest"])
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "0 items imported. 2 already existed and were skipped."
    ]
    assert Item.objects.count() == 2
    assert LogEntry.objects.count() == logged


def test_a_file_with_one_new_item_imports_only_that(
    client: Client, cast: Cast, account: Any, make_item: Any
) -> None:
    make_item(platform_id="ig-1", now=NOW)
    login(client, cast, "communicator")
    preview = upload(client, account, CLEAN_CSV)
    rows = preview.context["preview"]["rows"]
    assert [(row.row.platform_id, row.exists) for row in rows] == [("ig-1", True), ("ig-2", False)]
    confirm(client, account, client.session[session_key(account)]["digest"])
    assert sorted(Item.objects.values_list("platform_id", flat=True)) == ["ig-1", "ig-2"]


def test_the_same_platform_id_on_another_account_is_another_item(
    client: Client, cast: Cast, account: Any, make_account: Any
) -> None:
    other = make_account()
    login(client, cast, "communicator")
    for target in (account, other):
        upload(client, target, CLEAN_CSV)
        confirm(client, target, client.session[session_key(target)]["digest"])
    assert Item.objects.filter(account=account).count() == 2
    assert Item.objects.filter(account=other).count() == 2


def test_a_confirmation_without_a_preview_is_refused(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    response = confirm(client, account, "a" * 64)
    assert response.status_code == 409
    assert not Item.objects.exists()


def test_a_stale_confirmation_is_refused(client: Client, cast: Cast, account: Any) -> None:
    """The person previews one file, then another; the first preview's button imports nothing."""
    login(client, cast, "communicator")
    upload(client, account, CLEAN_CSV)
    first = client.session[session_key(account)]["digest"]
    other = CLEAN_CSV.replace(b"ig-2", b"ig-3")
    upload(client, account, other)
    assert client.session[session_key(account)]["digest"] != first
    response = confirm(client, account, first)
    assert response.status_code == 409
    assert not Item.objects.exists()


def test_a_bad_upload_drops_the_previous_preview(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    upload(client, account, CLEAN_CSV)
    digest = client.session[session_key(account)]["digest"]
    assert upload(client, account, b"platform_id,kind\r\n").status_code == 400
    assert confirm(client, account, digest).status_code == 409
    assert not Item.objects.exists()


def test_a_preview_belongs_to_its_account(
    client: Client, cast: Cast, account: Any, make_account: Any
) -> None:
    other = make_account()
    login(client, cast, "communicator")
    upload(client, account, CLEAN_CSV)
    digest = client.session[session_key(account)]["digest"]
    assert confirm(client, other, digest).status_code == 409
    assert not Item.objects.exists()


def test_a_confirmation_is_used_once(client: Client, cast: Cast, account: Any) -> None:
    login(client, cast, "communicator")
    upload(client, account, CLEAN_CSV)
    digest = client.session[session_key(account)]["digest"]
    assert confirm(client, account, digest).status_code == 302
    assert confirm(client, account, digest).status_code == 409
    assert Item.objects.count() == 2


def test_a_row_the_service_refuses_rolls_back_the_whole_import(
    client: Client, cast: Cast, account: Any
) -> None:
    """All or nothing: one row refused at the confirmation leaves no item from the file."""
    login(client, cast, "communicator")
    upload(client, account, CLEAN_CSV)
    session = client.session
    stored = session[session_key(account)]
    # A row that the parser would have refused, as if the rules had changed between preview and confirm.
    stored["rows"][1]["kind"] = "video"
    session[session_key(account)] = stored
    session.save()
    response = confirm(client, account, stored["digest"])
    assert response.status_code == 400
    assert [error.row for error in response.context["errors"]] == [3]
    assert not Item.objects.exists()
    assert not LogEntry.objects.exists()
