"""Reading a file of items for the bulk import: CSV or JSON in, clean rows and named errors out.

Pure: no ORM, no clock (``now`` is passed in). The view shows every error and imports nothing until
the file is clean; only then does it hand the clean rows to moderation.services.receive_item, which
fixes each item's deadlines (KAU-RESPONSE-DEADLINE) and makes a second import of the same file a
no-op (the platform id is the key).

Rows are numbered as people see them: in a CSV file as in a spreadsheet, the header being row 1 and
the first item row 2; in a JSON file the first object is row 1. An error about the whole file (its
size, its encoding, its header) has no row number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from core import bounds
from core.outbound import validate_public_url

STOCKHOLM = ZoneInfo("Europe/Stockholm")

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000

# The connector API's fields, in the order the page lists them. The kinds are Item.Kind's values
# (a test holds the two together, so that this module needs no model).
FIELDS = ("platform_id", "kind", "author", "text", "url", "received_at")
REQUIRED = ("platform_id", "kind", "author", "text", "received_at")
KINDS = ("post", "comment", "message")

# A file may name its columns and kinds in Swedish (USERS.md) as well as in English. Names are matched
# without regard to case, accents, spaces, hyphens or underscores ("Författare", "forfattare" and
# "FÖRFATTARE" are one column; "Received at" is received_at). The first Swedish name of each is the
# one the template file uses in the Swedish interface.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "platform_id": ("plattforms-id", "plattformsid", "id på plattformen"),
    "kind": ("typ", "sort", "slag"),
    "author": ("författare", "avsändare", "skribent"),
    "text": ("text", "innehåll"),
    "url": ("länk", "adress", "webbadress"),
    "received_at": ("mottagen", "mottaget", "inkom", "tidpunkt"),
}
KIND_NAMES: dict[str, tuple[str, ...]] = {
    "post": ("inlägg",),
    "comment": ("kommentar",),
    "message": ("meddelande", "direktmeddelande", "dm"),
}
MAX_LENGTHS = {"platform_id": 200, "author": 200, "url": 500}

# log_item allows a clock five minutes fast; a file may not bring items from the future.
FUTURE_SLACK = timedelta(minutes=5)

_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
_URL = URLValidator(schemes=["http", "https"])


def fold(name: str) -> str:
    """A name as headers and kinds are compared: no accents, no case, one ``_`` for any run of
    spaces, hyphens and underscores."""
    decomposed = unicodedata.normalize("NFKD", name.strip().strip('"'))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s_-]+", "_", bare.casefold()).strip("_")


_COLUMNS = {fold(name): field for field in FIELDS for name in (field, *COLUMN_NAMES[field])}
_KINDS = {fold(name): kind for kind in KINDS for name in (kind, *KIND_NAMES[kind])}


def column(name: str) -> str | None:
    """The field a column's name stands for, in English or Swedish, or None."""
    return _COLUMNS.get(fold(name))


def kind_of(value: str) -> str | None:
    """The kind of item a value names, in English or Swedish, or None."""
    return _KINDS.get(fold(value))


def column_names(swedish: bool) -> list[str]:
    """The columns as a template file names them: in Swedish or in English."""
    return [COLUMN_NAMES[name][0] if swedish else name for name in FIELDS]


