"""What a poll reads from YouTube: the channel's comment threads, newest first, down to the cursor.

``commentThreads.list`` (https://developers.google.com/youtube/v3/docs/commentThreads/list) with
``allThreadsRelatedToChannelId``, ``part=snippet,replies``, ``order=time``, ``maxResults=100`` and
``textFormat=plainText`` answers ``{"items": [CommentThread], "nextPageToken"}``; a CommentThread
(https://developers.google.com/youtube/v3/docs/commentThreads) is ``{"id", "snippet": {"channelId",
"videoId", "topLevelComment": Comment, "totalReplyCount", "canReply", "isPublic"}, "replies":
{"comments": [Comment]}}``, and its ``replies`` may hold only some of the replies: a thread with more
(``totalReplyCount``) is read with ``comments.list`` (https://developers.google.com/youtube/v3/docs/
comments/list) ``parentId=…``, ``{"items": [Comment], "nextPageToken"}``. A Comment
(https://developers.google.com/youtube/v3/docs/comments) is ``{"id", "snippet": {"authorDisplayName",
"authorChannelId": {"value"}, "channelId", "videoId", "textDisplay", "textOriginal", "parentId",
"publishedAt", "updatedAt"}}``. YouTube's threads are one level: a reply's ``parentId`` is always the
top-level comment, and its id is that id, a dot and its own part.

The cursor's position: ``since``, the newest activity of a thread as listed (the latest
``publishedAt`` or ``updatedAt`` of its comment and of the replies it carries); ``ids``, the threads
seen at exactly that time; ``bad``, digests of threads that could not be read (each kept as an error
event once).
The walk stops at the first thread older than ``since``: a poll with nothing new is one call. The
first poll reads back ``adapters.BACKFILL``. Should YouTube list an old thread below newer ones after
a new reply to it, that reply comes in only once the thread is listed above the cursor again.

Everything is hostile until checked: ids of YouTube's shape, times in RFC 3339 within core.bounds,
texts capped, paging bounded (``MAX_PAGES``, ``MAX_REPLY_PAGES``); a row of the wrong shape is a
``Malformed`` value, and the rest goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from connectors.adapters import BACKFILL
from connectors.errors import Unavailable
from connectors.intake import Change, Fetched, Incoming, Malformed, Row
from connectors.meta.parse import storable
from connectors.rest import Client
from connectors.youtube.api import CHANNEL_ID, COMMENT_ID, VIDEO_ID
from core import bounds
from moderation.models import Item

MAX_PAGES = 10  # pages of 100 threads a poll reads at most; what is older is left unread
MAX_REPLY_PAGES = 5  # pages of 100 replies of one thread
MAX_TEXT = 20_000
MAX_NAME = 200
MAX_IDS = 50
TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
PAGE_TOKEN = re.compile(r"[A-Za-z0-9_=+/.-]{1,500}")


class Unreadable(ValueError):
    """A thread or comment that does not have the documented shape."""


def parse_time(value: Any, name: str, *, now: datetime | None = None) -> datetime:
    """An RFC 3339 time as YouTube writes it (``2026-11-26T09:00:00Z``), within core.bounds."""
    match = TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Unreadable(_("%(name)s is not a time.") % {"name": name})
    fraction = (match[2] or "")[:7]  # Python reads at most microseconds
    offset = "+00:00" if match[3] == "Z" else match[3]
    try:
        at = datetime.fromisoformat(match[1] + fraction + offset)
    except ValueError as exc:
        raise Unreadable(_("%(name)s is not a time.") % {"name": name}) from exc
    if now is not None and not bounds.within_time_bounds(at, now=now):
        raise Unreadable(_("%(name)s is outside the times Kanalvakt accepts.") % {"name": name})
    return at


def watch_url(video: str, comment: str) -> str:
    """The comment's link: its video, opened at the comment."""
    return f"https://www.youtube.com/watch?v={video}&lc={comment}" if video else ""


@dataclass(frozen=True)
class Comment:
    """One comment as checked."""

    id: str
    author: str
    author_id: str
    text: str
    published: datetime
    updated: datetime
    video: str
    parent: str
    raw: dict[str, Any]

    @property
    def changed(self) -> datetime:
        return max(self.published, self.updated)


def _text(value: Any, limit: int) -> str:
    return str(storable(value))[:limit] if isinstance(value, str) else ""


