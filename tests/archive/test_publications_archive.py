"""The accounts' own publications (kept by the connectors) are found by the archive search and
exported beside the items (KAU-PUBLIC-RECORD)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archive import search
from moderation import platform
from moderation.models import Publication
from tests.archive.export_support import NOW, Archive, account, archive, at, make_item, media_root
from tests.archive.test_exports import export, read_csv, unzip
from tests.conftest import Cast
from tests.support import login

FIXTURES = (account, archive, make_item, media_root)


@pytest.fixture
def publications(archive: Archive) -> tuple[Publication, Publication]:
    reply, _created = platform.keep_publication(
        archive.account,
        platform_id="111_222",
        kind=Publication.Kind.REPLY,
        text="Tack för synpunkten – vi ser över öppettiderna 🕘",
        published_at=at(25),
        url="https://www.facebook.com/111_222",
        in_reply_to="111_200",
        answers=archive.criticism,
    )
    elsewhere, _created = platform.keep_publication(
        archive.other_account,
        platform_id="333_444",
        kind=Publication.Kind.POST,
        text="Välkommen till öppet hus!",
        published_at=at(12),
    )
    return reply, elsewhere


def test_the_search_finds_publications_by_text_account_and_period(
    cast: Cast, publications: tuple[Publication, Publication]
) -> None:
    reply, elsewhere = publications
    found = search.search(cast["registrar"], text="öppettiderna")
    assert found["publications"].rows == [reply]
    found = search.search(cast["registrar"], unit=cast.units["department"])
    assert found["publications"].rows == [reply]
    found = search.search(cast["registrar"], start=NOW.date().replace(day=1), end=NOW.date().replace(day=20))
    assert found["publications"].rows == [elsewhere]
    # A publication has no visitor for an author and engages no item rule.
    assert search.search(cast["registrar"], author="@kritiker")["publications"].rows == []
    assert search.search(cast["registrar"], rule="KAU-THREAT")["publications"].rows == []


def test_the_search_page_lists_them(
    client: Any, cast: Cast, publications: tuple[Publication, Publication]
) -> None:
    page = login(client, cast, "registrar").get("/arkiv/sok/", {"text": "öppet hus"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Välkommen till öppet hus!" in body


def test_the_export_holds_them_as_csv_and_json(
    cast: Cast, publications: tuple[Publication, Publication], tmp_path: Path
) -> None:
    reply, _elsewhere = publications
    job = export(cast, {"unit": cast.units["department"].pk, "start": "2026-11-01", "end": "2026-11-30"})
    bag = unzip(job, tmp_path)
    rows = read_csv(bag / "data" / "records" / "publications.csv")
    assert [(row["platform_id"], row["kind"], row["answers_item_id"]) for row in rows] == [
        ("111_222", "reply", str(reply.answers_id))
    ]
    exact = json.loads((bag / "data" / "records" / "publications.json").read_text(encoding="utf-8"))
    assert exact[0]["text"] == "Tack för synpunkten – vi ser över öppettiderna 🕘"
    assert "records/publications.csv" in (bag / "README.txt").read_text(encoding="utf-8")
