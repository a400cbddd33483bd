"""Meta's webhook deliveries, read into platform-neutral changes (connectors.intake.Incoming).

The documented shapes (Meta's Webhooks, Messenger Platform and Instagram Platform references):

- ``{"object": "page", "entry": [{"id": PAGE_ID, "time": …, "changes": [{"field": "feed", "value":
  {"item": "comment"|"post"|"status"|"photo"|"video"|"share"|…, "verb": "add"|"edited"|"remove"|"hide"|
  "unhide", "post_id", "comment_id", "parent_id", "from": {"id", "name"}, "message", "created_time"}}]}]}``;
- ``{"object": "page", "entry": [{"id": PAGE_ID, "time": ms, "messaging": [{"sender": {"id"},
  "recipient": {"id"}, "timestamp": ms, "message": {"mid", "text", "is_echo"}}]}]}`` (Messenger);
- ``{"object": "instagram", "entry": [{"id": IG_ID, "time", "changes": [{"field": "comments", "value":
  {"id", "text", "from": {"id", "username"}, "media": {"id", "media_product_type"}, "parent_id"}}]}]}``,
  ``field: "mentions"`` with ``{"media_id", "comment_id"}``, and ``messaging`` as for Messenger
  (Instagram direct messages; the account's own messages come back with ``is_echo``).

Everything in a delivery is hostile until checked here. One malformed change is one event with its
error, never the whole delivery; kinds Kanalvakt does not use are events marked unused; unknown fields
are ignored. Only a body that is not a JSON object at all fails the delivery (``NotReadable``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from connectors.intake import Change, Incoming
from connectors.models import Platform
from core import bounds
from moderation.models import Item

MAX_TEXT = 100_000  # characters of a comment or message kept; a longer one is refused
MAX_NAME = 200  # Item.author
# Meta's ids: digits, letters, underscores; message ids also ".", ":", "-" and "=" (mid.1457…:41d1…).
ID_PATTERN = re.compile(r"[A-Za-z0-9_.:=\-]{1,150}")
# Only Meta's own addresses are kept as an item's link: nothing outbound ever uses it, but a person
# clicks it.
PERMALINK = re.compile(r"https://(www\.|m\.)?(facebook\.com|instagram\.com)/[^\s\"'<>\\]{1,400}")

PLATFORM_OF_OBJECT = {"page": Platform.FACEBOOK, "instagram": Platform.INSTAGRAM}
FEED_ITEMS = {
    "comment": Item.Kind.COMMENT,
    "post": Item.Kind.POST,
    "status": Item.Kind.POST,
    "photo": Item.Kind.POST,
    "video": Item.Kind.POST,
    "share": Item.Kind.POST,
}
VERBS = {"add": Change.ADD, "edited": Change.EDIT, "remove": Change.REMOVE, "hide": Change.HIDE}


class NotReadable(ValueError):
    """The body is not a JSON object: nothing in it can be read."""


class Malformed(ValueError):
    """One change or message does not have the documented shape."""


@dataclass(frozen=True)
class Parsed:
    """One change or message of a delivery: where it came from, the raw dict as delivered, and what
    it means (``incoming``), or why it means nothing to Kanalvakt (``unused``), or what is wrong with
    it (``error``)."""

    object_type: str
    entry_id: str
    field: str
    payload: Any
    occurred_at: datetime | None = None
    incoming: Incoming | None = None
    unused: str = ""
    error: str = ""

    @property
    def platform(self) -> str | None:
        return PLATFORM_OF_OBJECT.get(self.object_type)


def parse_body(body: bytes, *, now: datetime) -> list[Parsed]:
    """Every change and message in a raw delivery body. Raises NotReadable for a body that is not a
    JSON object."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotReadable(_("The delivery is not JSON: %(error)s") % {"error": str(exc)[:200]}) from exc
    if not isinstance(document, dict):
        raise NotReadable(_("The delivery is not a JSON object."))
    return parse_document(document, now=now)


