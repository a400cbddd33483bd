"""The database keeps public records whatever the code does (KAU-PUBLIC-RECORD, arkivlagen 10 §): the
moderation log changes only through the disposal path (``SET LOCAL kanalvakt.disposal`` naming an
approved disposal that lists the item, and then only its texts), and deletes stay refused everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from archive import disposal as disposals
from archive.disposal_execution import execute_disposal
from archive.models import Disposal, RetentionRule, Screenshot, Tombstone
from moderation.models import Item, LogEntry
from tests.archive.disposal_support import NOW, Old, account, approve, make_item, media_root, old, set_period
from tests.conftest import Cast

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
FIXTURES = (account, make_item, media_root, old)


def _sql(statement: str, params: list[Any], *, disposal: int | str | None = None) -> None:
    """Run one statement in a transaction of its own, with the disposal path set as the service sets it."""
    with transaction.atomic(), connection.cursor() as cursor:
        if disposal is not None:
            cursor.execute("SELECT set_config('kanalvakt.disposal', %s, true)", [str(disposal)])
        cursor.execute(statement, params)


def _blank_notes(item: Item, **path: Any) -> None:
    _sql("UPDATE moderation_logentry SET note = '' WHERE item_id = %s", [item.pk], **path)


@pytest.fixture
def proposed(cast: Cast, old: Old) -> Disposal:
    set_period("item", 12, by=cast["registrar"])
    disposal = disposals.propose_disposal(by=None, now=NOW)
    assert disposal is not None
    return disposal


def test_the_log_refuses_a_change_without_the_disposal_path(old: Old, proposed: Disposal) -> None:
    approve(proposed, by=_registrar())
    with pytest.raises(DatabaseError, match="public record"):
        _blank_notes(old.disposed)
    assert LogEntry.objects.filter(item=old.disposed).exclude(note="").exists()


def _registrar() -> Any:
    from core.models import User

    return User.objects.get(username="registrar")


def test_the_log_refuses_a_disposal_that_is_only_proposed(old: Old, proposed: Disposal) -> None:
    with pytest.raises(DatabaseError, match="public record"):
        _blank_notes(old.disposed, disposal=proposed.pk)


def test_the_log_refuses_a_made_up_or_malformed_setting(old: Old, proposed: Disposal) -> None:
    approve(proposed, by=_registrar())
    for value in (proposed.pk + 1000, "1; DROP TABLE x", ""):
        with pytest.raises(DatabaseError, match="public record"):
            _blank_notes(old.disposed, disposal=value)


def test_an_approved_disposal_may_blank_the_texts_of_the_items_it_lists_and_nothing_else(
    old: Old, proposed: Disposal
) -> None:
    approve(proposed, by=_registrar())
    _blank_notes(old.disposed, disposal=proposed.pk)
    assert not LogEntry.objects.filter(item=old.disposed).exclude(note="").exists()
    # Not an item on the list (held from the start, so never listed).
    with pytest.raises(DatabaseError, match="public record"):
        _blank_notes(old.held, disposal=proposed.pk)
    # Not the action, the actor or the time: the action record stays as it was.
    with pytest.raises(DatabaseError, match="public record"):
        _sql(
            "UPDATE moderation_logentry SET action = 'answered' WHERE item_id = %s",
            [old.disposed.pk],
            disposal=proposed.pk,
        )
    with pytest.raises(DatabaseError, match="public record"):
        _sql("DELETE FROM moderation_logentry WHERE item_id = %s", [old.disposed.pk], disposal=proposed.pk)


def test_a_carried_out_disposal_no_longer_opens_the_path(old: Old, proposed: Disposal) -> None:
    approve(proposed, by=_registrar())
    execute_disposal(proposed.pk, now=NOW)
    proposed.refresh_from_db()
    assert proposed.status == Disposal.Status.DONE
    with pytest.raises(DatabaseError, match="public record"):
        _sql(
            "UPDATE moderation_logentry SET note = 'x' WHERE item_id = %s",
            [old.disposed.pk],
            disposal=proposed.pk,
        )


@pytest.mark.parametrize(
    "table",
    [
        "moderation_item",
        "archive_screenshot",
        "archive_tombstone",
        "archive_disposal",
        "archive_retentionrule",
    ],
)
def test_deletes_are_refused_even_on_the_disposal_path(old: Old, proposed: Disposal, table: str) -> None:
    approve(proposed, by=_registrar())
    execute_disposal(proposed.pk, now=NOW)
    # The setting opens no delete, whatever it names.
    with pytest.raises(DatabaseError, match="public record"):
        _sql(f"DELETE FROM {table}", [], disposal=proposed.pk)  # noqa: S608  (a fixed table name)
    assert Item.objects.exists()
    assert Screenshot.objects.exists()
    assert Tombstone.objects.exists()
    assert Disposal.objects.exists()
    assert RetentionRule.objects.count() == 7


def test_a_disposal_note_is_never_changed(old: Old, proposed: Disposal) -> None:
    approve(proposed, by=_registrar())
    execute_disposal(proposed.pk, now=NOW)
    with pytest.raises(DatabaseError, match="public record"):
        _sql("UPDATE archive_tombstone SET description = '{}'", [], disposal=proposed.pk)
