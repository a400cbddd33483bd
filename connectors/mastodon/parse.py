"""What a Mastodon server answers, checked and read into platform-neutral rows (connectors.intake).

The documented shapes (docs.joinmastodon.org, entities/Notification, entities/Status, entities/Account):

- a Notification is ``{"id", "type", "created_at", "account": Account, "status": Status}`` (the status
  only for some types; Kanalvakt reads ``mention``);
- a Status is ``{"id", "created_at", "in_reply_to_id", "in_reply_to_account_id", "visibility":
  "public"|"unlisted"|"private"|"direct", "content" (HTML), "spoiler_text", "url", "uri", "edited_at",
  "account": Account, "reblog"}``; ids are "cast from an integer but not guaranteed to be a number";
- an Account is ``{"id", "username", "acct", "display_name", "url"}`` (``acct`` is ``name`` on the
  account's own server and ``name@domain`` for others).

Everything is hostile until checked here: ids match ``ID``, user names ``ACCT``, times are strict
RFC 3339 within core.bounds, links only https and at most 500 characters, texts capped. A status's
content is HTML: it is turned into plain text with the standard library's parser (``html_to_text``)
and never rendered as HTML. A row of the wrong shape is a ``Malformed`` row (kept with its error); the
raw answer is kept with each row, with the characters PostgreSQL cannot store replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from connectors.intake import Change, Fetched, Incoming, Malformed, Row
from core import bounds
from moderation.models import Item

ID = re.compile(r"[A-Za-z0-9]{1,64}")
# A user name (``[a-z0-9_]``, dots and dashes inside), optionally with its domain.
ACCT = re.compile(
    r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?(?:@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)?"
)
VISIBILITIES = frozenset({"public", "unlisted", "private", "direct"})
MAX_TEXT = 20_000  # characters of a status's text kept
MAX_HTML = 400_000  # characters of a status's HTML read at all (a huge one is cut before parsing)
MAX_URL = 500
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})")
# C0 controls but tab and newline, and DEL: PostgreSQL refuses NUL, the rest is noise.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Bad(ValueError):
    """A value that does not have the documented shape."""


# --- Plain values ----------------------------------------------------------------------------------------


def clean(value: Any, *, depth: int = 0) -> Any:
    """A raw answer as it can be kept (a JSON column): NUL and lone surrogates replaced, nothing else
    changed. Nesting deeper than 64 is cut (no documented shape comes near)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if depth > 64:
        return None
    if isinstance(value, dict):
        return {clean(str(k)): clean(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, depth=depth + 1) for v in value]
    return value


