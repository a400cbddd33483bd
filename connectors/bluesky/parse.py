"""Bluesky's rows, checked: notifications, the account's own posts and direct messages become
connectors.intake rows, or ``Malformed`` (kept, never a crash). Everything a server sends is hostile
until checked: identifiers match strict patterns, times are parsed strictly, texts are capped, and a
link is built only from checked parts (never taken from the row).

The shapes are Bluesky's lexicons (https://docs.bsky.app/docs/api/app-bsky-notification-list-notifications,
https://docs.bsky.app/docs/api/app-bsky-feed-get-author-feed, https://docs.bsky.app/docs/api/chat-bsky-convo-get-messages,
and the lexicon files of the reference implementation, github.com/bluesky-social/atproto/lexicons).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from connectors.intake import Change, Fetched, Incoming, Malformed, Row
from moderation.models import Item

MAX_TEXT = 20_000
# did:plc is 24 base32 characters; did:web is a host name (a port written %3A).
DID = re.compile(r"did:plc:[a-z2-7]{24}|did:web:[a-zA-Z0-9.-]{1,200}(%3A[0-9]{1,5})?")
# A handle is a host name (https://atproto.com/specs/handle), at most 253 characters.
HANDLE = re.compile(
    r"(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)
RKEY = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._~:-]{1,64}")
POST_URI = re.compile(rf"at://(?P<did>{DID.pattern})/app\.bsky\.feed\.post/(?P<rkey>{RKEY.pattern})")
CID = re.compile(r"[a-zA-Z0-9]{8,128}")
# Chat ids (a conversation, a message, a revision) are the chat service's own: plain tokens.
CHAT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
# The reasons that are writing addressed to the account; likes, reposts and follows are not items.
ITEM_REASONS = frozenset({"reply", "mention", "quote"})
MESSAGE_PREFIX = "dm:"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time with its zone (Bluesky's datetime format), or None."""
    if not isinstance(value, str) or not DATETIME.fullmatch(value):
        return None
    digits = re.sub(r"(\.\d{6})\d+", r"\1", value)  # Python reads at most microseconds
    try:
        parsed = datetime.fromisoformat(digits.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def post_uri(value: Any) -> tuple[str, str] | None:
    """(did, rkey) of a post's at:// URI, or None."""
    if not isinstance(value, str) or len(value) > 200:
        return None
    match = POST_URI.fullmatch(value)
    return (match["did"], match["rkey"]) if match else None


def is_did(value: Any) -> bool:
    return isinstance(value, str) and DID.fullmatch(value) is not None


def is_handle(value: Any) -> bool:
    return isinstance(value, str) and HANDLE.fullmatch(value) is not None and value != "handle.invalid"


def strong_ref(value: Any) -> dict[str, str] | None:
    """A checked {uri, cid} of a post (a reply's root or parent, a quoted post)."""
    if not isinstance(value, dict):
        return None
    uri, cid = value.get("uri"), value.get("cid")
    if (
        not isinstance(uri, str)
        or post_uri(uri) is None
        or not isinstance(cid, str)
        or not CID.fullmatch(cid)
    ):
        return None
    return {"uri": uri, "cid": cid}


def web_url(actor: str, rkey: str) -> str:
    """The post's page on bsky.app, built from checked parts only."""
    if not (is_handle(actor) or is_did(actor)) or not RKEY.fullmatch(rkey):
        return ""
    url = f"https://bsky.app/profile/{actor}/post/{rkey}"
    return url if len(url) <= 500 else ""


def _text(record: dict[str, Any]) -> str:
    text = record.get("text", "")
    if not isinstance(text, str):
        raise ValueError("the text is not a string")
    return text[:MAX_TEXT]


def _author(value: Any) -> tuple[str, str]:
    """(did, name shown) of an author: @handle, or the DID when the handle is not valid."""
    if not isinstance(value, dict) or not is_did(value.get("did")):
        raise ValueError("the author has no valid DID")
    did: str = value["did"]
    handle = value.get("handle")
    return did, f"@{handle}" if is_handle(handle) else did


def _payload(row: Any) -> dict[str, Any]:
    return row if isinstance(row, dict) else {"row": repr(row)[:2000]}


def _quoted(record: dict[str, Any]) -> str:
    """The URI of the post a quote embeds (app.bsky.embed.record, or recordWithMedia), or ""."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return ""
    inner = embed.get("record")
    if isinstance(inner, dict) and isinstance(inner.get("record"), dict):  # recordWithMedia
        inner = inner["record"]
    ref = strong_ref(inner)
    return ref["uri"] if ref else ""


def reply_parent(record: Any) -> dict[str, str] | None:
    """The checked parent of a post's reply field, or None when it is no reply."""
    reply = record.get("reply") if isinstance(record, dict) else None
    return strong_ref(reply.get("parent")) if isinstance(reply, dict) else None


def reply_root(record: Any) -> dict[str, str] | None:
    reply = record.get("reply") if isinstance(record, dict) else None
    return strong_ref(reply.get("root")) if isinstance(reply, dict) else None


def notification_row(row: Any, *, own_did: str) -> Row | None:
    """A reply, mention or quote to the account → an item (a comment); any other reason (like, repost,
    follow, …) → None. A relevant row of the wrong shape → Malformed."""
    reason = row.get("reason") if isinstance(row, dict) else None
    if isinstance(row, dict) and isinstance(reason, str) and reason not in ITEM_REASONS:
        return None
    try:
        if not isinstance(row, dict):
            raise ValueError("the notification is not an object")
        parts = post_uri(row.get("uri"))
        if parts is None:
            raise ValueError("the notification's uri is not a post's at:// URI")
        if not isinstance(row.get("cid"), str) or not CID.fullmatch(row["cid"]):
            raise ValueError("the notification has no valid cid")
        at = parse_time(row.get("indexedAt"))
        if at is None:
            raise ValueError("the notification's indexedAt is not a time")
        author_did, author = _author(row.get("author"))
        if author_did != parts[0]:
            raise ValueError("the post's author is not the notification's author")
        record = row.get("record")
        if not isinstance(record, dict) or record.get("$type") != "app.bsky.feed.post":
            raise ValueError("the notification's record is not a post")
        text = _text(record)
    except ValueError as exc:
        return Malformed("comment", _payload(row), str(exc))
    if author_did == own_did:
        return None  # the account's own writing comes from its feed, not its notifications
    parent = reply_parent(record)
    in_reply_to = parent["uri"] if parent else (_quoted(record) if reason == "quote" else "")
    handle = author[1:] if author.startswith("@") else author
    incoming = Incoming(
        change=Change.ADD,
        platform_id=row["uri"],
        kind=Item.Kind.COMMENT,
        author=author,
        author_platform_id=author_did,
        text=text,
        at=at,
        url=web_url(handle, parts[1]),
        in_reply_to=in_reply_to,
    )
    return Fetched("comment", incoming, row)


def own_post_row(row: Any, *, own_did: str) -> Row | None:
    """One entry of the account's own feed → its publication (own=True): a post, or a reply. A
    repost (the entry has a ``reason``) or another's post in the feed → None."""
    if isinstance(row, dict) and row.get("reason") is not None:
        return None
    try:
        post = row.get("post") if isinstance(row, dict) else None
        if not isinstance(post, dict):
            raise ValueError("the feed entry has no post")
        parts = post_uri(post.get("uri"))
        if parts is None:
            raise ValueError("the post's uri is not a post's at:// URI")
        if parts[0] != own_did:
            return None
        record = post.get("record")
        if not isinstance(record, dict):
            raise ValueError("the post has no record")
        at = parse_time(post.get("indexedAt"))
        created = parse_time(record.get("createdAt"))
        if at is None:
            raise ValueError("the post's indexedAt is not a time")
        text = _text(record)
        handle = post.get("author", {}).get("handle") if isinstance(post.get("author"), dict) else None
    except ValueError as exc:
        return Malformed("post", _payload(row), str(exc))
    parent = reply_parent(record)
    incoming = Incoming(
        change=Change.ADD,
        platform_id=post["uri"],
        kind=Item.Kind.COMMENT if parent else Item.Kind.POST,
        own=True,
        text=text,
        at=min(at, created) if created else at,
        url=web_url(handle if isinstance(handle, str) and is_handle(handle) else own_did, parts[1]),
        in_reply_to=parent["uri"] if parent else "",
    )
    return Fetched("post", incoming, row)


def message_id(convo_id: str, message: str) -> str:
    return f"{MESSAGE_PREFIX}{convo_id}/{message}"


def split_message_id(platform_id: str) -> tuple[str, str] | None:
    """(conversation id, message id) of a direct message's platform id, or None."""
    if not platform_id.startswith(MESSAGE_PREFIX):
        return None
    convo, _, message = platform_id[len(MESSAGE_PREFIX) :].partition("/")
    if not CHAT_ID.fullmatch(convo) or not CHAT_ID.fullmatch(message):
        return None
    return convo, message


def message_row(row: Any, *, convo_id: str, own_did: str, handles: dict[str, str]) -> Row | None:
    """One message of a conversation → a direct message (an item), or the account's own (its
    publication). Deleted and system messages → None."""
    kind = row.get("$type") if isinstance(row, dict) else None
    if kind is not None and kind != "chat.bsky.convo.defs#messageView":
        return None  # deletedMessageView, systemMessageView, a kind this version does not know
    try:
        if not isinstance(row, dict):
            raise ValueError("the message is not an object")
        ident = row.get("id")
        if not isinstance(ident, str) or not CHAT_ID.fullmatch(ident):
            raise ValueError("the message has no valid id")
        sender = row.get("sender")
        sender_did = sender.get("did") if isinstance(sender, dict) else None
        if not is_did(sender_did):
            raise ValueError("the message's sender has no valid DID")
        at = parse_time(row.get("sentAt"))
        if at is None:
            raise ValueError("the message's sentAt is not a time")
        text = _text(row)
    except ValueError as exc:
        return Malformed("message", _payload(row), str(exc))
    assert isinstance(sender_did, str)
    handle = handles.get(sender_did, "")
    incoming = Incoming(
        change=Change.ADD,
        platform_id=message_id(convo_id, ident),
        kind=Item.Kind.MESSAGE,
        own=sender_did == own_did,
        author=f"@{handle}" if handle else sender_did,
        author_platform_id=sender_did,
        text=text,
        at=at,
    )
    return Fetched("message", incoming, {**row, "convoId": convo_id})


def convo_handles(convo: dict[str, Any]) -> dict[str, str]:
    """The members' handles by DID, as far as they are valid."""
    members = convo.get("members")
    found: dict[str, str] = {}
    for member in members if isinstance(members, list) else []:
        if isinstance(member, dict) and is_did(member.get("did")) and is_handle(member.get("handle")):
            found[member["did"]] = member["handle"]
    return found