@dataclass(frozen=True)
class ImportRow:
    """One clean row: the fields of moderation.services.receive_item, and where it stood in the file."""

    row: int
    platform_id: str
    kind: str
    author: str
    text: str
    url: str
    received_at: datetime

    def as_data(self) -> dict[str, Any]:
        """The row as JSON-safe data, to keep between the preview and the confirmation."""
        return {
            "row": self.row,
            "platform_id": self.platform_id,
            "kind": self.kind,
            "author": self.author,
            "text": self.text,
            "url": self.url,
            "received_at": self.received_at.isoformat(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ImportRow:
        return cls(
            row=int(data["row"]),
            platform_id=str(data["platform_id"]),
            kind=str(data["kind"]),
            author=str(data["author"]),
            text=str(data["text"]),
            url=str(data["url"]),
            received_at=datetime.fromisoformat(str(data["received_at"])),
        )


@dataclass(frozen=True)
class RowError:
    """What is wrong, and where: ``row`` is None for the file as a whole, ``field`` empty for a row as
    a whole."""

    row: int | None
    field: str
    message: str


@dataclass
class ParseResult:
    """The outcome of reading a file: its clean rows, or the errors that keep it from being imported."""

    digest: str
    format: str = ""
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.errors and bool(self.rows)


def file_digest(data: bytes) -> str:
    """The SHA-256 of the file, which ties a confirmation to the preview it confirms."""
    return hashlib.sha256(data).hexdigest()


def parse_items(
    data: bytes, *, now: datetime, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> ParseResult:
    """Read a CSV or JSON file of items. Every problem is reported, none is fixed silently.

    A JSON file is a list of objects; anything else is read as CSV: UTF-8 with or without a
    byte-order mark, a header row naming the columns, comma or semicolon between cells (Swedish
    Excel writes semicolons). A time with an offset is taken as it is; one without is read on the
    Stockholm clock.
    """
    result = ParseResult(digest=file_digest(data))
    if len(data) > max_bytes:
        result.errors.append(
            RowError(
                None,
                "",
                _("The file is %(size)s; the largest file that can be imported is %(limit)s.")
                % {"size": _megabytes(len(data)), "limit": _megabytes(max_bytes)},
            )
        )
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        result.errors.append(
            RowError(
                None,
                "",
                _("The file is not UTF-8 text (line %(line)s). Save it as “CSV UTF-8” or as UTF-8 JSON.")
                % {"line": line},
            )
        )
        return result
    stripped = text.lstrip()
    if not stripped:
        result.errors.append(RowError(None, "", _("The file is empty.")))
        return result
    if stripped[0] in "[{":
        result.format = "json"
        records = _json_records(text, result)
    else:
        result.format = "csv"
        records = _csv_records(text, result)
    if records is None:  # the file as a whole cannot be read: its rows mean nothing yet
        return result
    if len(records) > max_rows:
        result.errors.append(
            RowError(
                None,
                "",
                _("The file has %(count)s rows; at most %(limit)s can be imported at once. Split the file.")
                % {"count": len(records), "limit": max_rows},
            )
        )
        return result
    if not records and not result.errors:
        result.errors.append(RowError(None, "", _("The file has no items to import.")))
        return result
    seen: dict[str, int] = {}
    for number, values in records:
        row = _clean_row(number, values, now=now, errors=result.errors)
        if row is None:
            continue
        first = seen.setdefault(row.platform_id, number)
        if first != number:
            result.errors.append(
                RowError(
                    number,
                    "platform_id",
                    _("The platform id %(id)s is also on row %(first)s: each item is imported once.")
                    % {"id": row.platform_id, "first": first},
                )
            )
            continue
        result.rows.append(row)
    if result.errors:
        result.rows = []
        result.errors.sort(key=lambda error: error.row or 0)
    return result


def _megabytes(size: int) -> str:
    return _("%(number).1f MB") % {"number": size / (1024 * 1024)}


# --- Reading the two formats ------------------------------------------------------------------------


def _known_fields() -> str:
    return ", ".join(f"{name} ({COLUMN_NAMES[name][0]})" for name in FIELDS)


def _unknown_names(names: Iterable[str], errors: list[RowError], *, row: int | None, kind: str) -> bool:
    unknown = [name for name in names if name not in FIELDS]
    for name in unknown:
        message = (
            _("Unknown column “%(name)s”. The columns are: %(fields)s.")
            if kind == "csv"
            else _("Unknown field “%(name)s”. The fields are: %(fields)s.")
        )
        errors.append(RowError(row, name, message % {"name": name, "fields": _known_fields()}))
    return not unknown


def _sniff_delimiter(header_line: str) -> str:
    """Comma or semicolon (or tab), whichever splits the header into the most known column names."""

    def known(delimiter: str) -> int:
        return sum(1 for name in header_line.split(delimiter) if column(name) is not None)

    return max((",", ";", "\t"), key=known)


def _csv_records(text: str, result: ParseResult) -> list[tuple[int, dict[str, Any]]] | None:
    header_line = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(header_line))
    try:
        lines = list(reader)
    except csv.Error as exc:
        result.errors.append(
            RowError(None, "", _("The file cannot be read as CSV: %(error)s") % {"error": exc})
        )
        return None
    # Spreadsheets leave wholly empty rows behind (";;;;;"); they are not items.
    numbered = [
        (number, cells) for number, cells in enumerate(lines, start=1) if any(c.strip() for c in cells)
    ]
    if not numbered:
        return []
    header_row, header = numbered[0]
    names = [column(name) or name.strip() for name in header]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    for name in duplicates:
        result.errors.append(
            RowError(header_row, name, _("The column “%(name)s” appears twice.") % {"name": name})
        )
    missing = [name for name in REQUIRED if name not in names]
    for name in missing:
        result.errors.append(
            RowError(header_row, name, _("The column “%(name)s” is missing.") % {"name": name})
        )
    if not _unknown_names(names, result.errors, row=header_row, kind="csv") or duplicates or missing:
        return None
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in numbered[1:]:
        extra = [cell for cell in cells[len(names) :] if cell.strip()]
        if extra:
            result.errors.append(
                RowError(
                    number,
                    "",
                    _("The row has %(count)s cells; the header names %(columns)s columns.")
                    % {"count": len(cells), "columns": len(names)},
                )
            )
            continue
        records.append((number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names)}))
    return records


