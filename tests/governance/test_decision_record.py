"""The decision record holds the whole strategy document: every answer the requester gave, on the
printable page and in the PDF alike (KAU-START-CHECKLIST, KAU-CONTENT, KTH-RESOURCES, KTH-TERMS)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html import unescape
from typing import Any

import pikepdf
import pikepdf.pdfa
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance import services as governance_services
from governance.completeness import CHECKLIST_FIELDS, CONTENT_FIELDS
from governance.models import AccountRequest
from tests.conftest import Cast
from tests.core import pdf_support
from tests.governance.factories import complete_request_data, make_request
from tests.support import in_english

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (*CHECKLIST_FIELDS, *CONTENT_FIELDS, "planned_frequency", "resource_people", "terms_note")


def test_the_record_shows_every_strategy_field(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="approved", resource_hours_per_week=Decimal("4.5"))
    data = complete_request_data(cast)
    client.force_login(cast["communicator"])
    body = unescape(client.get(reverse("governance:request_record", args=[req.pk])).content.decode())
    strategy = body.split("data-record-strategy", 1)[1].split("</dl>", 1)[0]
    for name in TEXT_FIELDS:
        assert f'data-field="{name}">{data[name]}<' in strategy, name
    assert 'data-field="resource_hours_per_week">4,5<' in strategy  # a decimal comma in Swedish
    assert 'data-field="profile_picture"' in strategy


def test_the_pdf_record_says_the_same(client: Client, cast: Cast) -> None:
    req = make_request(cast, state="approved", resource_hours_per_week=Decimal("4.5"))
    data = complete_request_data(cast)
    client.force_login(cast["communicator"])
    pdf = client.get(reverse("governance:request_record_pdf", args=[req.pk]))
    text = " ".join(pdf_support.text(pdf.content).split())
    for name in TEXT_FIELDS:
        # Long answers wrap: compare their first words.
        assert " ".join(data[name].split()[:4]) in text, name
    assert "4,5" in text


# --- The record as PDF/A-2b (RA-FS 2009:2; KAU-START-APPROVAL, KAU-PUBLIC-RECORD) ---------------------

DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"

# What requesters and institutions type: a Polish name, an emoji, Chinese, a combining mark.
UNUSUAL = {
    "institution_name": "Łódź 🌸 大学 Universitet",
    "name": "Fysik 🔭 物理 Łukasz",
    "purpose": "Visa fysiken för Łukasz Żółć och 王小明 🌸 — e\u0301tudiants.",
    "checklist_audience": "学生 och gymnasieelever 👩‍🎓 som funderar på fysik",
    "planned_frequency": "Två inlägg i veckan 📅",
}


def _record_pdf(client: Client, cast: Cast, **overrides: Any) -> bytes:
    governance_services.update_institution_settings(
        by=cast["social_media_lead"], institution_name=UNUSUAL["institution_name"]
    )
    req = make_request(cast, state="approved", **overrides)
    client.force_login(cast["communicator"])
    response = client.get(reverse("governance:request_record_pdf", args=[req.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_the_pdf_record_passes_the_pdfa_2b_validator_with_any_unicode(client: Client, cast: Cast) -> None:
    """The record the registry keeps passes the same validation as the diary packages."""
    fields = {key: value for key, value in UNUSUAL.items() if key != "institution_name"}
    data = _record_pdf(client, cast, resource_hours_per_week=Decimal("1234.5"), **fields)
    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
    assert report.passed, report.findings
    pdf = pikepdf.open(io.BytesIO(data))
    meta = pdf.open_metadata()
    assert (meta[f"{PDFAID}part"], meta[f"{PDFAID}conformance"]) == ("2", "B")
    assert "/OutputIntents" in pdf.Root
    # Every font a page names is embedded (a TrueType subset with its font file).
    fonts = [font for page in pdf.pages for font in page.Resources.get("/Font", {}).values()]
    assert fonts
    for font in fonts:
        descriptor = (
            font.FontDescriptor if "/FontDescriptor" in font else font.DescendantFonts[0].FontDescriptor
        )
        assert "/FontFile2" in descriptor, font.BaseFont


def test_the_pdf_record_carries_its_xmp(client: Client, cast: Cast) -> None:
    data = _record_pdf(client, cast, name=UNUSUAL["name"])
    req = AccountRequest.objects.get()
    meta = pikepdf.open(io.BytesIO(data)).open_metadata()
    assert meta[f"{DC}title"].endswith(f": {UNUSUAL['name']} (Instagram)")
    # No registration number is known, so the identifier is Kanalvakt's reference to the request.
    assert meta[f"{DC}identifier"] == f"kanalvakt:request:{req.pk}"
    assert meta[f"{DC}creator"] == [str(req.decided_by)]
    assert UNUSUAL["institution_name"] in meta[f"{DC}description"]
    assert meta[f"{XMP}CreateDate"]
    assert meta[f"{DC}date"] == [timezone.localtime(req.decided_at).replace(microsecond=0).isoformat()]


def test_the_pdf_record_holds_the_institution_first_and_every_strategy_field(
    client: Client, cast: Cast
) -> None:
    pdf_support.require_fallback_fonts()  # the emoji and Chinese are drawn by the fallback fonts
    fields = {key: value for key, value in UNUSUAL.items() if key != "institution_name"}
    data = _record_pdf(client, cast, resource_hours_per_week=Decimal("1234.5"), **fields)
    lines = [line for page in pdf_support.page_lines(data) for line in page]
    assert lines[0] == UNUSUAL["institution_name"]  # the university's name at the top
    assert lines[1] == "Beslut om nytt konto i sociala medier" or lines[1].startswith("Decision")
    text = re.sub(r"[ \n]+", " ", " ".join(lines))  # not split(): it would take the no-break space
    strategy = complete_request_data(cast, **fields)
    for name in TEXT_FIELDS:
        assert " ".join(strategy[name].split()[:4]) in text, name
    for value in fields.values():
        assert value in text, value
    # Swedish: a decimal comma and a space between thousands (Django writes a no-break space, which
    # ReportLab's paragraph sets as a space).
    assert re.search("1[ \xa0]234,5", text)


def test_the_record_says_the_same_on_the_page_and_in_the_pdf(client: Client, cast: Cast) -> None:
    """Every label of the printable page is in the PDF, the registration number field included, and
    the hours are written alike."""
    data = _record_pdf(client, cast, resource_hours_per_week=Decimal("1234.5"))
    req = AccountRequest.objects.get()
    body = unescape(client.get(reverse("governance:request_record", args=[req.pk])).content.decode())
    assert f"<strong>{UNUSUAL['institution_name']}</strong>" in body
    assert 'data-field="resource_hours_per_week">1\xa0234,5<' in body
    assert 'data-field="registry_number"><span class="record-blank"' in body  # empty, to write in
    # A label and its value share a line in the PDF's text; a long label wraps beside its value.
    pdf_text = "".join(pdf_support.text(data).split())
    labels = re.findall(r"<dt>([^<]+)</dt>", body.split('<article class="record">', 1)[1])
    assert len(labels) >= 25
    for label in labels:
        assert all(word in pdf_text for word in label.split()), label


def test_the_pdf_record_in_english_writes_english_numbers(client: Client, cast: Cast) -> None:
    in_english(client)
    data = _record_pdf(client, cast, resource_hours_per_week=Decimal("1234.5"))
    text = " ".join(pdf_support.text(data).split())
    assert "1,234.5" in text
    assert "Registration number (diarienummer)" in text
    assert "Filled in by the registry when the record is registered." in text
