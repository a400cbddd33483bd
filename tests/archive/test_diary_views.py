"""The diary pages (archive.diary_views) for every role: building a package from the item page, the
package page and download, recording the registration number, and the registrar's queue
(KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive import diary_numbers, registration
from archive.models import DiaryPackage
from tests.archive.diary_support import NOW, account, make_item, media_root, registrable
from tests.conftest import Cast
from tests.support import in_english, login

__all__ = ["account", "make_item", "media_root", "registrable"]  # fixtures used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]

PEOPLE = [
    "anonymous",
    "outsider",
    "communications",
    "registrar",
    "head_of_unit",
    "social_media_lead",
    "communicator",
    "deputy",
]


def assert_sign_in(response: Any) -> None:
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.fixture
def package(cast: Cast, registrable: Any) -> DiaryPackage:
    return registration.build_package(
        registrable(), subject="Kritik mot antagningen", secrecy="", by=cast["communicator"], now=NOW
    )


# --- Building ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("communications", 404),
        ("registrar", 404),  # the registrar sees packages, not items
        ("head_of_unit", 403),
        ("social_media_lead", 403),
        ("communicator", 302),
        ("deputy", 302),
    ],
)
def test_owner_and_deputy_build_the_package_others_cannot_kau_diary_action(
    client: Client, cast: Cast, registrable: Any, person: str, expected: int
) -> None:
    item = registrable()
    response = login(client, cast, person).post(
        reverse("archive:package_build", args=[item.pk]),
        {"package-subject": "Kritik mot antagningen", "package-secrecy": ""},
    )
    assert response.status_code == expected
    if person == "anonymous":
        assert_sign_in(response)
    elif expected == 302:
        package = DiaryPackage.objects.get()
        assert response["Location"] == reverse("archive:package", args=[package.pk])
        assert package.built_by == cast[person]
    if expected != 302 or person == "anonymous":
        assert not DiaryPackage.objects.exists()


def test_building_is_a_post(client: Client, cast: Cast, registrable: Any) -> None:
    item = registrable()
    response = login(client, cast, "communicator").get(reverse("archive:package_build", args=[item.pk]))
    assert response.status_code == 405


def test_an_empty_subject_is_400_with_the_field_named(client: Client, cast: Cast, registrable: Any) -> None:
    item = registrable()
    response = in_english(login(client, cast, "communicator")).post(
        reverse("archive:package_build", args=[item.pk]), {"package-subject": "", "package-secrecy": ""}
    )
    assert response.status_code == 400
    assert "subject" in response.context["form"].errors
    assert not DiaryPackage.objects.exists()


def test_no_screenshot_is_400_telling_to_add_one_first(client: Client, cast: Cast, registrable: Any) -> None:
    item = registrable(shots=0)
    response = in_english(login(client, cast, "communicator")).post(
        reverse("archive:package_build", args=[item.pk]), {"package-subject": "Kritik", "package-secrecy": ""}
    )
    assert response.status_code == 400
    assert "Add a screenshot of the post and its replies first" in response.content.decode()
    assert not DiaryPackage.objects.exists()


def test_an_item_not_requiring_registration_is_400(client: Client, cast: Cast, make_item: Any) -> None:
    item = make_item()
    response = login(client, cast, "communicator").post(
        reverse("archive:package_build", args=[item.pk]), {"package-subject": "Kritik", "package-secrecy": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not DiaryPackage.objects.exists()


@pytest.mark.parametrize(
    "author",
    ["Lisa 🌸 Berg", "👩\u200d👩\u200d👧 🇸🇪 👍🏽", "王小明 김민준", "محمد", "a\x01b\x1bc", "Å" * 200],
    ids=["emoji", "emoji sequences", "cjk", "arabic", "controls", "long"],
)
def test_a_sender_named_with_any_characters_gets_a_package_not_a_server_error(
    client: Client, cast: Cast, registrable: Any, author: str
) -> None:
    """KAU-DIARY-ACTION: building for a sender named ``Lisa 🌸 Berg`` answered 500."""
    item = registrable(author=author)
    response = login(client, cast, "communicator").post(
        reverse("archive:package_build", args=[item.pk]),
        {"package-subject": f"Kritik från {author[:50]}", "package-secrecy": ""},
    )
    assert response.status_code == 302
    package = DiaryPackage.objects.get()
    assert package.fields["rows"][1] == {"key": "sender", "label": "Avsändare", "value": author}


def test_a_package_that_cannot_be_written_is_400_with_a_clear_error_and_nothing_stored(
    client: Client, cast: Cast, registrable: Any, settings: Any, media_root: Any
) -> None:
    """Should the PDF/A still be refused (here: a flavour the setting should never hold), the person
    is told and nothing is stored or sent, rather than a server error."""
    from core.models import Notification

    item = registrable()
    files_before = sorted(p.name for p in media_root.rglob("*") if p.is_file())
    settings.KANALVAKT_PDFA_FLAVOUR = "3b"
    response = in_english(login(client, cast, "communicator")).post(
        reverse("archive:package_build", args=[item.pk]), {"package-subject": "Kritik", "package-secrecy": ""}
    )
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert errors == [
        "Kanalvakt could not write the diary package as PDF/A, so nothing was built or sent. Try "
        "again; if it fails again, tell the administrator (the server's log has the details)."
    ]
    assert not DiaryPackage.objects.exists()
    assert not Notification.objects.filter(kind="diary_package").exists()
    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == files_before


# --- One package --------------------------------------------------------------------------------------

SEE = {
    "anonymous": 302,
    "outsider": 404,
    "communications": 404,
    "registrar": 200,
    "head_of_unit": 200,
    "social_media_lead": 200,
    "communicator": 200,
    "deputy": 200,
}


@pytest.mark.parametrize("person", PEOPLE)
def test_the_package_page_for_each_role(
    client: Client, cast: Cast, package: DiaryPackage, person: str
) -> None:
    response = login(client, cast, person).get(reverse("archive:package", args=[package.pk]))
    assert response.status_code == SEE[person]
    if person == "anonymous":
        assert_sign_in(response)
    if response.status_code == 200:
        assert response.context["package"] == package
        rows = {row["key"] for row in response.context["rows"]}
        assert {"received_at", "sender", "recipient", "subject", "rule_ids", "screenshots"} <= rows
        # Only the registrar gets the number form; the item link only for those who see the item.
        assert (response.context["register_form"] is not None) == (person == "registrar")
        assert response.context["may_see_item"] == (person != "registrar")


@pytest.mark.parametrize("person", PEOPLE)
def test_the_download_for_each_role(client: Client, cast: Cast, package: DiaryPackage, person: str) -> None:
    response = login(client, cast, person).get(reverse("archive:package_download", args=[package.pk]))
    assert response.status_code == SEE[person]
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body.startswith(b"%PDF-")
        assert hashlib.sha256(body).hexdigest() == package.pdf_sha256


def test_the_fields_download_as_csv_and_json_with_the_number(
    client: Client, cast: Cast, package: DiaryPackage
) -> None:
    diary_numbers.register_package(package, diary_number="KAU 2026/7", by=cast["registrar"], now=NOW)
    login(client, cast, "communicator")
    url = reverse("archive:package_download", args=[package.pk])
    as_csv = client.get(url, {"format": "csv"})
    assert as_csv["Content-Type"].startswith("text/csv")
    assert "KAU 2026/7" in as_csv.content.decode("utf-8-sig")
    as_json = client.get(url, {"format": "json"})
    assert as_json.json()["fields"]["diary_number"] == "KAU 2026/7"
    # The same names as the e-mail's attachments: the package's id and the day it was built.
    base = f"diariepaket-{package.pk}-2026-11-26"
    for response, extension in ((client.get(url), "pdf"), (as_csv, "csv"), (as_json, "json")):
        assert response["Content-Disposition"] == f'attachment; filename="{base}.{extension}"'


# --- Registering ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("communications", 404),
        ("registrar", 302),
        ("head_of_unit", 403),
        ("social_media_lead", 403),
        ("communicator", 403),
        ("deputy", 403),
    ],
)
def test_only_the_registrar_records_the_number(
    client: Client, cast: Cast, package: DiaryPackage, person: str, expected: int
) -> None:
    response = login(client, cast, person).post(
        reverse("archive:package_register", args=[package.pk]), {"diary_number": "KAU 2026/123"}
    )
    assert response.status_code == expected
    package.refresh_from_db()
    if person == "registrar":
        assert response["Location"] == reverse("archive:package", args=[package.pk])
        assert (package.diary_number, package.registered_by) == ("KAU 2026/123", cast["registrar"])
    else:
        assert package.registered_at is None
        if person == "anonymous":
            assert_sign_in(response)


def test_from_the_queue_back_to_the_queue(client: Client, cast: Cast, package: DiaryPackage) -> None:
    response = login(client, cast, "registrar").post(
        reverse("archive:package_register", args=[package.pk]),
        {"diary_number": "KAU 2026/1", "from": "queue"},
    )
    assert response["Location"] == reverse("archive:registry_queue")


@pytest.mark.parametrize("number", ["", "x" * 61])
def test_a_bad_number_is_400_with_the_field_named(
    client: Client, cast: Cast, package: DiaryPackage, number: str
) -> None:
    response = login(client, cast, "registrar").post(
        reverse("archive:package_register", args=[package.pk]), {"diary_number": number}
    )
    assert response.status_code == 400
    assert "diary_number" in response.context["register_form"].errors
    package.refresh_from_db()
    assert package.registered_at is None


def test_a_second_different_number_is_400(client: Client, cast: Cast, package: DiaryPackage) -> None:
    diary_numbers.register_package(package, diary_number="KAU 2026/1", by=cast["registrar"], now=NOW)
    response = login(client, cast, "registrar").post(
        reverse("archive:package_register", args=[package.pk]), {"diary_number": "KAU 2026/2"}
    )
    assert response.status_code == 400
    assert "diary_number" in response.context["register_form"].errors
    package.refresh_from_db()
    assert package.diary_number == "KAU 2026/1"


# --- The registrar's queue ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_the_queue_is_the_registrars(client: Client, cast: Cast, person: str) -> None:
    response = login(client, cast, person).get(reverse("archive:registry_queue"))
    expected = {"anonymous": 302, "registrar": 200}.get(person, 403)
    assert response.status_code == expected


def test_the_queue_shows_what_awaits_oldest_first_and_the_registered_tab(
    client: Client, cast: Cast, registrable: Any
) -> None:
    first = registration.build_package(
        registrable(), subject="Först", secrecy="", by=cast["communicator"], now=NOW - timedelta(hours=2)
    )
    second = registration.build_package(
        registrable(), subject="Sedan", secrecy="", by=cast["deputy"], now=NOW - timedelta(hours=1)
    )
    registered = registration.build_package(
        registrable(), subject="Klar", secrecy="", by=cast["deputy"], now=NOW - timedelta(hours=3)
    )
    diary_numbers.register_package(registered, diary_number="KAU 2026/9", by=cast["registrar"], now=NOW)
    login(client, cast, "registrar")
    awaiting = client.get(reverse("archive:registry_queue"))
    assert [package for package, _form in awaiting.context["rows"]] == [first, second]
    html = awaiting.content.decode()
    assert reverse("archive:package_download", args=[first.pk]) in html
    assert f'action="{reverse("archive:package_register", args=[first.pk])}"' in html
    done = client.get(reverse("archive:registry_queue"), {"show": "registered"})
    assert [package for package, _form in done.context["rows"]] == [registered]
    assert "KAU 2026/9" in done.content.decode()


def _packages(cast: Cast, make_item: Any, count: int) -> None:
    """Package rows for the query count: written directly, the PDF itself does not matter here."""
    for number in range(count):
        item = make_item()
        DiaryPackage.objects.create(
            item=item,
            subject=f"Ärende {number}",
            pdf=f"diary/{number}.pdf",
            pdf_sha256="0" * 64,
            built_at=NOW - timedelta(minutes=number),
            built_by=cast["communicator"],
        )


@pytest.mark.parametrize("show", ["awaiting", "registered"])
def test_the_queue_costs_the_same_at_1_and_20_packages(
    client: Client, cast: Cast, make_item: Any, show: str
) -> None:
    login(client, cast, "registrar")
    counts = []
    for size in (1, 20):
        _packages(cast, make_item, size - DiaryPackage.objects.count())
        if show == "registered":
            for package in DiaryPackage.objects.filter(registered_at=None):
                package.diary_number, package.registered_at, package.registered_by = (
                    "N",
                    NOW,
                    cast["registrar"],
                )
                package.save()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("archive:registry_queue"), {"show": show})
        assert response.status_code == 200
        assert len(response.context["rows"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- CSRF -----------------------------------------------------------------------------------------------


def test_changes_need_the_csrf_token(cast: Cast, registrable: Any, package: DiaryPackage) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["communicator"])
    item = registrable()
    response = browser.post(
        reverse("archive:package_build", args=[item.pk]), {"package-subject": "Kritik", "package-secrecy": ""}
    )
    assert response.status_code == 403
    assert DiaryPackage.objects.count() == 1
    registrar = Client(enforce_csrf_checks=True)
    registrar.force_login(cast["registrar"])
    response = registrar.post(reverse("archive:package_register", args=[package.pk]), {"diary_number": "X"})
    assert response.status_code == 403
    package.refresh_from_db()
    assert package.registered_at is None


# --- The item page's registration section --------------------------------------------------------------


def test_the_item_page_offers_the_build_form_to_moderators_only(
    client: Client, cast: Cast, registrable: Any
) -> None:
    item = registrable()
    url = reverse("moderation:item", args=[item.pk])
    build_action = f'action="{reverse("archive:package_build", args=[item.pk])}"'
    owner_page = login(client, cast, "communicator").get(url).content.decode()
    assert 'id="h-registration"' in owner_page
    assert build_action in owner_page
    assert re.search(r'name="package-subject"[^>]*value="[^"]+"', owner_page)  # prefilled from the item
    head_page = login(Client(), cast, "head_of_unit").get(url).content.decode()
    assert 'id="h-registration"' in head_page
    assert build_action not in head_page


def test_the_item_page_shows_each_package_its_state_and_number(
    client: Client, cast: Cast, package: DiaryPackage
) -> None:
    url = reverse("moderation:item", args=[package.item_id])
    page = login(client, cast, "communicator").get(url).content.decode()
    assert reverse("archive:package_download", args=[package.pk]) in page
    assert 'data-package-status="outbox"' in page  # handed to the outbox, not delivered yet
    diary_numbers.register_package(package, diary_number="KAU 2026/55", by=cast["registrar"], now=NOW)
    page = client.get(url).content.decode()
    assert 'data-package-status="registered"' in page
    assert "KAU 2026/55" in page
    assert f'action="{reverse("archive:package_build", args=[package.item_id])}"' not in page  # registered


def test_an_item_not_requiring_registration_offers_no_build(
    client: Client, cast: Cast, make_item: Any
) -> None:
    item = make_item()
    page = (
        login(client, cast, "communicator").get(reverse("moderation:item", args=[item.pk])).content.decode()
    )
    assert 'id="h-registration"' in page
    assert reverse("archive:package_build", args=[item.pk]) not in page


def test_the_registrars_start_page_lists_what_awaits_a_number_kau_diary_action(
    client: Client, cast: Cast, package: DiaryPackage
) -> None:
    """KAU-DIARY-ACTION: the registrar sees on the start page what waits for a registration number;
    nobody else has the section."""
    client.force_login(cast["registrar"])
    sections = {section.key: section for section in client.get(reverse("core:home")).context["sections"]}
    assert [row.pk for row in sections["packages"].rows] == [package.pk]
    client.force_login(cast["communicator"])
    assert "packages" not in {section.key for section in client.get(reverse("core:home")).context["sections"]}
