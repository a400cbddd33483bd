"""The consent register's pages (KAU-CONSENT, KAU-CREDIT): who gets in, the register's filters and its
fixed query count, recording through the form with a file, a refused upload that stores nothing, the
withdrawal's note, the post page's missing-credit warning, and marking an affected post handled."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import consents
from moderation.models import AffectedPost, Consent
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.moderation.consent_support import make_consent, make_publication, pdf_bytes
from tests.support import in_english


def client_for(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return in_english(client)


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("communicator", 200),
        ("deputy", 200),
        ("head_of_unit", 200),
        ("communications", 200),
        ("social_media_lead", 200),
        ("registrar", 403),
        ("security_officer", 403),
        ("outsider", 403),
    ],
)
def test_who_opens_the_register_kau_consent(cast: Cast, person: str, expected: int) -> None:
    assert client_for(cast[person]).get(reverse("moderation:consents")).status_code == expected


def test_the_register_asks_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(reverse("moderation:consents"))
    assert response.status_code == 302
    assert "logga-in" in response["Location"]


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("communicator", 200),
        ("deputy", 200),
        ("communications", 200),
        ("social_media_lead", 200),
        ("head_of_unit", 404),
        ("registrar", 404),
        ("security_officer", 404),
        ("outsider", 404),
    ],
)
def test_a_consent_page_is_not_found_for_those_who_need_not_see_it_kau_consent(
    cast: Cast, account: Any, media_root: Path, person: str, expected: int
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    client = client_for(cast[person])
    assert client.get(reverse("moderation:consent", args=[consent.pk])).status_code == expected
    assert client.get(reverse("moderation:consent_file", args=[consent.pk])).status_code == expected


def test_the_register_filters_and_searches_kau_consent(
    cast: Cast, account: Any, media_root: Path, fixed_clock: Any
) -> None:
    make_consent(cast["communicator"], accounts=[account], person_name="Anna Valid")
    make_consent(
        cast["communicator"],
        accounts=[account],
        person_name="Bo Snart",
        valid_until=date(2026, 12, 6),  # within 30 days of NOW
    )
    gone = make_consent(cast["communicator"], accounts=[account], person_name="Cecilia Borta")
    consents.withdraw_consent(gone, note="Per telefon.", by=cast["communicator"], now=NOW)
    client = client_for(cast["deputy"])
    url = reverse("moderation:consents")

    def names(**query: str) -> set[str]:
        response = client.get(url, query)
        return {consent.person_name for consent in response.context["consents"]}

    assert names() == {"Anna Valid", "Bo Snart", "Cecilia Borta"}
    assert names(state="valid") == {"Anna Valid", "Bo Snart"}
    assert names(state="expiring") == {"Bo Snart"}
    assert names(state="withdrawn") == {"Cecilia Borta"}
    assert names(q="cecilia") == {"Cecilia Borta"}
    assert names(state="nonsense") == {"Anna Valid", "Bo Snart", "Cecilia Borta"}
    # Another department's communicator sees none of them.
    assert client_for(cast["outsider"]).get(url).status_code == 403


def test_the_register_costs_the_same_queries_at_two_sizes(
    cast: Cast, account: Any, media_root: Path, make_account: Any
) -> None:
    client = client_for(cast["communicator"])
    url = reverse("moderation:consents")

    def count() -> int:
        client.get(url)  # warm the session and the person
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    make_consent(cast["communicator"], accounts=[account])
    make_publication(account, 1)
    small = count()
    for number in range(2, 7):
        other = make_account()
        make_consent(cast["communicator"], accounts=[account, other], person_name=f"Person {number}")
        make_publication(other, number)
        consents.plan_post(
            other, planned_for=date(2026, 12, number), description="Bild", has_image=True,
            by=cast["communicator"], now=NOW,
        )  # fmt: skip
    assert count() == small


def test_recording_a_consent_through_the_form_keeps_the_file_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    client = client_for(cast["communicator"])
    response = client.post(
        reverse("moderation:consent_create"),
        {
            "person_name": "Lina Ek",
            "material": "Film från öppet hus",
            "social_media": "on",
            "form": "written",
            "file": SimpleUploadedFile("blankett.pdf", pdf_bytes(), content_type="application/pdf"),
            "given_on": "2026-11-20",
            "valid_until": "2027-11-20",
            "accounts": [account.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = Consent.objects.get()
    assert consent.recorded_by == cast["communicator"]
    served = client.get(reverse("moderation:consent_file", args=[consent.pk]))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"


def test_a_refused_upload_through_the_form_stores_nothing_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    client = client_for(cast["communicator"])
    response = client.post(
        reverse("moderation:consent_create"),
        {
            "person_name": "Lina Ek",
            "material": "Film",
            "social_media": "on",
            "form": "written",
            "file": SimpleUploadedFile(
                "blankett.pdf", b"<svg onload=alert(1)>", content_type="application/pdf"
            ),
            "given_on": "2026-11-20",
            "accounts": [account.pk],
        },
    )
    assert response.status_code == 400
    assert "Only a PDF" in response.content.decode()
    assert not Consent.objects.exists()
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*"))


def test_a_withdrawal_needs_a_note_kau_consent(cast: Cast, account: Any, media_root: Path) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    client = client_for(cast["deputy"])
    url = reverse("moderation:consent_withdraw", args=[consent.pk])
    assert client.post(url, {"note": ""}).status_code == 400
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert client.get(url).status_code == 405
    assert client.post(url, {"note": "Per e-post den 25 november."}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_a_post_with_people_but_no_credit_shows_a_warning_kau_credit(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    publication = make_publication(account)
    client = client_for(cast["communicator"])
    url = reverse("moderation:publication", args=[publication.pk])
    assert "data-credit-missing" not in client.get(url).content.decode()
    response = client.post(
        reverse("moderation:publication_link", args=[publication.pk]), {"record": f"consent:{consent.pk}"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "data-credit-missing" in page
    assert "Sara Lind" in page
    assert client_for(cast["head_of_unit"]).get(url).status_code == 404


def test_the_owner_marks_an_affected_post_handled_from_the_start_page_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    publication = make_publication(account)
    consents.link_record(publication=publication, consent=consent, by=cast["communicator"], now=NOW)
    (row,) = consents.withdraw_consent(consent, note="Per e-post.", by=cast["communications"], now=NOW)
    client = client_for(cast["communicator"])
    home = client.get(reverse("core:home")).content.decode()
    assert f'data-affected-post="{row.pk}"' in home
    url = reverse("moderation:affected_handled", args=[row.pk])
    assert client.post(url, {"outcome": "kept", "reason": ""}).status_code == 400
    assert client_for(cast["head_of_unit"]).post(url, {"outcome": "removed"}).status_code == 404
    response = client.post(url, {"outcome": "replaced", "reason": "", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    row.refresh_from_db()
    assert row.outcome == AffectedPost.Outcome.REPLACED
    assert f'data-affected-post="{row.pk}"' not in client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("given_on", ["0001-01-01", "9999-12-31", "2026-02-30", "2026-11-27" + "9" * 1000])
def test_a_hostile_day_is_refused_on_its_field_and_stores_nothing_kau_consent(
    cast: Cast, account: Any, media_root: Path, fixed_clock: Any, given_on: str
) -> None:
    response = client_for(cast["communicator"]).post(
        reverse("moderation:consent_create"),
        {
            "person_name": "Lina Ek",
            "material": "Film",
            "social_media": "on",
            "form": "written",
            "file": SimpleUploadedFile("blankett.pdf", pdf_bytes(), content_type="application/pdf"),
            "given_on": given_on,
            "accounts": [account.pk],
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["given_on"]
    assert not Consent.objects.exists()


def test_correcting_a_consent_keeps_its_history_and_a_withdrawn_one_stays_as_it_was_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    client = client_for(cast["deputy"])
    url = reverse("moderation:consent_edit", args=[consent.pk])
    data = {"person_name": "Sara Lindh", "material": "Porträtt", "valid_until": "", "accounts": [account.pk]}
    assert client.post(url, data).status_code == 302
    consent.refresh_from_db()
    assert consent.person_name == "Sara Lindh"
    assert [row.person_name for row in consent.history.order_by("history_date")] == [
        "Sara Lind",
        "Sara Lindh",
    ]
    page = client.get(reverse("moderation:consent", args=[consent.pk])).content.decode()
    assert "Corrected" in page
    consents.withdraw_consent(consent, note="Per e-post.", by=cast["deputy"], now=NOW)
    assert client.post(url, {**data, "person_name": "Någon annan"}).status_code == 400
    consent.refresh_from_db()
    assert consent.person_name == "Sara Lindh"