def parse_document(document: dict[str, Any], *, now: datetime) -> list[Parsed]:
    object_type = document.get("object")
    entries = document.get("entry")
    if not isinstance(object_type, str) or not isinstance(entries, list):
        return [
            Parsed(
                object_type=_short(object_type),
                entry_id="",
                field="",
                payload=storable(document),
                error=_("The delivery has no object and list of entries."),
            )
        ]
    object_type = object_type[:20]
    parsed: list[Parsed] = []
    for entry in entries:
        parsed.extend(_entry(object_type, entry, now=now))
    return parsed


def _entry(object_type: str, entry: Any, *, now: datetime) -> list[Parsed]:
    if not isinstance(entry, dict):
        return [Parsed(object_type, "", "", storable(entry), error=_("An entry is not an object."))]
    try:
        entry_id = _id(entry.get("id"), "entry.id")
    except Malformed as exc:
        return [Parsed(object_type, "", "", storable(entry), error=str(exc))]
    if object_type not in PLATFORM_OF_OBJECT:
        return [
            Parsed(object_type, entry_id, "", storable(entry), unused=_("Not a page or Instagram account."))
        ]
    try:
        entry_time = _optional_time(entry.get("time"), now=now)
    except Malformed:
        entry_time = None  # only a fallback for changes without a time of their own
    parsed: list[Parsed] = []
    changes = entry.get("changes")
    if isinstance(changes, list):
        for change in changes:
            parsed.append(_guarded(object_type, entry_id, change, entry_time, now, _change))
    elif changes is not None:
        parsed.append(Parsed(object_type, entry_id, "", storable(changes), error=_("changes is not a list.")))
    messaging = entry.get("messaging")
    if isinstance(messaging, list):
        for message in messaging:
            parsed.append(_guarded(object_type, entry_id, message, entry_time, now, _message))
    elif messaging is not None:
        parsed.append(
            Parsed(
                object_type, entry_id, "messages", storable(messaging), error=_("messaging is not a list.")
            )
        )
    if changes is None and messaging is None:
        parsed.append(
            Parsed(object_type, entry_id, "", storable(entry), unused=_("An entry without changes."))
        )
    return parsed


def _guarded(
    object_type: str, entry_id: str, raw: Any, entry_time: datetime | None, now: datetime, read: Any
) -> Parsed:
    field = "messages" if read is _message else _short(raw.get("field") if isinstance(raw, dict) else "", 40)
    try:
        return read(object_type, entry_id, raw, entry_time, now)
    except Malformed as exc:
        return Parsed(object_type, entry_id, field, storable(raw), error=str(exc))


# --- Changes: the page's feed, Instagram's comments and mentions ---


def _change(
    object_type: str, entry_id: str, change: Any, entry_time: datetime | None, now: datetime
) -> Parsed:
    if not isinstance(change, dict):
        raise Malformed(_("A change is not an object."))
    field = change.get("field")
    value = change.get("value")
    if not isinstance(field, str):
        raise Malformed(_("A change has no field."))
    field = field[:40]
    if not isinstance(value, dict):
        raise Malformed(_("The change's value is not an object."))
    payload = storable(change)
    if object_type == "page" and field == "feed":
        return _feed(object_type, entry_id, payload, value, entry_time, now)
    if object_type == "instagram" and field == "comments":
        return _instagram_comment(object_type, entry_id, payload, value, entry_time, now)
    if object_type == "instagram" and field == "mentions":
        return _mention(object_type, entry_id, payload, value, entry_time, now)
    return Parsed(
        object_type,
        entry_id,
        field,
        payload,
        occurred_at=entry_time,
        unused=_("A field Kanalvakt does not use."),
    )