def comment(raw: Any, *, now: datetime, video: str = "", parent: str = "") -> Comment:
    """A Comment resource, checked. ``video``/``parent``: the thread's, when the comment lacks them."""
    if not isinstance(raw, dict) or not isinstance(raw.get("snippet"), dict):
        raise Unreadable(_("A comment is not an object with a snippet."))
    snippet = raw["snippet"]
    comment_id = raw.get("id")
    if not isinstance(comment_id, str) or not COMMENT_ID.fullmatch(comment_id):
        raise Unreadable(_("The comment's id is not a YouTube comment id."))
    published = parse_time(snippet.get("publishedAt"), "publishedAt", now=now)
    updated = (
        parse_time(snippet["updatedAt"], "updatedAt", now=now) if snippet.get("updatedAt") else published
    )
    own_video = snippet.get("videoId")
    if own_video not in (None, "") and (not isinstance(own_video, str) or not VIDEO_ID.fullmatch(own_video)):
        raise Unreadable(_("The comment's videoId is not a YouTube video id."))
    own_parent = snippet.get("parentId")
    if own_parent not in (None, "") and own_parent != parent and parent:
        raise Unreadable(_("The reply's parentId is not its thread."))
    author = snippet.get("authorChannelId")
    author_id = author.get("value") if isinstance(author, dict) else None
    if author_id is not None and (not isinstance(author_id, str) or not CHANNEL_ID.fullmatch(author_id)):
        raise Unreadable(_("The author's channel id is not a YouTube channel id."))
    text = snippet.get("textOriginal")
    return Comment(
        id=comment_id,
        author=_text(snippet.get("authorDisplayName"), MAX_NAME).strip(),
        author_id=author_id or "",
        text=_text(text if isinstance(text, str) else snippet.get("textDisplay"), MAX_TEXT),
        published=published,
        updated=max(updated, published),
        video=own_video or video,
        parent=parent,
        raw=raw,
    )


def _row(found: Comment, *, channel_id: str, since: datetime, first: bool, payload: Any = None) -> Row | None:
    """A comment changed since ``since`` as a row: new (ADD), or edited by its author (EDIT)."""
    if found.changed < since:
        return None
    own = found.author_id == channel_id  # the channel's own comment: its published record
    # Read before (published by the cursor's time) and changed since: its author edited it.
    edited = not first and not own and found.published <= since < found.updated
    incoming = Incoming(
        change=Change.EDIT if edited else Change.ADD,
        platform_id=found.id,
        kind=Item.Kind.COMMENT,
        own=own,
        author=found.author,
        author_platform_id=found.author_id,
        text=found.text,
        at=found.updated if edited else found.published,
        url=watch_url(found.video, found.id),
        in_reply_to=found.parent or found.video or channel_id,
    )
    return Fetched("comment", incoming, storable(found.raw if payload is None else payload))


def _malformed(raw: Any, error: str) -> Malformed:
    payload = storable(raw)
    return Malformed("comment", payload if isinstance(payload, dict) else {"value": payload}, error)


def _items(body: Any) -> tuple[list[Any], str]:
    """A list answer's items and next page token; a body of another shape is YouTube failing."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise Unavailable(_("YouTube answered with something Kanalvakt could not read."))
    token = body.get("nextPageToken")
    return items, token if isinstance(token, str) and PAGE_TOKEN.fullmatch(token) else ""


@dataclass
class Walk:
    """What one walk read: rows, the calls it made (a unit each), and the cursor's new position
    (None when the budget ran out before the cursor was reached: the position stays)."""

    rows: list[Row] = field(default_factory=list)
    calls: int = 0
    position: dict[str, Any] | None = None
    bad: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Thread:
    top: Comment
    listed: list[Comment | Malformed]  # the replies the thread carries (maybe only some)
    total: int  # totalReplyCount
    raw: dict[str, Any]

    @property
    def at(self) -> datetime:
        """The thread's newest activity as listed."""
        return max([self.top.changed, *(r.changed for r in self.listed if isinstance(r, Comment))])


def replies_of(
    client: Client, auth: dict[str, str], parent: str, *, video: str, now: datetime, calls: int
) -> tuple[list[Comment | Malformed], int] | None:
    """Every reply to the top-level comment ``parent`` (comments.list, paged) and the calls made, or
    None when ``calls`` (the calls left) ran out first."""
    found: list[Comment | Malformed] = []
    token, made = "", 0
    for _page in range(MAX_REPLY_PAGES):
        if made >= calls:
            return None
        params: dict[str, Any] = {
            **auth,
            "part": "snippet",
            "parentId": parent,
            "maxResults": 100,
            "textFormat": "plainText",
        }
        if token:
            params["pageToken"] = token
        made += 1
        items, token = _items(client.get("/comments", params))
        for raw in items:
            try:
                found.append(comment(raw, now=now, video=video, parent=parent))
            except Unreadable as exc:
                found.append(_malformed(raw, str(exc)))
        if not token:
            break
    return found, made


def _ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and COMMENT_ID.fullmatch(v)][:200]


def read_new(
    client: Client,
    auth: dict[str, str],
    walk: Walk,
    *,
    channel_id: str,
    cursor: dict[str, Any],
    now: datetime,
    budget: int,
) -> None:
    """The threads newer than the cursor (or the last BACKFILL days), in at most ``budget`` calls,
    into ``walk`` (which counts the calls made even when one fails); the rows oldest first, the
    errors before them."""
    walk.bad = _ids(cursor.get("bad"))[-MAX_IDS:]
    _walk(client, auth, walk, channel_id=channel_id, cursor=cursor, now=now, budget=budget)
    walk.rows.sort(key=lambda row: row.incoming.at or now if isinstance(row, Fetched) else bounds.EARLIEST)


