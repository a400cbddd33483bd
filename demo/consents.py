"""Demo consent register (KAU-CONSENT, KAU-CREDIT): consents for the engineering programme's Instagram
account, one of them withdrawn with a published post waiting for its owner to act, a crowd situation
with an objection, and a photographer credit linked to the post. Idempotent: rows are found by their
natural key; everything goes through moderation.consents, as a communicator would."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pikepdf

from accounts.models import Account
from core.calendar import local_today
from core.models import User
from moderation import consents
from moderation.models import Consent, CrowdSituation, PhotographerCredit
from moderation.platform import keep_publication

HANDLE = "civing_kau"


def _signed_form() -> bytes:
    """A one-page PDF standing in for a scanned, signed consent form."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def seed_consents(people: dict[str, User], accounts: dict[str, Account], *, now: datetime) -> int:
    """The demo's consent register; returns the number of records created now."""
    account = accounts.get(HANDLE)
    if account is None:
        return 0
    anna, today = people["anna"], local_today(now)
    where: dict[str, Any] = {"unit": None, "accounts": [account], "by": anna, "now": now}
    created = 0

    def consent(name: str, material: str, *, valid_until: date | None) -> Consent:
        nonlocal created
        found = Consent.objects.filter(person_name=name, recorded_by=anna).first()
        if found is not None:
            return found
        created += 1
        return consents.record_consent(
            person_name=name, material=material, social_media=True, form=Consent.Form.WRITTEN,
            data=_signed_form(), given_on=today - timedelta(days=60), valid_until=valid_until, **where,
        )  # fmt: skip

    consent("Elin Berg", "Porträtt i labbet för programmets presentation", valid_until=None)
    consent("Jonas Ek", "Film från öppet hus", valid_until=today + timedelta(days=20))
    withdrawn = consent("Sofia Lund", "Bilder från introduktionsveckan", valid_until=None)

    publication, _new = keep_publication(
        account,
        platform_id="demo-consent-post-1",
        kind="post",
        text="Så var introduktionsveckan! Tack alla nya civilingenjörsstudenter.",
        published_at=now - timedelta(days=14),
    )
    credit = PhotographerCredit.objects.filter(photographer="Mikael Sund").first()
    if credit is None:
        created += 1
        credit = consents.record_credit(
            photographer="Mikael Sund", credit_line="Foto: Mikael Sund", no_credit_agreement="",
            agreed_social_media=True, agreement_note="Avtal per e-post, sparat i ärendet.", data=None,
            **where,
        )  # fmt: skip
    if CrowdSituation.objects.filter(place="Aulan, välkomstföreläsningen").first() is None:
        created += 1
        crowd = consents.record_crowd(
            place="Aulan, välkomstföreläsningen", occurred_on=today - timedelta(days=15),
            how_informed="Skyltar vid entrén och ett utrop före föreläsningen; den som inte ville synas "
            "kunde sätta sig på raderna längst bak.", objections="", **where,
        )  # fmt: skip
        consents.add_objection(crowd, text="En student bad att inte synas; bilden beskars.", by=anna, now=now)
    consents.link_record(publication=publication, credit=credit, by=anna, now=now)
    if withdrawn.withdrawn_at is None:
        consents.link_record(publication=publication, consent=withdrawn, by=anna, now=now)
        consents.withdraw_consent(
            withdrawn, note="Sofia mejlade den 1 december och tog tillbaka sitt samtycke.", by=anna, now=now
        )
    return created