def plain(value: str, *, cap: int = MAX_TEXT) -> str:
    """Text as it is kept: controls gone, surrogates replaced, at most ``cap`` characters."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    return _CONTROLS.sub("", value)[:cap]


def parse_time(value: Any, *, now: datetime) -> datetime:
    """A strict RFC 3339 datetime (docs: api/datetime-format) within core.bounds."""
    if not isinstance(value, str) or len(value) > 40:
        raise Bad("not a time")
    match = _TIME.fullmatch(value)
    if not match:
        raise Bad(f"not an RFC 3339 time: {value[:40]!r}")
    whole, fraction, zone = match.groups()
    text = whole + (f".{(fraction + '000000')[:6]}" if fraction else "") + ("+00:00" if zone == "Z" else zone)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Bad(f"not a valid time: {value[:40]!r}") from exc
    if not bounds.within_time_bounds(at, now=now):
        raise Bad(f"a time out of bounds: {value[:40]!r}")
    return at.astimezone(UTC)


def https_url(value: Any) -> str:
    """A link a person may click: https only, at most 500 characters, no spaces or quotes; else ""."""
    if (
        isinstance(value, str)
        and value.startswith("https://")
        and len(value) <= MAX_URL
        and not re.search(r"[\s\"'<>\\]", value)
    ):
        return value
    return ""


def an_id(value: Any, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise Bad(f"{what} is not an id")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Bad(f"{what} is not an object")
    return value


def _optional_id(value: Any, what: str) -> str:
    return "" if value is None else an_id(value, what)


# --- HTML to text ---------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text of an HTML fragment: tags dropped (and what is inside script, style and their kin), line
    breaks for ``<br>`` and the end of a paragraph or block, entities unescaped. Mastodon's hidden parts
    of a link (``<span class="invisible">https://</span>``) are text too: together they are the link."""

    SKIP = frozenset({"script", "style", "template", "head", "title", "iframe", "object", "svg", "math"})
    BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.skipping = 0

    def _add(self, text: str) -> None:
        if self.size <= MAX_TEXT:
            self.parts.append(text)
            self.size += len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "br":
            self._add("\n")
        elif tag == "li":
            self._add("\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self._add("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self._add(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: Any) -> str:
    """Plain text of a status's HTML content (never rendered as HTML), at most MAX_TEXT characters."""
    if not isinstance(html, str):
        raise Bad("the content is not text")
    parser = _Text()
    parser.feed(html[:MAX_HTML])
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return plain(text.strip())


def status_text(status: dict[str, Any]) -> str:
    """A status's text: its content warning (``spoiler_text``, plain text) first, then its content."""
    body = html_to_text(status.get("content") if status.get("content") is not None else "")
    warning = status.get("spoiler_text") or ""
    if not isinstance(warning, str):
        raise Bad("the content warning is not text")
    warning = plain(" ".join(warning.split()), cap=500)
    return plain(f"CW: {warning}\n\n{body}" if warning else body)


# --- Rows -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """One row read, with the time of its status's last edit (None when never edited)."""

    row: Row
    edited_at: datetime | None = None


def _status(status: dict[str, Any], *, now: datetime) -> tuple[str, str, datetime, str]:
    """The checked id, visibility, time and text of a status."""
    status_id = an_id(status.get("id"), "the status id")
    visibility = status.get("visibility")
    if visibility not in VISIBILITIES:
        raise Bad("the visibility is not one of public, unlisted, private, direct")
    return status_id, str(visibility), parse_time(status.get("created_at"), now=now), status_text(status)


def _link(status: dict[str, Any]) -> str:
    return https_url(status.get("url")) or https_url(status.get("uri"))


def mention(notification: Any, *, now: datetime) -> Read | None:
    """A ``mention`` notification as a visitor's item (a direct one is a message, KAU-PUBLIC-RECORD);
    None for any other type (a server older than 3.5 ignores ``types[]``)."""
    if not isinstance(notification, dict):
        return Read(Malformed("comment", {"row": clean(notification)}, "a notification is not an object"))
    payload = clean(notification)
    if notification.get("type") != "mention":
        return None
    kind = Item.Kind.COMMENT
    try:
        status = _object(notification.get("status"), "the status")
        if status.get("visibility") == "direct":
            kind = Item.Kind.MESSAGE
        status_id, _visibility, at, text = _status(status, now=now)
        author = _object(status.get("account") or notification.get("account"), "the account")
        author_id = an_id(author.get("id"), "the account id")
        acct = author.get("acct")
        if not isinstance(acct, str) or not ACCT.fullmatch(acct):
            raise Bad("the account's acct is not a user name")
        in_reply_to = _optional_id(status.get("in_reply_to_id"), "in_reply_to_id")
        edited = status.get("edited_at")
        edited_at = parse_time(edited, now=now) if edited is not None else None
    except Bad as exc:
        return Read(Malformed(kind, payload, str(exc)))
    incoming = Incoming(
        change=Change.ADD,
        platform_id=status_id,
        kind=kind,
        author=acct[:200],
        author_platform_id=author_id,
        text=text,
        at=at,
        url=_link(status),
        in_reply_to=in_reply_to,
    )
    return Read(Fetched(object_type=str(kind), incoming=incoming, payload=payload), edited_at)


def own_status(status: Any, *, account_id: str, now: datetime) -> Read | None:
    """One of the account's own statuses as its published record (``own=True``, KAU-PUBLIC-RECORD): a
    post, a reply, or a direct message. None for a boost (the account republished another's status)."""
    if not isinstance(status, dict):
        return Read(Malformed("post", {"row": clean(status)}, "a status is not an object"))
    payload = clean(status)
    if status.get("reblog") is not None:
        return None
    try:
        status_id, visibility, at, text = _status(status, now=now)
        author = _object(status.get("account"), "the account")
        if an_id(author.get("id"), "the account id") != account_id:
            raise Bad("the status is not the account's own")
        in_reply_to = _optional_id(status.get("in_reply_to_id"), "in_reply_to_id")
    except Bad as exc:
        return Read(Malformed("post", payload, str(exc)))
    if visibility == "direct":
        kind = Item.Kind.MESSAGE
    elif in_reply_to:
        kind = Item.Kind.COMMENT
    else:
        kind = Item.Kind.POST
    incoming = Incoming(
        change=Change.ADD,
        platform_id=status_id,
        kind=kind,
        own=True,
        text=text,
        at=at,
        url=_link(status),
        in_reply_to=in_reply_to,
    )
    return Read(Fetched("post" if kind == Item.Kind.POST else str(kind), incoming, payload))


def row_time(value: Any, *, now: datetime) -> datetime | None:
    """The ``created_at`` of a raw row, or None when it has none readable (for the backfill's stop)."""
    try:
        return parse_time(value.get("created_at"), now=now) if isinstance(value, dict) else None
    except Bad:
        return None
