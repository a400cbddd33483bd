"""The archive search's results as tables, one per kind of record, for the CSV and Excel downloads
beside each section of the search page (KAU-PUBLIC-RECORD).

The columns are the page's, with the full text instead of the page's first 200 characters and ids
added, so that a row can be found again. Values keep their type (instants as aware datetimes, which
core.csvfile and core.xlsxfile write as Stockholm time); the headings are translated into the
language of the interface when the rows are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from archive.search import DECISIONS, ITEMS, LOG, PUBLICATIONS, SCREENSHOTS


def _items(rows: Iterable[Any]) -> Iterator[list[object]]:
    yield [
        _("id"),
        _("received"),
        _("account"),
        _("author"),
        _("text"),
        _("link"),
        _("status"),
        _("rules"),
        _("registration"),
        _("registration decided by"),
        _("registration decided at"),
        _("found on the platform at"),
        _("registration number"),
    ]
    for item in rows:
        yield [
            item.pk,
            item.received_at,
            item.account.name,
            item.author,
            item.text,
            item.url,
            str(item.get_status_display()),
            ", ".join(item.rule_ids()),
            # KAU-DIARY-ACTION, KAU-DIARY-NONE: the decision, who and when, and where it is found.
            str(item.get_registration_display()),
            str(item.registration_decided_by) if item.registration_decided_by else "",
            item.registration_decided_at,
            item.registration_found_at,
            getattr(item, "registered_number", None) or "",
        ]


def _publications(rows: Iterable[Any]) -> Iterator[list[object]]:
    yield [_("id"), _("published"), _("account"), _("kind"), _("text"), _("link"), _("on the platform")]
    for publication in rows:
        yield [
            publication.pk,
            publication.published_at,
            publication.account.name,
            str(publication.get_kind_display()),
            publication.text,
            publication.url,
            str(publication.get_platform_status_display() or ""),
        ]


def _log(rows: Iterable[Any]) -> Iterator[list[object]]:
    yield [_("when"), _("account"), _("item"), _("author of the item"), _("action"), _("by"), _("note")]
    for entry in rows:
        yield [
            entry.at,
            entry.item.account.name,
            entry.item_id,
            entry.item.author,
            str(entry.get_action_display()),
            str(entry.actor) if entry.actor else "Kanalvakt",
            entry.note,
        ]


def _decisions(rows: Iterable[Any]) -> Iterator[list[object]]:
    yield [
        _("id"),
        _("decided"),
        _("account name"),
        _("handle"),
        _("unit"),
        _("decision"),
        _("decided by"),
        _("reason"),
    ]
    for request in rows:
        yield [
            request.pk,
            request.decided_at,
            request.name,
            request.handle,
            request.unit.display_name,
            str(request.get_status_display()),
            str(request.decided_by) if request.decided_by else "",
            request.decision_reason,
        ]


def _screenshots(rows: Iterable[Any]) -> Iterator[list[object]]:
    yield [
        _("id"),
        _("taken"),
        _("account"),
        _("purpose"),
        _("item"),
        _("taken by"),
        _("address shown"),
        "SHA-256",
    ]
    for shot in rows:
        yield [
            shot.pk,
            shot.taken_at,
            shot.account.name,
            str(shot.get_purpose_display()),
            shot.item_id,
            str(shot.taken_by) if shot.taken_by else "Kanalvakt",
            shot.source_url,
            shot.sha256,
        ]


TABLES: dict[str, Callable[[Iterable[Any]], Iterator[list[object]]]] = {
    ITEMS: _items,
    PUBLICATIONS: _publications,
    LOG: _log,
    DECISIONS: _decisions,
    SCREENSHOTS: _screenshots,
}


def table_rows(kind: str, records: Iterable[Any]) -> Iterator[list[object]]:
    """The heading and one row per record of ``kind``, as the downloads write them."""
    return TABLES[kind](records)
