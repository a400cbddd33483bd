"""What the reconciliation poll and the backfill read from the Graph API, as ``Incoming`` values.

Facebook: the page's feed of recent posts (visitors' posts and the page's own), each post's comments
and replies (``filter=stream`` gives replies with their parent), and the page's conversations.
Instagram: the account's recent media (its own posts), their comments with replies, and the
conversations with ``platform=instagram``. Everything the platform returns is checked here: a row of
the wrong shape becomes a ``Malformed`` value that the caller keeps as an error event, and the rest
goes on. The page's own writing is ``own=True`` (the account's publications, which need no answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connectors.intake import Change, Fetched, Incoming, Malformed, Row
from connectors.meta.graph import Graph, parse_time
from connectors.models import Connection, Platform
from moderation.models import Item

MAX_TEXT = 20_000


def _author(row: dict[str, Any]) -> tuple[str, str]:
    author = row.get("from")
    if isinstance(author, dict):
        name = author.get("name") or author.get("username") or ""
        return str(name)[:200], str(author.get("id") or "")[:100]
    return str(row.get("username") or "")[:200], ""


def _text(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _id(value: Any) -> str:
    text = str(value) if isinstance(value, str | int) else ""
    return text if text and len(text) <= 200 and text.replace("_", "").replace("-", "").isalnum() else ""


def _url(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith("https://") and len(value) <= 500 else ""


def _read(
    object_type: str,
    row: dict[str, Any],
    *,
    own_id: str,
    kind: str,
    text_key: str,
    time_key: str,
    url_key: str = "",
    parent: str = "",
) -> Row:
    platform_id = _id(row.get("id"))
    at = parse_time(row.get(time_key))
    if not platform_id or at is None:
        return Malformed(object_type, row, "no id or no time")
    name, author_id = _author(row)
    parent_row = row.get("parent")
    in_reply_to = _id(parent_row.get("id")) if isinstance(parent_row, dict) else parent
    incoming = Incoming(
        change=Change.ADD,
        platform_id=platform_id,
        kind=kind,
        own=bool(author_id) and author_id == own_id,
        author=name,
        author_platform_id=author_id,
        text=_text(row.get(text_key)),
        at=at,
        url=_url(row.get(url_key)) if url_key else "",
        in_reply_to=in_reply_to,
    )
    return Fetched(object_type, incoming, row)


def facebook(
    graph: Graph, connection: Connection, *, since: datetime, posts_since: datetime
) -> Iterator[Row]:
    """The page's recent posts (created since ``posts_since``), their comments since ``since``, and the
    conversations updated since ``since``."""
    page = connection.external_id
    feed = graph.pages(
        f"/{page}/feed",
        {
            "fields": "id,message,created_time,permalink_url,from",
            "since": int(posts_since.timestamp()),
            "limit": 25,
        },
    )
    for rows in feed:
        for row in rows:
            post = _read(
                "post",
                row,
                own_id=page,
                kind=Item.Kind.POST,
                text_key="message",
                time_key="created_time",
                url_key="permalink_url",
            )
            yield post
            if isinstance(post, Malformed):
                continue
            comments = graph.pages(
                f"/{post.incoming.platform_id}/comments",
                {
                    "fields": "id,message,created_time,permalink_url,from,parent{id}",
                    "filter": "stream",
                    "order": "reverse_chronological",
                    "limit": 50,
                },
            )
            yield from _until(
                (
                    _read(
                        "comment",
                        c,
                        own_id=page,
                        kind=Item.Kind.COMMENT,
                        text_key="message",
                        time_key="created_time",
                        url_key="permalink_url",
                    )
                    for batch in comments
                    for c in batch
                ),
                since,
            )
    yield from _conversations(graph, connection, since=since)


def instagram(
    graph: Graph, connection: Connection, *, since: datetime, posts_since: datetime
) -> Iterator[Row]:
    """The account's recent media (its own posts), their comments and replies, and conversations."""
    account = connection.external_id
    media = graph.pages(
        f"/{account}/media",
        {"fields": "id,caption,timestamp,permalink", "since": int(posts_since.timestamp()), "limit": 25},
    )
    for rows in media:
        for row in rows:
            post = _read(
                "post",
                {**row, "from": {"id": account}},
                own_id=account,
                kind=Item.Kind.POST,
                text_key="caption",
                time_key="timestamp",
                url_key="permalink",
            )
            yield post
            if isinstance(post, Malformed):
                continue
            comments = graph.pages(
                f"/{post.incoming.platform_id}/comments",
                {
                    "fields": "id,text,timestamp,username,from,replies{id,text,timestamp,username,from}",
                    "limit": 50,
                },
            )
            for batch in comments:
                for c in batch:
                    comment = _read(
                        "comment",
                        c,
                        own_id=account,
                        kind=Item.Kind.COMMENT,
                        text_key="text",
                        time_key="timestamp",
                    )
                    yield from _until(iter([comment]), since)
                    replies = c.get("replies")
                    data = replies.get("data") if isinstance(replies, dict) else None
                    parent = comment.incoming.platform_id if isinstance(comment, Fetched) else ""
                    for r in data if isinstance(data, list) else []:
                        if isinstance(r, dict):
                            yield from _until(
                                iter(
                                    [
                                        _read(
                                            "comment",
                                            r,
                                            own_id=account,
                                            kind=Item.Kind.COMMENT,
                                            text_key="text",
                                            time_key="timestamp",
                                            parent=parent,
                                        )
                                    ]
                                ),
                                since,
                            )
    yield from _conversations(graph, connection, since=since)


def _conversations(graph: Graph, connection: Connection, *, since: datetime) -> Iterator[Row]:
    own = connection.external_id
    params: dict[str, Any] = {
        "fields": "id,updated_time,messages.limit(50){id,message,created_time,from}",
        "limit": 25,
    }
    if connection.platform == Platform.INSTAGRAM:
        params["platform"] = "instagram"
    for rows in graph.pages(f"/{own}/conversations", params):
        older = False
        for conversation in rows:
            updated = parse_time(conversation.get("updated_time"))
            if updated is not None and updated < since:
                older = True  # newest first: the rest were last touched before ``since``
                break
            messages = conversation.get("messages")
            data = messages.get("data") if isinstance(messages, dict) else None
            for m in data if isinstance(data, list) else []:
                if isinstance(m, dict):
                    yield from _until(
                        iter(
                            [
                                _read(
                                    "message",
                                    m,
                                    own_id=own,
                                    kind=Item.Kind.MESSAGE,
                                    text_key="message",
                                    time_key="created_time",
                                )
                            ]
                        ),
                        since,
                    )
        if older:
            return


def _until(rows: Iterator[Row], since: datetime) -> Iterator[Row]:
    """Rows created since ``since`` (and every malformed row, to be kept)."""
    for row in rows:
        if isinstance(row, Malformed) or (row.incoming.at is not None and row.incoming.at >= since):
            yield row
