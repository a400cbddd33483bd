"""Two at once, on real database connections (arkivlagen 10 §): the daily job and the archivist's button
make one disposal list, and two workers carrying out the same approved list destroy each record once."""

from __future__ import annotations

import pytest

from archive import disposal as disposals
from archive.disposal_execution import execute_disposal
from archive.models import Disposal, LedgerEntry, Tombstone
from tests.archive.disposal_support import NOW, Old, account, approve, make_item, media_root, old, set_period
from tests.conftest import Cast
from tests.support import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
FIXTURES = (account, make_item, media_root, old)


def test_two_proposals_at_once_make_one_list(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    registrar = cast["registrar"]
    made = run_in_threads(
        lambda: disposals.propose_disposal(by=None, now=NOW),
        lambda: disposals.propose_disposal(by=registrar, now=NOW),
        lambda: disposals.propose_disposal(by=None, now=NOW),
    )
    assert sum(1 for disposal in made if disposal is not None) == 1
    assert Disposal.objects.count() == 1


def test_two_workers_carrying_out_one_list_destroy_once(cast: Cast, old: Old) -> None:
    set_period("item", 12, by=cast["registrar"])
    set_period("startpage", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    approve(disposal, by=cast["registrar"])
    run_in_threads(
        lambda: execute_disposal(disposal.pk, now=NOW, batch=1),
        lambda: execute_disposal(disposal.pk, now=NOW, batch=1),
    )
    # A worker that found the list claimed stops; run once more to be sure it is finished.
    execute_disposal(disposal.pk, now=NOW)
    disposal.refresh_from_db()
    assert disposal.status == Disposal.Status.DONE
    listed = disposal.entries.filter(held_at__isnull=True, excluded_at__isnull=True).count()
    assert Tombstone.objects.count() == listed
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DISPOSAL).count() == 4
