"""Two reviewers release the same review at the same moment, each on a database connection of its own
(KAU-PUBLIC-RECORD): the review is locked, so exactly one copy is released and the other is refused as
closed; nothing is written twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from archive import secrecy
from archive.models import LedgerEntry, Release, SecrecyReview
from tests.archive.secrecy_support import NOW, Archive, account, archive, make_item, media_root, open_review
from tests.conftest import Cast
from tests.support import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
FIXTURES = (account, archive, make_item, media_root)


def test_two_releases_at_once_release_one_copy(cast: Cast, archive: Archive) -> None:
    review = open_review(cast)
    exports_before = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).count()

    def release(person: str) -> Any:
        def work() -> Any:
            try:
                return secrecy.release_review(
                    SecrecyReview.objects.get(pk=review.pk),
                    recipient=f"Anonym, via {person}",
                    confirmed=True,
                    by=cast[person],
                    now=NOW + timedelta(hours=1),
                )
            except ValidationError as exc:
                return exc

        return work

    outcomes = run_in_threads(release("registrar"), release("social_media_lead"))
    released = [outcome for outcome in outcomes if isinstance(outcome, Release)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(released), len(refused)) == (1, 1)
    assert Release.objects.count() == 1
    # The copy and its table, once.
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EXPORT).count() == exports_before + 2
    assert SecrecyReview.objects.get(pk=review.pk).status == SecrecyReview.Status.RELEASED
