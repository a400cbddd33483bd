"""The consent register's one write path and its gate (KAU-CONSENT, KAU-CREDIT): recording with a kept
file, refusals that store nothing, who sees a record, linking posts, and a withdrawal that lists the
posts it affects and asks their owners to act."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import translation

from archive import export_records
from core import todo
from core.models import Notification
from moderation import consents
from moderation.consent_files import FileRefused, clean_file
from moderation.models import AffectedPost, Consent, CrowdSituation, PhotographerCredit, PostLink
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.moderation.consent_support import make_consent, make_publication, pdf_bytes, png


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_consent_is_recorded_with_its_signed_form_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    assert consent.social_media
    assert consent.file_type == "application/pdf"
    assert consent.file.name.startswith("consents/")
    assert consent.file.name.endswith(".pdf")
    assert len(_files(media_root)) == 1
    assert consent.history.count() == 1
    assert consent.history.first().history_user == cast["communicator"]
    assert list(consent.accounts.all()) == [account]


def test_an_image_of_the_form_is_kept_clean_kau_consent(cast: Cast, account: Any, media_root: Path) -> None:
    consent = make_consent(cast["communicator"], accounts=[account], data=png(), form="digital")
    assert consent.file_type == "image/png"


def test_a_pdf_loses_what_could_run_when_opened() -> None:
    clean = clean_file(pdf_bytes(javascript=True))
    import io

    with pikepdf.open(io.BytesIO(clean.data)) as pdf:
        assert "/OpenAction" not in pdf.Root


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><script>alert(1)</script></html>", b"%PDF-1.7 not really a pdf", b"GIF89a" + b"\0" * 20],
)
def test_a_refused_upload_stores_nothing_kau_consent(
    cast: Cast, account: Any, media_root: Path, data: bytes
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_consent(cast["communicator"], accounts=[account], data=data)
    assert "file" in caught.value.message_dict
    assert Consent.objects.count() == 0
    assert Consent.history.count() == 0
    assert _files(media_root) == []


def test_clean_file_refuses_an_empty_file() -> None:
    with pytest.raises(FileRefused):
        clean_file(b"")


def test_a_consent_must_cover_social_media_kau_consent(cast: Cast, account: Any, media_root: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        make_consent(cast["communicator"], accounts=[account], social_media=False)
    assert "social_media" in caught.value.message_dict
    assert _files(media_root) == []
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.filter(pk=make_consent(cast["communicator"], accounts=[account]).pk).update(
            social_media=False
        )


def test_a_communicator_records_only_for_the_accounts_they_keep(
    cast: Cast, account: Any, make_account: Any, media_root: Path
) -> None:
    elsewhere = make_account(unit="other", owner="other_head", deputies=("dean",))
    with pytest.raises(ValidationError) as caught:
        make_consent(cast["communicator"], accounts=[elsewhere])
    assert "accounts" in caught.value.message_dict
    with pytest.raises(ValidationError):
        make_consent(cast["communicator"], accounts=[])


def test_who_sees_a_consent_kau_consent(cast: Cast, account: Any, media_root: Path) -> None:
    """Owner and deputies of its accounts, the person who recorded it, the communications department
    and the social media lead; nobody else (personal data)."""
    consent = make_consent(cast["deputy"], accounts=[account])
    by_unit = make_consent(
        cast["communicator"], accounts=[], unit=cast.units["department"], person_name="Per"
    )
    for name in ("communicator", "deputy", "communications", "social_media_lead"):
        assert set(consents.consents_visible_to(cast[name])) == {consent, by_unit}, name
    for name in ("head_of_unit", "dean", "registrar", "security_officer", "outsider", "other_head"):
        assert not consents.consents_visible_to(cast[name]).exists(), name


def test_a_withdrawal_lists_affected_posts_and_notifies_owner_and_deputies_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    publication = make_publication(account)
    planned = consents.plan_post(
        account,
        planned_for=date(2026, 12, 1),
        description="Bild från labbet",
        has_image=True,
        by=cast["deputy"],
        now=NOW,
    )
    consents.link_record(publication=publication, consent=consent, by=cast["communicator"], now=NOW)
    consents.link_record(planned=planned, consent=consent, by=cast["communicator"], now=NOW)
    with pytest.raises(ValidationError):
        consents.withdraw_consent(consent, note=" ", by=cast["communicator"], now=NOW)
    affected = consents.withdraw_consent(
        consent, note="Per e-post den 25 november", by=cast["communications"], now=NOW
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at == NOW
    assert consent.withdrawn_by == cast["communications"]
    assert Consent.objects.filter(pk=consent.pk).exists()  # a state, never a deletion
    assert {(row.publication, row.planned) for row in affected} == {(publication, None), (None, planned)}
    told = Notification.objects.filter(kind="consent_withdrawn")
    assert {row.recipient for row in told} == {cast["communicator"], cast["deputy"]}
    assert all("Välkommen till introduktionsveckan 1" in row.body for row in told)
    with pytest.raises(ValidationError):
        consents.withdraw_consent(consent, note="Igen", by=cast["communicator"], now=NOW)
    # A withdrawn consent cannot be used again.
    with pytest.raises(ValidationError):
        consents.link_record(
            publication=make_publication(account, 2), consent=consent, by=cast["communicator"], now=NOW
        )


def test_affected_posts_stay_on_the_owners_start_page_until_handled_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    publication = make_publication(account)
    consents.link_record(publication=publication, consent=consent, by=cast["communicator"], now=NOW)
    (row,) = consents.withdraw_consent(consent, note="Muntligt", by=cast["communicator"], now=NOW)
    for name in ("communicator", "deputy"):
        keys = [section.key for section in todo.sections_for(cast[name], NOW)]
        assert "consents" in keys, name
    assert consents.affected_todo(cast["head_of_unit"], NOW) is None
    assert consents.withdrawn_unhandled(NOW) == 1
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        consents.mark_affected_handled(row, outcome="kept", reason="", by=cast["deputy"], now=NOW)
    assert "reason" in caught.value.message_dict
    with pytest.raises(Http404):
        consents.mark_affected_handled(row, outcome="removed", reason="", by=cast["head_of_unit"], now=NOW)
    consents.mark_affected_handled(row, outcome="removed", reason="", by=cast["deputy"], now=NOW)
    row.refresh_from_db()
    assert (row.outcome, row.handled_by) == (AffectedPost.Outcome.REMOVED, cast["deputy"])
    assert consents.affected_todo(cast["communicator"], NOW) is None
    assert consents.withdrawn_unhandled(NOW) == 0


def test_consents_expiring_counts_the_next_30_days_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    today = date(2026, 11, 26)
    make_consent(cast["communicator"], accounts=[account], valid_until=today + timedelta(days=10))
    make_consent(cast["communicator"], accounts=[account], valid_until=today + timedelta(days=31))
    make_consent(cast["communicator"], accounts=[account], valid_until=None)
    gone = make_consent(cast["communicator"], accounts=[account], valid_until=today + timedelta(days=3))
    consents.withdraw_consent(gone, note="Återkallat", by=cast["communicator"], now=NOW)
    assert consents.consents_expiring(NOW) == 1


def test_a_post_with_people_and_no_credit_warns_kau_credit(
    cast: Cast, account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    publication = make_publication(account)
    consents.link_record(publication=publication, consent=consent, by=cast["communicator"], now=NOW)
    links = consents.links_of(publication=publication)
    assert consents.needs_credit(links, has_image=False)
    credit = consents.record_credit(
        photographer="Jonas Berg",
        credit_line="Foto: Jonas Berg",
        no_credit_agreement="",
        agreed_social_media=True,
        agreement_note="Avtal per e-post",
        data=None,
        unit=None,
        accounts=[account],
        by=cast["communicator"],
        now=NOW,
    )
    consents.link_record(publication=publication, credit=credit, by=cast["communicator"], now=NOW)
    assert not consents.needs_credit(consents.links_of(publication=publication), has_image=True)
    # Linking twice keeps one link.
    consents.link_record(publication=publication, credit=credit, by=cast["deputy"], now=NOW)
    assert PostLink.objects.filter(publication=publication).count() == 2


def test_a_credit_needs_a_line_or_an_agreement_and_consent_to_social_media_kau_credit(
    cast: Cast, account: Any, media_root: Path
) -> None:
    base: dict[str, Any] = {
        "photographer": "Jonas Berg",
        "credit_line": "",
        "no_credit_agreement": "",
        "agreed_social_media": True,
        "agreement_note": "Avtal",
        "data": None,
        "unit": None,
        "accounts": [account],
        "by": cast["communicator"],
        "now": NOW,
    }
    with pytest.raises(ValidationError) as caught:
        consents.record_credit(**base)
    assert "credit_line" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        consents.record_credit(**{**base, "credit_line": "Foto: JB", "agreed_social_media": False})
    assert "agreed_social_media" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        consents.record_credit(**{**base, "credit_line": "Foto: JB", "agreement_note": "", "data": b"nope"})
    assert "file" in caught.value.message_dict
    assert PhotographerCredit.objects.count() == 0
    credit = consents.record_credit(**{**base, "no_credit_agreement": "Fotografen vill inte namnges."})
    assert credit.credit_line == ""


def test_a_crowd_situation_keeps_its_objections_kau_consent(cast: Cast, account: Any) -> None:
    crowd = consents.record_crowd(
        place="Aulan",
        occurred_on=date(2026, 11, 20),
        how_informed="Skyltar vid entrén och ett utrop före föreläsningen.",
        objections="",
        unit=None,
        accounts=[account],
        by=cast["communicator"],
        now=NOW,
    )
    consents.add_objection(
        crowd, text="En student bad att inte synas; klippt bort.", by=cast["deputy"], now=NOW
    )
    crowd.refresh_from_db()
    assert "klippt bort" in crowd.objections
    assert CrowdSituation.history.filter(id=crowd.pk).count() == 2


def test_archive_exports_do_not_include_consent_records_kau_consent(
    cast: Cast, account: Any, media_root: Path
) -> None:
    """A release of public records goes through the secrecy review: the archive's export rows of a
    publication say nothing of the consents it relies on."""
    consent = make_consent(cast["communicator"], accounts=[account], person_name="Hemlig Person")
    publication = make_publication(account)
    consents.link_record(publication=publication, consent=consent, by=cast["communicator"], now=NOW)
    row = export_records.publication_row(publication)
    assert "Hemlig Person" not in repr(row)
    assert not any("consent" in key for key in row)


def test_a_consent_covers_only_the_accounts_it_was_given_for_kau_consent(
    cast: Cast, account: Any, make_account: Any, media_root: Path
) -> None:
    consent = make_consent(cast["communicator"], accounts=[account])
    elsewhere = make_account(unit="other")
    with pytest.raises(ValidationError) as caught:
        consents.link_record(
            publication=make_publication(elsewhere), consent=consent, by=cast["communicator"], now=NOW
        )
    assert "record" in caught.value.message_dict
    assert not PostLink.objects.exists()


def test_the_start_page_section_reads_one_query_at_any_size_kau_consent(
    cast: Cast, account: Any, media_root: Path, django_assert_num_queries: Any
) -> None:
    def withdraw_one(number: int) -> None:
        consent = make_consent(cast["communicator"], accounts=[account], person_name=f"Person {number}")
        publication = make_publication(account, number)
        consents.link_record(publication=publication, consent=consent, by=cast["communicator"], now=NOW)
        consents.withdraw_consent(consent, note="Per e-post.", by=cast["communicator"], now=NOW)

    withdraw_one(1)
    with django_assert_num_queries(1):
        section = consents.affected_todo(cast["deputy"], NOW)
        assert section is not None
        assert len(section.rows) == 1
    for number in range(2, 8):
        withdraw_one(number)
    with django_assert_num_queries(1):
        section = consents.affected_todo(cast["deputy"], NOW)
        assert section is not None
        assert len(section.rows) == 7
