"""The poll of a TikTok business account: what is new on its recent videos since the stored cursor.

TikTok has no list of an account's comments across its videos and pushes nothing to a self-hosted
service, so a poll reads (KAU-RESP-DAILY):

1. the account's videos, newest first (``/business/video/list/``, ``cursor`` being a time in
   milliseconds and ``has_more``), down to those published ``WATCH`` ago, at most ``MAX_VIDEOS``;
2. each video's comments, newest first (``/business/comment/list/`` with ``sort_field=create_time``
   and ``sort_order=desc``, ``cursor`` an offset and ``has_more``), page by page until a page reaches
   below the window (the last comment time seen, less ``OVERLAP`` for comments that show up late);
3. the replies of a comment (``/business/comment/reply/list/``) when its ``replies`` count says it has
   some it did not have when last read: a new comment with replies, or a thread that grew.

A poll that finds nothing new costs one call for the videos and one per watched video, and returns
no rows. Paging is capped (``MAX_*_PAGES``); on the first poll (an empty cursor) the window is the
last ``adapters.BACKFILL`` days, so the cap bounds the backfill. Comments on videos older than
``WATCH`` are not read: TikTok's per-video comment counts lag a day or two and cannot tell which of
them has something new. If TikTok ignores the order asked for, the pages are read to the end (the
cap), never stopped early.

The cursor is small JSON: ``since`` (seconds: the newest time read), ``seen`` (the keys of what was
read inside the overlap, and of rows that could not be read, so that nothing is applied or kept as
an error twice) and ``threads`` (comment id → [replies, time] for the comments of the last BACKFILL
days, the newest ``MAX_THREADS``), so that a new reply under an older comment is found by its count.
A new reply under a comment older than that is not looked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.adapters import BACKFILL, Poll
from connectors.intake import Fetched, Malformed
from connectors.models import Connection
from connectors.tiktok import rows
from connectors.tiktok.api import Api

WATCH = timedelta(days=60)  # the videos whose comments are read
MAX_VIDEOS = 40
VIDEO_PAGE = 20  # TikTok's maximum max_count for videos
MAX_VIDEO_PAGES = 4
COMMENT_PAGE = 30  # TikTok's maximum max_count for comments and replies
MAX_COMMENT_PAGES = 10
MAX_REPLY_PAGES = 5
OVERLAP = 300  # seconds read again below the last time seen
MAX_SEEN = 300
MAX_THREADS = 200
VIDEO_FIELDS = ["item_id", "create_time", "caption"]


@dataclass
class State:
    since: int | None = None
    seen: set[str] = field(default_factory=set)
    threads: dict[str, tuple[int, int]] = field(default_factory=dict)


def read_cursor(cursor: dict[str, Any], *, now: datetime) -> State:
    """The stored cursor, each part checked (a part that is not what it should be is dropped)."""
    state = State()
    since = cursor.get("since")
    if isinstance(since, int) and not isinstance(since, bool) and 0 <= since <= now.timestamp() + 600:
        state.since = since
    seen = cursor.get("seen")
    if isinstance(seen, list):
        state.seen = {key for key in seen[:MAX_SEEN] if isinstance(key, str) and len(key) <= 100}
    threads = cursor.get("threads")
    if isinstance(threads, dict):
        for key, value in list(threads.items())[:MAX_THREADS]:
            if (
                rows.split(key)
                and isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
            ):
                state.threads[key] = (value[0], value[1])
    return state


class Sweep:
    """One poll of one connection."""

    def __init__(self, api: Api, connection: Connection, cursor: dict[str, Any], *, now: datetime) -> None:
        self.api = api
        self.business_id = connection.external_id
        self.username = rows.username_of(connection.session.get("username"))
        self.now = now
        self.state = read_cursor(cursor, now=now)
        start = int((now - BACKFILL).timestamp())
        self.since = self.state.since if self.state.since is not None else start
        self.floor = self.since - OVERLAP if self.state.since is not None else start
        self.thread_floor = start  # the comments whose replies are counted: the last BACKFILL days
        self.newest = self.since
        self.fetched: list[Fetched] = []
        self.malformed: list[Malformed] = []
        self.seen: dict[str, int | None] = {}  # key → its time (None: a row that could not be read)
        self.threads: dict[str, tuple[int, int]] = {}
        self.counted: set[str] = set()  # the comments whose replies count was read this time

    # --- what was read ----------------------------------------------------------------------------

    def _bad(self, row: Malformed) -> None:
        key = rows.key_of(row)
        self.seen[key] = None
        if key not in self.state.seen:
            self.malformed.append(row)

    def _read(self, key: str, at: datetime, row: Fetched, *, again: bool = False) -> bool:
        """Keep ``row`` when it is new (inside the window and not seen; ``again``: whatever its time,
        a reply of a thread that grew). Returns whether it was new."""
        seconds = int(at.timestamp())
        self.newest = max(self.newest, min(seconds, int(self.now.timestamp())))
        if seconds >= self.floor:
            self.seen[key] = seconds
        if key in self.state.seen or (seconds < self.floor and not again):
            return False
        self.fetched.append(row)
        return True

    # --- the calls ----------------------------------------------------------------------------------

    def videos(self) -> list[rows.Video]:
        """The watched videos, newest first."""
        watched: list[rows.Video] = []
        oldest = self.now - WATCH
        cursor: int | None = None
        for _page in range(MAX_VIDEO_PAGES):
            params: dict[str, Any] = {
                "business_id": self.business_id,
                "fields": VIDEO_FIELDS,
                "max_count": VIDEO_PAGE,
            }
            if cursor is not None:
                params["cursor"] = cursor
            data = self.api.get("/business/video/list/", params)
            listed = data.get("videos")
            past = False
            for raw in listed if isinstance(listed, list) else []:
                video = rows.video(raw, username=self.username, now=self.now)
                if isinstance(video, Malformed):
                    self._bad(video)
                elif video.at < oldest:
                    past = True
                elif len(watched) < MAX_VIDEOS:
                    watched.append(video)
                    self._read(video.video_id, video.at, video.row)
            following = rows.count(data.get("cursor"))
            if past or len(watched) >= MAX_VIDEOS or data.get("has_more") is not True:
                break
            if following is None or following == cursor:
                break
            cursor = following
        return watched

    def _pages(self, path: str, params: dict[str, Any], pages: int) -> Iterator[list[Any]]:
        """The lists of ``comments`` page by page (``cursor`` an offset), while ``has_more``."""
        cursor = 0
        for page in range(pages):
            query = {**params, "sort_field": "create_time", "sort_order": "desc", "max_count": COMMENT_PAGE}
            if page:
                query["cursor"] = cursor
            data = self.api.get(path, query)
            listed = data.get("comments")
            yield listed if isinstance(listed, list) else []
            following = rows.count(data.get("cursor"))
            if data.get("has_more") is not True or following is None or following <= cursor:
                return
            cursor = following

    def comments(self, video: rows.Video) -> None:
        params = {"business_id": self.business_id, "video_id": video.video_id}
        descending, previous = True, None
        for page in self._pages("/business/comment/list/", params, MAX_COMMENT_PAGES):
            below = False
            for raw in page:
                comment = rows.comment(
                    raw,
                    business_id=self.business_id,
                    video_id=video.video_id,
                    username=self.username,
                    now=self.now,
                )
                if isinstance(comment, Malformed):
                    self._bad(comment)
                    continue
                if previous is not None and comment.at > previous:
                    descending = False
                previous = comment.at
                below = below or int(comment.at.timestamp()) < self.floor
                new = self._read(comment.platform_id, comment.at, comment.row)
                self._thread(comment, new=new)
            if descending and below:
                return

    def _thread(self, comment: rows.Comment, *, new: bool) -> None:
        """Read the replies of a comment whose count says there are some not read yet: a new comment
        with replies, or a known one whose count grew since it was last read."""
        key = comment.platform_id
        known = self.state.threads.get(key)
        self.counted.add(key)
        at = int(comment.at.timestamp())
        if at >= self.thread_floor:
            self.threads[key] = (comment.replies, at)
        grew = known is not None and comment.replies > known[0]
        if not comment.replies or not (new or grew):
            return
        params = {
            "business_id": self.business_id,
            "video_id": comment.video_id,
            "comment_id": comment.comment_id,
        }
        for page in self._pages("/business/comment/reply/list/", params, MAX_REPLY_PAGES):
            for raw in page:
                reply = rows.comment(
                    raw,
                    business_id=self.business_id,
                    video_id=comment.video_id,
                    username=self.username,
                    now=self.now,
                    parent_id=comment.comment_id,
                )
                if isinstance(reply, Malformed):
                    self._bad(reply)
                else:
                    self._read(reply.platform_id, reply.at, reply.row, again=grew)

    # --- the result ---------------------------------------------------------------------------------

    def run(self) -> Poll:
        for video in self.videos():
            self.comments(video)
        return Poll(rows=[*sorted(self.fetched, key=_at), *self.malformed], cursor=self.cursor())

    def cursor(self) -> dict[str, Any]:
        floor = self.newest - OVERLAP
        kept = [(key, at) for key, at in self.seen.items() if at is None or at >= floor]
        kept.sort(key=lambda pair: float("-inf") if pair[1] is None else -pair[1])  # unreadable first
        carried = {
            key: value
            for key, value in self.state.threads.items()
            if key not in self.counted and value[1] >= self.thread_floor
        }
        threads = {**carried, **self.threads}
        newest_threads = sorted(threads.items(), key=lambda pair: -pair[1][1])[:MAX_THREADS]
        return {
            "since": self.newest,
            "seen": [key for key, _at in kept[:MAX_SEEN]],
            "threads": {key: [replies, at] for key, (replies, at) in newest_threads},
        }


def _at(row: Fetched) -> datetime:
    assert row.incoming.at is not None  # every row read here has its time
    return row.incoming.at


def poll(api: Api, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
    """What is new on the account's watched videos since ``cursor`` (module docstring)."""
    return Sweep(api, connection, cursor, now=now).run()
