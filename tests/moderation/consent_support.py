"""Shared by the consent register's tests (KAU-CONSENT, KAU-CREDIT): files and small factories."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pikepdf

from moderation import consents
from moderation.platform import keep_publication
from tests import support
from tests.moderation.conftest import NOW


def pdf_bytes(*, javascript: bool = False) -> bytes:
    """A real one-page PDF, optionally with a document open action that runs JavaScript."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    if javascript:
        action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        pdf.Root.OpenAction = pdf.make_indirect(action)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_consent(by: Any, *, accounts: list[Any], data: bytes | None = None, **extra: Any) -> Any:
    fields: dict[str, Any] = {
        "person_name": "Sara Lind",
        "material": "Porträtt från introduktionsveckan",
        "social_media": True,
        "form": "written",
        "data": data if data is not None else pdf_bytes(),
        "given_on": date(2026, 11, 1),
        "valid_until": None,
        "unit": None,
        "accounts": accounts,
    }
    fields.update(extra)
    return consents.record_consent(**fields, by=by, now=NOW)


def make_publication(account: Any, number: int = 1, **extra: Any) -> Any:
    publication, _created = keep_publication(
        account,
        platform_id=f"post-{number}",
        kind="post",
        text=extra.pop("text", f"Välkommen till introduktionsveckan {number}!"),
        published_at=NOW - timedelta(days=number),
        **extra,
    )
    return publication


def png() -> bytes:
    return support.png((60, 40))