def _feed(
    object_type: str,
    entry_id: str,
    payload: Any,
    value: dict[str, Any],
    entry_time: datetime | None,
    now: datetime,
) -> Parsed:
    item, verb = value.get("item"), value.get("verb")
    if not isinstance(item, str) or not isinstance(verb, str):
        raise Malformed(_("A feed change needs an item and a verb."))
    if item not in FEED_ITEMS:
        return Parsed(
            object_type,
            entry_id,
            "feed",
            payload,
            occurred_at=entry_time,
            unused=_("A feed item Kanalvakt does not use (%(item)s).") % {"item": item[:40]},
        )
    if verb not in VERBS:
        return Parsed(
            object_type,
            entry_id,
            "feed",
            payload,
            occurred_at=entry_time,
            unused=_("A feed verb Kanalvakt does not use (%(verb)s).") % {"verb": verb[:40]},
        )
    change, kind = VERBS[verb], FEED_ITEMS[item]
    post_id = _id(value.get("post_id"), "post_id", required=kind == Item.Kind.POST)
    if kind == Item.Kind.COMMENT:
        platform_id = _id(value.get("comment_id"), "comment_id")
        # A top-level comment's parent is the post; a reply to a reply keeps its own parent.
        in_reply_to = _id(value.get("parent_id"), "parent_id", required=False) or post_id
    else:
        platform_id, in_reply_to = post_id, ""
    author_id, author = _from(value.get("from"), name_key="name")
    at = _optional_time(value.get("created_time"), now=now, field="created_time")
    text = _text(value.get("message"), "message")
    if change == Change.ADD and at is None:
        raise Malformed(_("created_time is missing."))
    incoming = Incoming(
        change=change,
        platform_id=platform_id,
        kind=kind,
        own=bool(author_id) and author_id == entry_id,
        author=author,
        author_platform_id=author_id,
        text=text,
        at=at,
        url=_permalink(value.get("permalink_url")),
        in_reply_to=in_reply_to,
    )
    return Parsed(object_type, entry_id, "feed", payload, occurred_at=at or entry_time, incoming=incoming)


def _instagram_comment(
    object_type: str,
    entry_id: str,
    payload: Any,
    value: dict[str, Any],
    entry_time: datetime | None,
    now: datetime,
) -> Parsed:
    platform_id = _id(value.get("id"), "id")
    media = value.get("media")
    if media is not None and not isinstance(media, dict):
        raise Malformed(_("media is not an object."))
    media_id = _id((media or {}).get("id"), "media.id", required=False)
    author_id, username = _from(value.get("from"), name_key="username")
    # Instagram's comment notifications carry no time of their own: the entry's time is when Meta sent it.
    at = _optional_time(value.get("timestamp"), now=now, field="timestamp") or entry_time
    if at is None:
        raise Malformed(_("The comment has no time."))
    incoming = Incoming(
        change=Change.ADD,
        platform_id=platform_id,
        kind=Item.Kind.COMMENT,
        own=bool(author_id) and author_id == entry_id,
        author=f"@{username}" if username else "",
        author_platform_id=author_id,
        text=_text(value.get("text"), "text"),
        at=at,
        in_reply_to=_id(value.get("parent_id"), "parent_id", required=False) or media_id,
    )
    return Parsed(object_type, entry_id, "comments", payload, occurred_at=at, incoming=incoming)


def _mention(
    object_type: str,
    entry_id: str,
    payload: Any,
    value: dict[str, Any],
    entry_time: datetime | None,
    now: datetime,
) -> Parsed:
    media_id = _id(value.get("media_id"), "media_id")
    comment_id = _id(value.get("comment_id"), "comment_id", required=False)
    if entry_time is None:
        raise Malformed(_("The mention has no time."))
    # The notification gives only the ids; the text says what it is, and the poll may fetch the rest.
    if comment_id:
        text = _("A mention of the account in a comment (comment %(comment)s on media %(media)s).") % {
            "comment": comment_id,
            "media": media_id,
        }
    else:
        text = _("A mention of the account in the caption of media %(media)s.") % {"media": media_id}
    incoming = Incoming(
        change=Change.ADD,
        platform_id=comment_id or media_id,
        kind=Item.Kind.COMMENT if comment_id else Item.Kind.POST,
        text=text,
        at=entry_time,
        in_reply_to=media_id if comment_id else "",
    )
    return Parsed(object_type, entry_id, "mentions", payload, occurred_at=entry_time, incoming=incoming)


# --- Messages: Messenger and Instagram direct messages ---


