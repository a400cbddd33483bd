"""What one poll reads from a LinkedIn organisation page: its recent posts (its own published record)
and the comments on them, as connectors.intake rows, with the cursor for the next poll.

From LinkedIn's documentation (Microsoft Learn, Community Management API):

- Posts API, "Find Posts by Authors" (community-management/shares/posts-api):
  ``GET /rest/posts?author={encoded organization URN}&q=author&count=…&sortBy=LAST_MODIFIED``, newest
  change first; each post has ``id`` (``urn:li:share:…`` or ``urn:li:ugcPost:…``), ``author``,
  ``commentary``, ``createdAt``, ``publishedAt``, ``lastModifiedAt`` (ms) and ``lifecycleState``.
- Comments API, "Get Comments on Shares" and "Get Comments on Comments"
  (community-management/shares/comments-api): ``GET /rest/socialActions/{encoded post or comment
  URN}/comments``; each comment has ``id``, ``commentUrn`` (``urn:li:comment:(<thread URN>,<id>)``),
  ``actor`` (the member or the organisation that wrote it), ``message.text``, ``created.time`` and
  ``lastModified.time`` (ms), ``object`` (the thread), ``parentComment`` for a nested reply, and
  ``commentsSummary`` (``totalFirstLevelComments``, ``aggregatedTotalComments``) counting its replies.

What a poll costs, and why. LinkedIn pushes nothing to a self-hosted service and has no "comments since"
query, so the poll reads: one page of the organisation's posts (more only while the posts are younger
than BACKFILL, up to MAX_POST_PAGES), then one comments call per watched post (the last MIN_WATCHED
posts, and every post changed within BACKFILL, at most MAX_WATCHED; a post with more than COMMENTS_PAGE
top-level comments takes one call per further page), and one replies call for each comment whose count
of replies grew since the last poll. A poll that finds nothing new therefore costs one posts call plus
one comments call per watched post, and returns no rows.

The cursor is small JSON: ``{"v": 1, "at": ms of this poll, "posts": {post URN: {"t": the newest
comment time seen (ms), "b": ids of the comments at that time, "r": {comment id: replies counted},
"m": fingerprints of malformed rows already kept}}, "m": […]}``, for the watched posts only. The first
poll ({}) reads back BACKFILL (14 days). A malformed row is kept once (as an error event), not at
every poll.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from django.utils.translation import gettext as _

from connectors import health, rest
from connectors.adapters import BACKFILL, Poll
from connectors.errors import PageUnreachable, Refused
from connectors.intake import Change, Fetched, Incoming, Malformed, Row
from connectors.linkedin import api
from moderation.models import Item

POSTS_PAGE = 10
MAX_POST_PAGES = 5
MIN_WATCHED = 5  # the last posts always watched, however old
MAX_WATCHED = 20
COMMENTS_PAGE = 50
MAX_COMMENT_PAGES = 5
MAX_REPLY_READS = 20  # replies calls in one poll; the rest wait for the next poll
MAX_REPLY_COUNTS = 100  # comments whose replies are counted, per post
MAX_FINGERPRINTS = 50
EDIT_MARGIN_MS = 5 * 60 * 1000  # LinkedIn's clock against ours, for edits


@dataclass
class Thread:
    """What the cursor remembers of one watched post."""

    t: int
    b: list[str] = field(default_factory=list)
    r: dict[str, int] = field(default_factory=dict)
    m: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        replies = dict(sorted(self.r.items(), key=lambda kv: int(kv[0]))[-MAX_REPLY_COUNTS:])
        return {"t": self.t, "b": sorted(self.b)[-20:], "r": replies, "m": self.m[-MAX_FINGERPRINTS:]}


def _thread(value: Any, *, floor: int) -> Thread:
    if not isinstance(value, dict):
        return Thread(t=floor)
    t = value.get("t")
    b, r, m = value.get("b"), value.get("r"), value.get("m")
    return Thread(
        t=t if isinstance(t, int) and not isinstance(t, bool) else floor,
        b=[x for x in b if isinstance(x, str)] if isinstance(b, list) else [],
        r={k: v for k, v in r.items() if isinstance(v, int)} if isinstance(r, dict) else {},
        m=[x for x in m if isinstance(x, str)] if isinstance(m, list) else [],
    )


def fingerprint(row: Any) -> str:
    raw = json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Comment:
    """A comment read and checked: its row, and what the cursor needs of it."""

    row: Fetched
    id: str
    urn: str
    created: int
    modified: int
    replies: int


def read_post(element: Any, *, org: str, now: datetime) -> tuple[Fetched, int] | Malformed | None:
    """A post of the organisation as its publication, with the time it last changed (ms); None for a
    post that is not published (a draft)."""
    if not isinstance(element, dict):
        return Malformed("post", {"element": element}, "a post is not an object")
    urn = element.get("id")
    state = element.get("lifecycleState", "PUBLISHED")
    if state != "PUBLISHED":
        return None
    if not isinstance(urn, str) or not api.POST_URN.fullmatch(urn):
        return Malformed("post", element, "no post URN of the documented shape")
    at = api.epoch_ms(element.get("publishedAt"), now=now) or api.epoch_ms(element.get("createdAt"), now=now)
    if at is None:
        return Malformed("post", element, "no time of publication")
    modified = api.epoch_ms(element.get("lastModifiedAt"), now=now) or at
    incoming = Incoming(
        change=Change.ADD,
        platform_id=urn,
        kind=Item.Kind.POST,
        own=True,
        author=org,
        author_platform_id=org,
        text=api.text(element.get("commentary")),
        at=at,
        url=api.feed_url(urn),
    )
    return Fetched("post", incoming, element), api.as_ms(modified)


def read_comment(
    element: Any, *, post: str, org: str, now: datetime, parent: str = ""
) -> Comment | Malformed:
    """A comment on the post (``parent``: the comment whose replies these are)."""
    if not isinstance(element, dict):
        return Malformed("comment", {"element": element}, "a comment is not an object")
    urn = element.get("commentUrn") or element.get("$URN")
    match = api.COMMENT_URN.fullmatch(urn) if isinstance(urn, str) else None
    if match is None or not isinstance(urn, str):
        return Malformed("comment", element, "no comment URN of the documented shape")
    comment_id = match.group(2)
    created = element.get("created")
    at = api.epoch_ms(created.get("time"), now=now) if isinstance(created, dict) else None
    if at is None:
        return Malformed("comment", element, "no time the comment was made")
    actor = element.get("actor")
    if not isinstance(actor, str) or not api.ACTOR_URN.fullmatch(actor):
        return Malformed("comment", element, "no author of the documented shape")
    message = element.get("message")
    parent_comment = element.get("parentComment")
    if isinstance(parent_comment, str) and api.COMMENT_URN.fullmatch(parent_comment):
        in_reply_to = parent_comment
    elif parent_comment is not None:
        return Malformed("comment", element, "a parent comment of the wrong shape")
    else:
        in_reply_to = parent or post
    modified_stamp = element.get("lastModified")
    modified = api.epoch_ms(modified_stamp.get("time"), now=now) if isinstance(modified_stamp, dict) else None
    summary = element.get("commentsSummary")
    replies = 0
    if isinstance(summary, dict):
        counts = [summary.get("totalFirstLevelComments"), summary.get("aggregatedTotalComments")]
        replies = max(
            (c for c in counts if isinstance(c, int) and not isinstance(c, bool) and c >= 0), default=0
        )
    incoming = Incoming(
        change=Change.ADD,
        platform_id=urn,
        kind=Item.Kind.COMMENT,
        own=actor == org,
        author=actor,
        author_platform_id=actor,
        text=api.text(message.get("text")) if isinstance(message, dict) else "",
        at=at,
        url=api.feed_url(post),
        in_reply_to=in_reply_to,
    )
    return Comment(
        row=Fetched("comment", incoming, element),
        id=comment_id,
        urn=urn,
        created=api.as_ms(at),
        modified=api.as_ms(modified) if modified else api.as_ms(at),
        replies=replies,
    )


def _edited(comment: Comment) -> Fetched:
    """The comment's author changed its text: the change, at the time LinkedIn says it was made."""
    i = comment.row.incoming
    edit = Incoming(
        change=Change.EDIT,
        platform_id=i.platform_id,
        kind=i.kind,
        own=i.own,
        author=i.author,
        author_platform_id=i.author_platform_id,
        text=i.text,
        at=datetime.fromtimestamp(comment.modified / 1000, tz=UTC),
        url=i.url,
        in_reply_to=i.in_reply_to,
    )
    return Fetched("comment", edit, comment.row.payload)


