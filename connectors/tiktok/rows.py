"""TikTok's videos and comments, checked and read into platform-neutral rows (connectors.intake).

Everything in an answer is hostile until checked here. A row of the wrong shape becomes a
``Malformed`` value, kept with its error; the others go on. The documented shapes (TikTok API for
Business, Accounts API):

- a video of ``/business/video/list/``: ``{"item_id", "create_time", "caption", "share_url", …}``;
- a comment or reply of ``/business/comment/list/`` and ``/business/comment/reply/list/``:
  ``{"comment_id", "video_id", "user_id", "unique_identifier", "create_time", "text", "likes",
  "replies", "owner", "liked", "pinned", "status", "username", "display_name", "profile_image",
  "parent_comment_id"}``. ``create_time`` is seconds since the epoch, as a number or a string of digits;
  ``owner`` is true for the account's own comments.

A comment's platform id in Kanalvakt is ``<video id>_<comment id>``, because every action on a comment
(reply, hide) names its video too; a top-level comment answers its video (``in_reply_to`` is the
video's id), a reply answers its thread's comment (``<video id>_<parent id>``). A video is the
account's own post, kept as its published record (KAU-PUBLIC-RECORD), as is every comment with
``owner`` true.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.intake import Change, Fetched, Incoming, Malformed
from connectors.meta.parse import storable
from core.bounds import within_time_bounds
from moderation.models import Item

ID = re.compile(r"[0-9]{1,32}")  # TikTok's video and comment ids are digits
AUTHOR_ID = re.compile(r"[A-Za-z0-9+/=_.:-]{1,200}")  # user_id (hex) or unique_identifier (base64)
USERNAME = re.compile(r"[A-Za-z0-9_.]{1,64}")
MAX_TEXT = 20_000
MAX_NAME = 200
VIDEO_URL = "https://www.tiktok.com/@{username}/video/{video_id}"


class Bad(ValueError):
    """A field does not have the documented shape."""


def platform_id(video_id: str, comment_id: str) -> str:
    return f"{video_id}_{comment_id}"


def split(value: str) -> tuple[str, str] | None:
    """(video id, comment id) of a comment's platform id, or None when it is not one."""
    video_id, _sep, comment_id = value.partition("_")
    if ID.fullmatch(video_id) and ID.fullmatch(comment_id):
        return video_id, comment_id
    return None


def read_id(value: Any, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise Bad(f"{field} is not an id")
    return value


def read_time(value: Any, field: str, *, now: datetime) -> datetime:
    """Seconds since the epoch (a number or digits) within Kanalvakt's bounds of a time (core.bounds)."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Bad(f"{field} is not a time")
    try:
        at = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Bad(f"{field} is not a time") from exc
    if not within_time_bounds(at, now=now):
        raise Bad(f"{field} is out of bounds")
    return at


def read_text(value: Any, field: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Bad(f"{field} is not text")
    return value[:MAX_TEXT]


def count(value: Any) -> int | None:
    """A count from 0 up (a number or digits), or None when it is not one."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 15:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**15:
        return value
    return None


def username_of(value: Any) -> str:
    return value if isinstance(value, str) and USERNAME.fullmatch(value) else ""


def video_url(username: str, video_id: str) -> str:
    """The video's page on TikTok, when the account's user name is known and safe; else ""."""
    if not USERNAME.fullmatch(username or "") or not ID.fullmatch(video_id):
        return ""
    return VIDEO_URL.format(username=username, video_id=video_id)


def key_of(row: Malformed) -> str:
    """A stable key of a row that could not be read, so that it is kept once, not on every poll."""
    digest = hashlib.sha256(json.dumps(row.payload, sort_keys=True, default=str).encode("utf-8"))
    return f"x:{row.object_type}:{digest.hexdigest()[:24]}"


@dataclass(frozen=True)
class Video:
    video_id: str
    at: datetime
    row: Fetched


@dataclass(frozen=True)
class Comment:
    video_id: str
    comment_id: str
    at: datetime
    replies: int
    own: bool
    text: str
    row: Fetched

    @property
    def platform_id(self) -> str:
        return platform_id(self.video_id, self.comment_id)


def _payload(raw: Any) -> dict[str, Any]:
    value = storable(raw)
    return value if isinstance(value, dict) else {"row": value}


def video(raw: Any, *, username: str, now: datetime) -> Video | Malformed:
    """One video of the account: its own post (KAU-PUBLIC-RECORD)."""
    if not isinstance(raw, dict):
        return Malformed("post", _payload(raw), "the video is not an object")
    try:
        video_id = read_id(raw.get("item_id"), "item_id")
        at = read_time(raw.get("create_time"), "create_time", now=now)
        caption = read_text(raw.get("caption"), "caption", required=False)
    except Bad as exc:
        return Malformed("post", _payload(raw), str(exc))
    incoming = Incoming(
        change=Change.ADD,
        platform_id=video_id,
        kind=Item.Kind.POST,
        own=True,
        text=caption,
        at=at,
        url=video_url(username, video_id),
    )
    return Video(video_id=video_id, at=at, row=Fetched("post", incoming, _payload(raw)))


def _name(raw: dict[str, Any]) -> str:
    for field in ("display_name", "username"):
        value = raw.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME]
    return ""


def _author_id(raw: dict[str, Any]) -> str:
    for field in ("unique_identifier", "user_id"):
        value = raw.get(field)
        if isinstance(value, str) and AUTHOR_ID.fullmatch(value):
            return value
    return ""


def comment(
    raw: Any,
    *,
    business_id: str,
    video_id: str,
    username: str,
    now: datetime,
    parent_id: str = "",
) -> Comment | Malformed:
    """One comment on the account's video ``video_id`` (``parent_id``: the comment whose replies are
    read). The account's own (``owner`` true) is its published record, a visitor's an item."""
    if not isinstance(raw, dict):
        return Malformed("comment", _payload(raw), "the comment is not an object")
    try:
        comment_id = read_id(raw.get("comment_id"), "comment_id")
        on_video = read_id(raw.get("video_id", video_id), "video_id")
        if on_video != video_id:
            raise Bad("video_id is not the video read")
        at = read_time(raw.get("create_time"), "create_time", now=now)
        text = read_text(raw.get("text"), "text")
        parent = raw.get("parent_comment_id") or parent_id
        parent = read_id(parent, "parent_comment_id") if parent else ""
        if parent == comment_id:
            raise Bad("parent_comment_id is the comment itself")
    except Bad as exc:
        return Malformed("comment", _payload(raw), str(exc))
    own = raw.get("owner") is True or raw.get("user_id") == business_id
    incoming = Incoming(
        change=Change.ADD,
        platform_id=platform_id(video_id, comment_id),
        kind=Item.Kind.COMMENT,
        own=own,
        author=_name(raw),
        author_platform_id=_author_id(raw),
        text=text,
        at=at,
        url=video_url(username, video_id),
        in_reply_to=platform_id(video_id, parent) if parent else video_id,
    )
    return Comment(
        video_id=video_id,
        comment_id=comment_id,
        at=at,
        replies=count(raw.get("replies")) or 0,
        own=own,
        text=text,
        row=Fetched("comment", incoming, _payload(raw)),
    )
