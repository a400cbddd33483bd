"""The benchmark's seeder (bench/seed.py), run small, so that ``make bench`` cannot rot unseen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Account, FollowUp
from archive.models import Screenshot
from bench.seed import Scale, seed
from core.models import OrgUnit, User
from moderation.models import Alert, Item, LogEntry
from moderation.sweep import claimable

TINY = Scale(accounts=20, units=12, items=2_000, export_screenshots=5, export_year_items=100)


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (User, OrgUnit, Account, FollowUp, Screenshot, Item, LogEntry, Alert)
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_seeder_builds_the_shape_the_benchmark_reads_and_reuses_it(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    info = seed(TINY, now=now)
    assert info["reused"] is False

    assert Account.objects.count() == 20
    assert OrgUnit.objects.count() == 12
    assert all(
        unit.path.startswith(f"/{OrgUnit.objects.get(parent=None).pk}/") for unit in OrgUnit.objects.all()
    )
    assert Account.objects.filter(deputies__isnull=False).distinct().count() >= 15
    assert Item.objects.count() == 2_000
    # About 1 % open and 0.2 % past due (KAU-RESPONSE-DEADLINE), with deadlines in order.
    assert Item.objects.unanswered().count() == 20
    assert Item.objects.overdue(now).count() == 4
    assert not Item.objects.filter(due_at__lt=models_f("received_at")).exists()
    # Three years of items, every one with its "logged" entry; handled ones with their answer or closing.
    first, last = Item.objects.order_by("received_at").values_list("received_at", flat=True)[::1999]
    assert (last - first).days > 3 * 365 - 10
    assert LogEntry.objects.filter(action=LogEntry.Action.LOGGED).count() == 2_000
    assert LogEntry.objects.filter(action__in=["answered", "closed"]).count() == 1_980
    # The past-due items were swept already: the reminder sent, logged, and nothing claimable now;
    # the not-yet-due ones wait in the sweep's index at their due time.
    overdue = Item.objects.overdue(now)
    assert Alert.objects.filter(kind=Alert.Kind.DUE, item__in=overdue).count() == 4
    assert LogEntry.objects.filter(action=LogEntry.Action.REMINDED).count() == 4
    assert not claimable(now).exists()
    assert Item.objects.filter(alert_after__isnull=False).count() == Item.objects.unanswered().count() - (
        Alert.objects.filter(kind=Alert.Kind.LIMIT).count()
    )
    assert Item.objects.filter(handled_at__isnull=False, alert_after__isnull=False).count() == 0
    # The export's screenshots have their files.
    shots = Screenshot.objects.filter(purpose=Screenshot.Purpose.ITEM, account_id=info["export_account"])
    assert shots.count() == 5
    for shot in shots:
        assert (tmp_path / shot.image.name).stat().st_size == shot.size
        assert (tmp_path / shot.stamped.name).exists()
    # The indexes and foreign keys dropped for the load are back.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'moderation_item'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'moderation_logentry'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone() == (2,)
    assert {"item_alert_after_idx", "item_open_due_idx", "item_account_received_idx"} <= indexes

    before = _counts()
    again = seed(TINY, now=datetime.now(tz=now.tzinfo))
    assert again["reused"] is True
    assert again["export_account"] == info["export_account"]
    assert _counts() == before


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)