@dataclass
class _Reading:
    """One poll under way."""

    api: rest.Client
    org: str
    now: datetime
    floor: int  # ms: nothing older is read back
    since: int  # ms: the last poll, for edits (0: the first poll)
    rows: list[Row] = field(default_factory=list)
    reply_reads: int = 0

    def keep_malformed(self, row: Malformed, seen: list[str]) -> None:
        mark = fingerprint(row.payload)
        if mark not in seen:
            seen.append(mark)
            self.rows.append(row)

    def posts(self, seen: list[str]) -> list[tuple[str, Fetched]]:
        """The watched posts, newest change first."""
        watched: list[tuple[str, Fetched]] = []
        listing = api.pages(
            self.api,
            "/posts",
            {"author": self.org, "q": "author", "sortBy": "LAST_MODIFIED"},
            count=POSTS_PAGE,
            max_pages=MAX_POST_PAGES,
        )
        try:
            self._watch(listing, watched, seen)
        except Refused as exc:
            if exc.status != 404:
                raise
            self._unreachable(exc)
        return watched

    def _unreachable(self, exc: Refused) -> NoReturn:
        """LinkedIn does not know the organisation (any more): the page is gone or unpublished, and the
        connection needs attention (KAU-RESP-DAILY)."""
        error = PageUnreachable(
            _("LinkedIn cannot find the organisation's page: %(reason)s") % {"reason": exc.reason}, status=404
        )
        connection = self.api.connection
        if connection is not None and connection.pk:
            health.mark_attention(connection, cause=error.cause, reason=error.reason, now=self.now)
        raise error from exc

    def _watch(
        self,
        listing: Iterator[tuple[list[Any] | None, Any]],
        watched: list[tuple[str, Fetched]],
        seen: list[str],
    ) -> None:
        for elements, body in listing:
            if elements is None:
                self.keep_malformed(Malformed("post", _storable(body), api.unreadable()), seen)
                break
            older = False
            for element in elements:
                read = read_post(element, org=self.org, now=self.now)
                if read is None:
                    continue
                if isinstance(read, Malformed):
                    self.keep_malformed(read, seen)
                    continue
                row, modified = read
                if modified < self.floor and len(watched) >= MIN_WATCHED:
                    older = True
                    continue
                urn = row.incoming.platform_id
                if len(watched) < MAX_WATCHED and all(urn != known for known, _row in watched):
                    watched.append((urn, row))
            if older or len(watched) >= MAX_WATCHED:
                break

    def comments(self, post: str, thread: Thread) -> Thread | None:
        """The post's comments newer than the cursor (and edits since the last poll), and the replies
        of every comment whose count of replies grew. Returns what the cursor keeps of the post; None
        when the post is gone (deleted since it was listed)."""
        after = Thread(t=thread.t, b=list(thread.b), r={}, m=list(thread.m))
        grown: list[Comment] = []
        path = f"/socialActions/{api.encoded(post)}/comments"
        try:
            self._comments(path, post, thread, after, grown)
        except Refused as exc:
            if exc.status != 404:
                raise
            return None
        for comment in grown:
            if self.reply_reads >= MAX_REPLY_READS:
                break  # its count stays as it was, so the next poll reads it
            self.reply_reads += 1
            try:
                self.replies(post, comment, thread, after)
            except Refused as exc:
                if exc.status != 404:
                    raise
                continue  # the comment is gone with its replies
            after.r[comment.id] = comment.replies
        return after

    def _comments(self, path: str, post: str, thread: Thread, after: Thread, grown: list[Comment]) -> None:
        for elements, body in api.pages(self.api, path, {}, count=COMMENTS_PAGE, max_pages=MAX_COMMENT_PAGES):
            if elements is None:
                self.keep_malformed(Malformed("comment", _storable(body), api.unreadable()), after.m)
                break
            for element in elements:
                comment = read_comment(element, post=post, org=self.org, now=self.now)
                if isinstance(comment, Malformed):
                    self.keep_malformed(comment, after.m)
                    continue
                self.take(comment, thread, after)
                if comment.replies > 0 and comment.row.incoming.in_reply_to == post:
                    after.r[comment.id] = thread.r.get(comment.id, 0)
                    if comment.replies > thread.r.get(comment.id, 0):
                        grown.append(comment)

    def replies(self, post: str, parent: Comment, thread: Thread, after: Thread) -> None:
        path = f"/socialActions/{api.encoded(parent.urn)}/comments"
        for elements, body in api.pages(self.api, path, {}, count=COMMENTS_PAGE, max_pages=MAX_COMMENT_PAGES):
            if elements is None:
                self.keep_malformed(Malformed("comment", _storable(body), api.unreadable()), after.m)
                return
            for element in elements:
                reply = read_comment(element, post=post, org=self.org, now=self.now, parent=parent.urn)
                if isinstance(reply, Malformed):
                    self.keep_malformed(reply, after.m)
                    continue
                # A reply may be older than the newest comment seen (it was written under an older
                # comment): every reply since the floor is given, and intake knows the ones it has.
                if reply.created >= self.floor:
                    self.take(reply, thread, after, known_or_new=True)

    def take(self, comment: Comment, thread: Thread, after: Thread, *, known_or_new: bool = False) -> None:
        new = comment.created > thread.t or (comment.created == thread.t and comment.id not in thread.b)
        if new or known_or_new:
            self.rows.append(comment.row)
        elif self.since and comment.modified > max(comment.created, self.since - EDIT_MARGIN_MS):
            self.rows.append(_edited(comment))  # its author changed the text (KAU-PUBLIC-RECORD)
        if comment.created > after.t:
            after.t, after.b = comment.created, [comment.id]
        elif comment.created == after.t and comment.id not in after.b:
            after.b.append(comment.id)