def _walk(
    client: Client,
    auth: dict[str, str],
    walk: Walk,
    *,
    channel_id: str,
    cursor: dict[str, Any],
    now: datetime,
    budget: int,
) -> None:
    try:
        since_was: datetime | None = parse_time(cursor.get("since"), "since")
    except Unreadable:
        since_was = None
    first = since_was is None
    since = since_was or now - BACKFILL
    boundary = set(_ids(cursor.get("ids"))) if since_was else set()
    newest, at_newest = since, set(boundary)
    token = ""
    for _page in range(MAX_PAGES):
        if walk.calls >= budget:
            return  # the budget is spent: the position stays, and the next day goes on from it
        params: dict[str, Any] = {
            **auth,
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": channel_id,
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
        }
        if token:
            params["pageToken"] = token
        walk.calls += 1
        items, token = _items(client.get("/commentThreads", params))
        reached = False
        for raw in items:
            thread = _thread(raw, channel_id=channel_id, now=now, walk=walk)
            if thread is None:
                continue
            if thread.at < since:
                reached = True
                break
            if thread.at == since and thread.top.id in boundary:
                continue
            replies = thread.listed
            if thread.total > len(thread.listed):
                read = replies_of(
                    client, auth, thread.top.id, video=thread.top.video, now=now, calls=budget - walk.calls
                )
                if read is None:
                    walk.calls = budget
                    return
                replies, made = read
                walk.calls += made
            _add(walk, thread, replies, channel_id=channel_id, since=since, first=first)
            if thread.at > newest:
                newest, at_newest = thread.at, {thread.top.id}
            elif thread.at == newest:
                at_newest.add(thread.top.id)
        if reached or not token:
            break
    walk.bad = walk.bad[-MAX_IDS:]
    walk.position = {"since": newest.isoformat(), "ids": sorted(at_newest)[:MAX_IDS], "bad": walk.bad}


def _thread(raw: Any, *, channel_id: str, now: datetime, walk: Walk) -> Thread | None:
    """A thread, checked; None for a thread that could not be read (kept as an error event, once)."""
    thread_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        if not isinstance(raw, dict) or not isinstance(raw.get("snippet"), dict):
            raise Unreadable(_("A comment thread is not an object with a snippet."))
        if not isinstance(thread_id, str) or not COMMENT_ID.fullmatch(thread_id) or "." in thread_id:
            raise Unreadable(_("The thread's id is not a YouTube comment id."))
        snippet = raw["snippet"]
        if snippet.get("channelId") not in (None, channel_id):
            raise Unreadable(_("The thread belongs to another channel."))
        video = snippet.get("videoId")
        if video not in (None, "") and (not isinstance(video, str) or not VIDEO_ID.fullmatch(video)):
            raise Unreadable(_("The thread's videoId is not a YouTube video id."))
        top = comment(snippet.get("topLevelComment"), now=now, video=video or "")
        if top.id != thread_id:
            raise Unreadable(_("The thread's comment has another id than the thread."))
        total = snippet.get("totalReplyCount", 0)
        if not isinstance(total, int) or isinstance(total, bool) or not 0 <= total <= 1_000_000:
            raise Unreadable(_("totalReplyCount is not a count."))
    except Unreadable as exc:
        # Remembered by a digest of what it holds, so that the next polls do not report it again.
        key = hashlib.sha256(json.dumps(storable(raw), sort_keys=True, default=str).encode()).hexdigest()[:24]
        if key not in walk.bad:
            walk.bad.append(key)
            walk.rows.append(_malformed(raw, str(exc)))
        return None
    listed: list[Comment | Malformed] = []
    replies = raw.get("replies")
    rows = replies.get("comments") if isinstance(replies, dict) else []
    for reply in rows if isinstance(rows, list) else []:
        try:
            listed.append(comment(reply, now=now, video=top.video, parent=top.id))
        except Unreadable as exc:
            listed.append(_malformed(reply, str(exc)))
    return Thread(top=top, listed=listed, total=total, raw=raw)


def _add(
    walk: Walk,
    thread: Thread,
    replies: list[Comment | Malformed],
    *,
    channel_id: str,
    since: datetime,
    first: bool,
) -> None:
    """The rows of a thread: its comment (with the thread around it as the payload) and its replies,
    those changed since ``since``."""
    envelope = {key: value for key, value in thread.raw.items() if key != "replies"}
    row = _row(thread.top, channel_id=channel_id, since=since, first=first, payload=envelope)
    if row is not None:
        walk.rows.append(row)
    for reply in replies:
        if isinstance(reply, Malformed):
            walk.rows.append(reply)
        elif (reply_row := _row(reply, channel_id=channel_id, since=since, first=first)) is not None:
            walk.rows.append(reply_row)