def _message(
    object_type: str, entry_id: str, event: Any, entry_time: datetime | None, now: datetime
) -> Parsed:
    if not isinstance(event, dict):
        raise Malformed(_("A messaging event is not an object."))
    payload = storable(event)
    message = event.get("message")
    if message is None:
        # Deliveries, reads, reactions, postbacks: nothing said by anyone.
        return Parsed(
            object_type,
            entry_id,
            "messages",
            payload,
            occurred_at=entry_time,
            unused=_("A messaging event that is not a message."),
        )
    if not isinstance(message, dict):
        raise Malformed(_("message is not an object."))
    sender_id, _unused = _from(event.get("sender"), name_key="")
    if not sender_id:
        raise Malformed(_("The message has no sender."))
    at = _optional_time(event.get("timestamp"), now=now, field="timestamp") or entry_time
    if at is None:
        raise Malformed(_("The message has no time."))
    echo = message.get("is_echo", False)
    if not isinstance(echo, bool):
        raise Malformed(_("is_echo is not true or false."))
    text = _text(message.get("text"), "text")
    if not text and message.get("attachments"):
        text = _("(an attachment, without text)")
    reply_to = message.get("reply_to")
    incoming = Incoming(
        change=Change.ADD,
        platform_id=_id(message.get("mid"), "mid"),
        kind=Item.Kind.MESSAGE,
        own=echo or sender_id == entry_id,
        author=sender_id,
        author_platform_id=sender_id,
        text=text,
        at=at,
        in_reply_to=_id(reply_to.get("mid"), "reply_to.mid", required=False)
        if isinstance(reply_to, dict)
        else "",
    )
    return Parsed(object_type, entry_id, "messages", payload, occurred_at=at, incoming=incoming)


# --- Checks ---


def _id(value: Any, name: str, *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise Malformed(_("%(name)s is missing.") % {"name": name})
        return ""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value) or ".." in value:
        raise Malformed(_("%(name)s is not an id.") % {"name": name})
    return value


def _from(value: Any, *, name_key: str) -> tuple[str, str]:
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        raise Malformed(_("from is not an object."))
    author_id = _id(value.get("id"), "from.id", required=False)
    name = value.get(name_key) if name_key else None
    if name is None:
        return author_id, ""
    if not isinstance(name, str) or len(name) > MAX_NAME or not _storable_text(name):
        raise Malformed(_("The author's name is not a name."))
    return author_id, name.strip()


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(_("%(name)s is not text.") % {"name": name})
    if len(value) > MAX_TEXT:
        raise Malformed(_("%(name)s is longer than 100,000 characters.") % {"name": name})
    if not _storable_text(value):
        raise Malformed(_("%(name)s holds characters that cannot be stored.") % {"name": name})
    return value


def _permalink(value: Any) -> str:
    return value if isinstance(value, str) and PERMALINK.fullmatch(value) else ""


def _optional_time(value: Any, *, now: datetime, field: str = "time") -> datetime | None:
    """Epoch seconds (feed, entries), milliseconds (messaging) or ISO 8601 (``2026-12-01T10:00:00+0000``),
    within core.bounds; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Malformed(_("%(name)s is not a time.") % {"name": field})
    if isinstance(value, str) and value.isdigit() and len(value) <= 16:
        value = int(value)
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 100_000_000_000 else value  # milliseconds after 1973
            at = datetime.fromtimestamp(seconds, UTC)
        elif isinstance(value, str) and len(value) <= 40:
            try:
                at = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                at = datetime.fromisoformat(value)
        else:
            raise Malformed(_("%(name)s is not a time.") % {"name": field})
    except (OverflowError, OSError, ValueError) as exc:
        raise Malformed(_("%(name)s is not a time.") % {"name": field}) from exc
    if at.tzinfo is None or not bounds.within_time_bounds(at, now=now):
        raise Malformed(_("%(name)s is outside the times Kanalvakt accepts.") % {"name": field})
    return at


def _storable_text(value: str) -> bool:
    """PostgreSQL stores neither NUL nor a lone surrogate (which JSON's \\ud800 escapes can carry)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _short(value: Any, length: int = 20) -> str:
    return value[:length] if isinstance(value, str) else ""


def storable(value: Any) -> Any:
    """The raw dict as delivered, as PostgreSQL's jsonb can keep it: NUL and lone surrogates replaced
    (the only changes), so that one hostile string cannot stop the delivery's other events from
    being kept."""
    if isinstance(value, str):
        return (
            value
            if _storable_text(value)
            else value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
        )
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