def _json_records(text: str, result: ParseResult) -> list[tuple[int, dict[str, Any]]] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        result.errors.append(
            RowError(
                None,
                "",
                _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno},
            )
        )
        return None
    if not isinstance(data, list):
        result.errors.append(RowError(None, "", _("A JSON file must hold a list of objects, one per item.")))
        return None
    records: list[tuple[int, dict[str, Any]]] = []
    for number, value in enumerate(data, start=1):
        if not isinstance(value, dict):
            result.errors.append(RowError(number, "", _("Each item must be a JSON object.")))
            continue
        value = {column(str(key)) or str(key): item for key, item in value.items()}
        if not _unknown_names(value.keys(), result.errors, row=number, kind="json"):
            continue
        records.append((number, value))
    return records


# --- One row ----------------------------------------------------------------------------------------


def _text(value: Any, name: str, number: int, errors: list[RowError]) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.append(RowError(number, name, _("Give the value as text.")))
        return None
    return str(value).strip()


def _clean_row(
    number: int, values: Mapping[str, Any], *, now: datetime, errors: list[RowError]
) -> ImportRow | None:
    before = len(errors)
    cleaned: dict[str, str] = {}
    for name in FIELDS:
        value = _text(values.get(name), name, number, errors)
        if value is None:
            continue
        if name in REQUIRED and not value:
            errors.append(RowError(number, name, _("This field is required.")))
            continue
        limit = MAX_LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            errors.append(
                RowError(
                    number,
                    name,
                    _("At most %(limit)s characters (this has %(count)s).")
                    % {"limit": limit, "count": len(value)},
                )
            )
            continue
        cleaned[name] = value
    kind = kind_of(cleaned.get("kind", "")) or ""
    if "kind" in cleaned and not kind:
        names = ", ".join(f"{name} ({KIND_NAMES[name][0]})" for name in KINDS)
        errors.append(
            RowError(
                number,
                "kind",
                _("“%(value)s” is not a kind of item; use one of: %(kinds)s.")
                % {"value": cleaned["kind"], "kinds": names},
            )
        )
    url = cleaned.get("url", "")
    if url:
        try:
            _URL(url)
        except ValidationError:
            errors.append(
                RowError(number, "url", _("Give a full address starting with https:// or http://."))
            )
        else:
            try:
                validate_public_url(url)  # an address Kanalvakt could never capture
            except ValidationError as exc:
                errors.append(RowError(number, "url", " ".join(exc.messages)))
    received_at = None
    if cleaned.get("received_at"):
        received_at = _received_at(cleaned["received_at"], number, now=now, errors=errors)
    if len(errors) > before or received_at is None:
        return None
    return ImportRow(
        row=number,
        platform_id=cleaned["platform_id"],
        kind=kind,
        author=cleaned["author"],
        text=cleaned["text"],
        url=url,
        received_at=received_at,
    )


def parse_received_at(value: str) -> datetime:
    """An ISO 8601 time with its offset, or a wall-clock time without one read as Stockholm time
    ("2026-11-27 15:00"). Raises ValueError, with the reason, for anything else."""
    value = value.strip()
    if _LOCAL_TIME.match(value):
        try:
            naive = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(_("Not a time.")) from None
        local = naive.replace(tzinfo=STOCKHOLM)
        if local < bounds.EARLIEST:
            # Refused by its bounds (core.bounds) in _received_at; the DST check below would turn it
            # into UTC, which for year 1 does not exist.
            return local
        # DST: a wall-clock time that does not exist (spring) or occurs twice (autumn) is refused
        # rather than guessed; the offset settles it.
        if local.astimezone(UTC).astimezone(STOCKHOLM).replace(tzinfo=None) != naive:
            raise ValueError(
                _("%(value)s does not exist in Stockholm (the clocks go forward).") % {"value": value}
            )
        if local.utcoffset() != naive.replace(tzinfo=STOCKHOLM, fold=1).utcoffset():
            raise ValueError(
                _("%(value)s occurs twice in Stockholm (the clocks go back); give it with its offset.")
                % {"value": value}
            )
        return local
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Not a time.")) from None
    if parsed.tzinfo is None:
        raise ValueError(_("Not a time."))
    return parsed


def _received_at(value: str, number: int, *, now: datetime, errors: list[RowError]) -> datetime | None:
    try:
        received_at = parse_received_at(value)
    except ValueError as exc:
        errors.append(
            RowError(
                number,
                "received_at",
                _(
                    "%(problem)s Write it as 2026-11-27T15:00:00+01:00, "
                    "or as 2026-11-27 15:00 in Stockholm time."
                )
                % {"problem": exc},
            )
        )
        return None
    if received_at > now + FUTURE_SLACK:
        errors.append(RowError(number, "received_at", _("The time received cannot be in the future.")))
        return None
    if not bounds.within_time_bounds(received_at, now=now):
        # KAU-RESPONSE-DEADLINE: from 1990 (core.bounds); the deadlines are counted from it.
        errors.append(RowError(number, "received_at", str(bounds.TIME_MESSAGE)))
        return None
    return received_at