def _when(row: Row) -> float:
    at = row.incoming.at if isinstance(row, Fetched) else None
    return at.timestamp() if at is not None else float("inf")


def _storable(body: Any) -> dict[str, Any]:
    return body if isinstance(body, dict) else {"answer": str(body)[:2000]}


def poll(client: rest.Client, organization_id: str, *, cursor: dict[str, Any], now: datetime) -> Poll:
    """Read what is new on the organisation's page since ``cursor`` ({}: the last BACKFILL days)."""
    floor = api.as_ms(now - BACKFILL)
    stored = cursor.get("posts")
    known: dict[str, Any] = stored if isinstance(stored, dict) else {}
    at = cursor.get("at")
    seen_posts = cursor.get("m")
    reading = _Reading(
        api=client,
        org=api.organization_urn(organization_id),
        now=now,
        floor=floor,
        since=at if isinstance(at, int) and not isinstance(at, bool) else 0,
    )
    post_marks = [m for m in seen_posts if isinstance(m, str)] if isinstance(seen_posts, list) else []
    threads: dict[str, Any] = {}
    for urn, row in reading.posts(post_marks):
        if urn not in known:
            reading.rows.append(row)  # the organisation's post, its published record (KAU-PUBLIC-RECORD)
        after = reading.comments(urn, _thread(known.get(urn), floor=floor))
        if after is not None:
            threads[urn] = after.as_json()
    # Oldest first, so that a visitor's comment is an item before the organisation's reply to it is
    # kept as the answer (connectors.intake); rows that could not be read last.
    rows = sorted(reading.rows, key=_when)
    return Poll(
        rows=rows,
        cursor={"v": 1, "at": api.as_ms(now), "posts": threads, "m": post_marks[-MAX_FINGERPRINTS:]},
    )
