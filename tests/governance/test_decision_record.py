"""The decision record holds the whole strategy document: every answer the requester gave, on the
printable page and in the PDF alike (KAU-START-CHECKLIST, KAU-CONTENT, KTH-RESOURCES, KTH-TERMS)."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from governance.completeness import CHECKLIST_FIELDS, CONTENT_FIELDS
from tests.conftest import Cast
from tests.core import pdf_support
from tests.governance.factories import complete_request_data, make_request

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
