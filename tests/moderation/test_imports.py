"""The bulk import's file reader (moderation.imports): pure, no database.

A clean file gives clean rows; every bad row is named by its row number, field and problem, and a file
with any error gives no rows at all (KAU-RESPONSE-DEADLINE: the times read here fix the deadlines).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.utils import translation

from moderation.imports import (
    FIELDS,
    KINDS,
    MAX_BYTES,
    MAX_LENGTHS,
    MAX_ROWS,
    STOCKHOLM,
    ImportRow,
    RowError,
    parse_items,
    parse_received_at,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)


@pytest.fixture(autouse=True)
def _in_english() -> Any:
    """The parser's messages are read here in the source language; the catalog translates them."""
    with translation.override("en"):
        yield


HEADER = "platform_id,kind,author,text,url,received_at"


def csv_bytes(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *lines]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def errors_of(data: bytes, **kwargs: Any) -> list[tuple[int | None, str]]:
    result = parse_items(data, now=NOW, **kwargs)
    assert result.rows == []
    return [(error.row, error.field) for error in result.errors]


def test_kinds_are_the_models_kinds() -> None:
    from moderation.models import Item

    assert set(KINDS) == set(Item.Kind.values)


def test_length_limits_are_the_models() -> None:
    from moderation.models import Item

    for name, limit in MAX_LENGTHS.items():
        assert getattr(Item._meta.get_field(name), "max_length", None) == limit, name


def test_a_comma_csv_reads_every_row() -> None:
    data = csv_bytes(
        "fb-1,comment,@anna,När öppnar anmälan?,https://www.facebook.com/p/1,2026-11-25T15:00:00+01:00",
        'fb-2,post,Per Persson,"Tack, och hej",,2026-11-25 09:30',
    )
    result = parse_items(data, now=NOW)
    assert result.errors == []
    assert result.is_clean
    assert result.format == "csv"
    assert result.rows == [
        ImportRow(
            row=2,
            platform_id="fb-1",
            kind="comment",
            author="@anna",
            text="När öppnar anmälan?",
            url="https://www.facebook.com/p/1",
            received_at=datetime(2026, 11, 25, 15, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        ImportRow(
            row=3,
            platform_id="fb-2",
            kind="post",
            author="Per Persson",
            text="Tack, och hej",
            url="",
            received_at=datetime(2026, 11, 25, 9, 30, tzinfo=STOCKHOLM),
        ),
    ]


def test_a_semicolon_csv_from_swedish_excel_with_a_bom_is_read() -> None:
    data = csv_bytes(
        "ig-1;comment;@anna;Hej; hur ansöker jag?;;2026-11-25 15:00",
        header="platform_id;kind;author;text;url;received_at",
        bom=True,
    )
    # A semicolon inside the text would split it: Excel quotes such a cell, this line does not.
    assert errors_of(data) == [(2, "")]
    quoted = csv_bytes(
        'ig-1;comment;@anna;"Hej; hur ansöker jag?";;2026-11-25 15:00',
        "ig-2;message;@bo;Åäö;;2026-11-25 16:00",
        header="platform_id;kind;author;text;url;received_at",
        bom=True,
    )
    result = parse_items(quoted, now=NOW)
    assert result.errors == []
    assert [(row.platform_id, row.text) for row in result.rows] == [
        ("ig-1", "Hej; hur ansöker jag?"),
        ("ig-2", "Åäö"),
    ]


def test_columns_may_come_in_any_order_and_url_may_be_left_out() -> None:
    data = csv_bytes("2026-11-25 15:00,x,comment,@a,Hej", header="received_at,platform_id,kind,author,text")
    result = parse_items(data, now=NOW)
    assert [(row.platform_id, row.url) for row in result.rows] == [("x", "")]


def test_blank_spreadsheet_rows_are_not_items_but_keep_their_numbers() -> None:
    data = csv_bytes(
        ";;;;;", "a;post;b;c;;2026-11-25 15:00", header="platform_id;kind;author;text;url;received_at"
    )
    result = parse_items(data, now=NOW)
    assert [row.row for row in result.rows] == [3]


def test_a_multiline_text_is_one_row() -> None:
    data = csv_bytes('a,post,b,"rad ett\nrad två",,2026-11-25 15:00', "c,post,b,x,,2026-11-25 15:00")
    result = parse_items(data, now=NOW)
    assert [(row.row, row.text) for row in result.rows] == [(2, "rad ett\nrad två"), (3, "x")]


def test_a_json_list_of_objects_is_read() -> None:
    data = json.dumps(
        [
            {
                "platform_id": "1",
                "kind": "comment",
                "author": "a",
                "text": "t",
                "received_at": "2026-11-25T14:00:00Z",
            },
            {
                "platform_id": 2,
                "kind": "message",
                "author": "b",
                "text": "u",
                "url": None,
                "received_at": "2026-11-25 15:00",
            },
        ]
    ).encode()
    result = parse_items(data, now=NOW)
    assert result.errors == []
    assert result.format == "json"
    assert [(row.row, row.platform_id, row.received_at) for row in result.rows] == [
        (1, "1", datetime(2026, 11, 25, 14, 0, tzinfo=UTC)),
        (2, "2", datetime(2026, 11, 25, 15, 0, tzinfo=STOCKHOLM)),
    ]


def test_every_kind_of_bad_csv_row_is_named_by_row_and_field() -> None:
    data = csv_bytes(
        ",comment,@a,t,,2026-11-25 15:00",  # 2: no platform id
        "b,question,@a,t,,2026-11-25 15:00",  # 3: unknown kind
        "c,post,,t,,2026-11-25 15:00",  # 4: no author
        "d,post,@a,,,2026-11-25 15:00",  # 5: no text
        "e,post,@a,t,www.example.se,2026-11-25 15:00",  # 6: not a full address
        "f,post,@a,t,,igår",  # 7: not a time
        "g,post,@a,t,,2026-11-25",  # 8: a date without a time
        "h,post,@a,t,,2026-11-26T12:00:00+01:00",  # 9: in the future
        f"{'i' * 201},post,@a,t,,2026-11-25 15:00",  # 10: too long
        "j,post,@a,t,,2026-11-25 15:00,extra",  # 11: a cell too many
        "k,post,@a,t,,2026-02-30 15:00",  # 12: no such day
        "l,post,@a,t,,",  # 13: no time
    )
    assert errors_of(data) == [
        (2, "platform_id"),
        (3, "kind"),
        (4, "author"),
        (5, "text"),
        (6, "url"),
        (7, "received_at"),
        (8, "received_at"),
        (9, "received_at"),
        (10, "platform_id"),
        (11, ""),
        (12, "received_at"),
        (13, "received_at"),
    ]


def test_one_bad_row_keeps_every_good_row_out() -> None:
    data = csv_bytes("a,post,@a,t,,2026-11-25 15:00", "b,post,@a,t,,not a time")
    result = parse_items(data, now=NOW)
    assert result.rows == []
    assert not result.is_clean
    assert [(error.row, error.field) for error in result.errors] == [(3, "received_at")]


def test_a_row_with_several_problems_names_each() -> None:
    assert errors_of(csv_bytes(",video,,,,")) == [
        (2, "platform_id"),
        (2, "author"),
        (2, "text"),
        (2, "received_at"),
        (2, "kind"),
    ]


def test_a_platform_id_twice_in_the_file_names_both_rows() -> None:
    data = csv_bytes(
        "a,post,@a,t,,2026-11-25 15:00", "b,post,@a,t,,2026-11-25 15:00", "a,post,@b,u,,2026-11-25 16:00"
    )
    result = parse_items(data, now=NOW)
    assert result.rows == []
    [error] = result.errors
    assert (error.row, error.field) == (4, "platform_id")
    assert "row 2" in error.message


def test_the_header_is_checked_before_any_row() -> None:
    missing = csv_bytes("a,post,@a,2026-11-25 15:00", header="platform_id,kind,author,received_at")
    assert errors_of(missing) == [(1, "text")]
    unknown = csv_bytes(
        "a,post,@a,t,2026-11-25 15:00,x", header="platform_id,kind,author,text,received_at,colour"
    )
    assert errors_of(unknown) == [(1, "colour")]
    twice = csv_bytes(
        "a,post,@a,t,t,2026-11-25 15:00", header="platform_id,kind,author,text,text,received_at"
    )
    assert errors_of(twice) == [(1, "text")]


def test_header_names_are_read_without_case_or_spaces() -> None:
    data = csv_bytes("a,post,@a,t,2026-11-25 15:00", header=" Platform_ID ,KIND,Author,Text,Received_At")
    assert [row.platform_id for row in parse_items(data, now=NOW).rows] == ["a"]


def test_bad_json_is_named() -> None:
    assert errors_of(b'[{"platform_id": "a",}]') == [(None, "")]
    assert errors_of(b'{"platform_id": "a"}') == [(None, "")]
    data = json.dumps(
        [
            "not an object",
            {"platform_id": "b", "kind": "post", "author": "a", "text": "t", "received_at": "x", "likes": 3},
            {
                "platform_id": "c",
                "kind": "post",
                "author": ["a"],
                "text": "t",
                "received_at": "2026-11-25 15:00",
            },
            {"platform_id": "d", "kind": "post", "text": "t", "received_at": "2026-11-25 15:00"},
        ]
    ).encode()
    assert errors_of(data) == [(1, ""), (2, "likes"), (3, "author"), (4, "author")]


def test_a_file_that_is_not_utf8_is_refused_with_its_line() -> None:
    data = csv_bytes("a,post,Åsa,t,,2026-11-25 15:00").replace("Åsa".encode(), "Åsa".encode("cp1252"))
    result = parse_items(data, now=NOW)
    assert [(error.row, error.field) for error in result.errors] == [(None, "")]
    assert "line 2" in result.errors[0].message


def test_an_empty_file_or_a_header_alone_is_refused() -> None:
    assert errors_of(b"") == [(None, "")]
    assert errors_of(b"  \r\n") == [(None, "")]
    assert errors_of(csv_bytes()) == [(None, "")]
    assert errors_of(b"[]") == [(None, "")]


def test_the_size_limit_is_checked_before_reading() -> None:
    data = csv_bytes("a,post,@a,t,,2026-11-25 15:00")
    assert errors_of(data, max_bytes=len(data) - 1) == [(None, "")]
    assert parse_items(data, now=NOW, max_bytes=len(data)).is_clean
    assert MAX_BYTES == 5 * 1024 * 1024


def test_the_row_limit() -> None:
    lines = [f"id-{n},comment,@a,t,,2026-11-25 15:00" for n in range(4)]
    assert errors_of(csv_bytes(*lines), max_rows=3) == [(None, "")]
    assert len(parse_items(csv_bytes(*lines), now=NOW, max_rows=4).rows) == 4
    assert MAX_ROWS == 5_000


def test_the_full_row_limit_is_allowed_and_one_more_is_not() -> None:
    lines = [f"id-{n},comment,@a,t,,2026-11-25 15:00" for n in range(MAX_ROWS + 1)]
    assert len(parse_items(csv_bytes(*lines[:MAX_ROWS]), now=NOW).rows) == MAX_ROWS
    assert errors_of(csv_bytes(*lines)) == [(None, "")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-27T15:00:00+01:00", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        ("2026-11-27T14:00:00Z", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        ("2026-07-01T12:00:00+02:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        # Without an offset: the Stockholm clock, winter and summer time.
        ("2026-11-27 15:00", datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        ("2026-07-01 12:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        ("2026-07-01 12:00:30", datetime(2026, 7, 1, 10, 0, 30, tzinfo=UTC)),
        (" 2026-07-01T12:00 ", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_times_with_an_offset_or_on_the_stockholm_clock(value: str, expected: datetime) -> None:
    assert parse_received_at(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-29 02:30",  # the clocks go forward: this wall-clock time never happens
        "2026-10-25 02:30",  # the clocks go back: this wall-clock time happens twice
        "27/11/2026 15:00",
        "2026-11-27",
        "tomorrow",
    ],
)
def test_times_that_cannot_be_read_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_received_at(value)


def test_an_ambiguous_autumn_time_is_accepted_with_its_offset() -> None:
    assert parse_received_at("2026-10-25T02:30:00+01:00") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_rows_survive_the_session_round_trip() -> None:
    result = parse_items(csv_bytes("a,post,@a,t,https://x.se/1,2026-11-25T15:00:00+01:00"), now=NOW)
    [row] = result.rows
    again = ImportRow.from_data(json.loads(json.dumps(row.as_data())))
    assert again == row


def test_the_digest_names_the_file() -> None:
    one = parse_items(csv_bytes("a,post,@a,t,,2026-11-25 15:00"), now=NOW)
    two = parse_items(csv_bytes("b,post,@a,t,,2026-11-25 15:00"), now=NOW)
    assert len(one.digest) == 64
    assert one.digest != two.digest


def test_errors_are_listed_in_row_order() -> None:
    data = json.dumps(
        [
            {"platform_id": "a", "kind": "x", "author": "a", "text": "t", "received_at": "2026-11-25 15:00"},
            5,
        ]
    ).encode()
    result = parse_items(data, now=NOW)
    assert result.errors == sorted(result.errors, key=lambda error: error.row or 0)
    assert all(isinstance(error, RowError) for error in result.errors)
    assert FIELDS[0] == "platform_id"
