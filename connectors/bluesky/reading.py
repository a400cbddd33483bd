"""What one poll reads from Bluesky, from the stored cursor: the account's notifications (replies,
mentions and quotes become items), its own posts (its published record, every ``OWN_EVERY``), and its
direct messages where the app password allows them.

listNotifications and getAuthorFeed have no "since": they list newest first, by the AppView's sort
time, which is the earlier of when the post was indexed and when its writer says it was made. So a
poll reads from the newest until it passes the time it reached last time, less ``OVERLAP`` (a post
whose clock ran a little behind sorts a little back), and leaves out what it saw in that overlap
(``Window``): a poll with nothing new is one call and returns nothing. The first poll reads back
``adapters.BACKFILL`` (14 days). Pages are capped; a burst beyond the cap in one poll interval is
not read back. The account's seen marker (``updateSeen``) is never touched: Kanalvakt is not the
account's reader, and the people who use the Bluesky app still see what is new to them.

Direct messages (chat.bsky.convo.listConvos, getMessages, through the PDS to Bluesky's chat service)
are read only when the session may (an app password with access to direct messages); a refusal is
remembered for ``DM_RETRY`` and the rest of the poll goes on. Reading messages does not mark them read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from connectors.adapters import BACKFILL
from connectors.bluesky import parse
from connectors.bluesky.xrpc import CHAT_PROXY, SCOPE_APP, Xrpc
from connectors.errors import PlatformError, Refused, Unavailable
from connectors.intake import Fetched, Row

OVERLAP = timedelta(minutes=15)
MAX_SEEN = 200
PAGE = 100  # listNotifications, getAuthorFeed and getMessages give at most 100 a page
MAX_PAGES = 10  # per list and poll
MAX_PAGES_FIRST = 20  # the first poll's 14 days
OWN_EVERY = timedelta(minutes=10)
DM_RETRY = timedelta(days=1)
MAX_CONVOS = 20  # conversations whose new messages are read in one poll; the rest in the next
MAX_REVS = 300
NOTIFICATION_REASONS = sorted(parse.ITEM_REASONS)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


@dataclass
class Window:
    """Where a newest-first list was read to: the newest sort time seen, and the ids seen since that
    time less the overlap (with their times)."""

    at: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: Any) -> Window | None:
        if not isinstance(raw, dict):
            return None
        at = parse.parse_time(raw.get("at"))
        if at is None:
            return None
        seen = raw.get("seen")
        items = seen.items() if isinstance(seen, dict) else ()
        return cls(at=at, seen={k: v for k, v in items if isinstance(k, str) and isinstance(v, str)})

    def dump(self) -> dict[str, Any]:
        return {"at": _iso(self.at) if self.at else None, "seen": self.seen}


def _fingerprint(row: Any) -> str:
    dumped = json.dumps(row, sort_keys=True, default=str)[:100_000]
    return "#" + hashlib.sha256(dumped.encode("utf-8")).hexdigest()[:24]


def read_newest_first(
    fetch: Callable[[str | None], tuple[list[Any], str | None]],
    *,
    window: Window | None,
    now: datetime,
    time_of: Callable[[Any], datetime | None],
    id_of: Callable[[Any], str | None],
) -> tuple[list[Any], Window]:
    """The rows of a newest-first list not seen before, newest first, and the window to keep. A row
    without a readable time or id is passed on once (its parser makes it Malformed)."""
    floor = max(window.at - OVERLAP if window and window.at else now - BACKFILL, now - BACKFILL)
    before = window.seen if window else {}
    newest = window.at if window else None
    fresh: list[Any] = []
    seen: dict[str, datetime] = {}
    place = newest or now  # where a row without a time sits: by its newer neighbour
    cursor: str | None = None
    for _page in range(MAX_PAGES if window else MAX_PAGES_FIRST):
        rows, cursor = fetch(cursor)
        stop = False
        for row in rows:
            at = time_of(row)
            if at is not None:
                at = min(at, now)  # a time in the future would hold the window ahead of every new row
            if at is not None and at < floor:
                stop = True
                break
            place = at or place
            ident = id_of(row) or _fingerprint(row)
            seen[ident] = place
            if at is not None and (newest is None or at > newest):
                newest = at
            if ident not in before:
                fresh.append(row)
        if stop or not cursor or not rows:
            break
    keep_from = (newest or now) - OVERLAP
    recent = {k: v for k, v in before.items() if (parse.parse_time(v) or now) >= keep_from}
    recent.update({k: _iso(v) for k, v in seen.items() if v >= keep_from})
    newest_first = sorted(recent.items(), key=lambda kv: kv[1], reverse=True)[:MAX_SEEN]
    return fresh, Window(at=newest, seen=dict(newest_first))


def _page_cursor(body: dict[str, Any]) -> str | None:
    cursor = body.get("cursor")
    if isinstance(cursor, str) and 0 < len(cursor) <= 500 and cursor.isprintable():
        return cursor
    return None


def _listed(body: Any, key: str) -> tuple[list[Any], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise Unavailable(_("Bluesky answered without the list of %(key)s.") % {"key": key})
    return list(body[key]), _page_cursor(body)


def notifications(x: Xrpc, raw: Any, *, now: datetime) -> tuple[list[Row], dict[str, Any]]:
    """Replies, mentions and quotes since the stored window. ``priority=false``: every writer, not
    only those the account follows (a setting of the account otherwise)."""

    def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
        params: dict[str, Any] = {"limit": PAGE, "priority": "false", "reasons": NOTIFICATION_REASONS}
        if cursor:
            params["cursor"] = cursor
        return _listed(x.query("app.bsky.notification.listNotifications", params), "notifications")

    fresh, window = read_newest_first(
        fetch,
        window=Window.load(raw),
        now=now,
        time_of=lambda row: parse.parse_time(row.get("indexedAt")) if isinstance(row, dict) else None,
        id_of=lambda row: row["uri"] if isinstance(row, dict) and isinstance(row.get("uri"), str) else None,
    )
    rows = [r for row in fresh if (r := parse.notification_row(row, own_did=x.did)) is not None]
    return rows, window.dump()


def _feed_time(entry: Any) -> datetime | None:
    post = entry.get("post") if isinstance(entry, dict) else None
    if not isinstance(post, dict):
        return None
    indexed = parse.parse_time(post.get("indexedAt"))
    record = post.get("record")
    created = parse.parse_time(record.get("createdAt")) if isinstance(record, dict) else None
    return min(indexed, created) if indexed and created else indexed


def _feed_id(entry: Any) -> str | None:
    post = entry.get("post") if isinstance(entry, dict) else None
    uri = post.get("uri") if isinstance(post, dict) else None
    reposted = isinstance(entry, dict) and entry.get("reason") is not None
    return f"{uri}#repost" if reposted and isinstance(uri, str) else uri if isinstance(uri, str) else None


def own_posts(x: Xrpc, raw: Any, *, now: datetime) -> tuple[list[Row], dict[str, Any]]:
    """The account's own posts and replies (app.bsky.feed.getAuthorFeed), every OWN_EVERY."""
    state = raw if isinstance(raw, dict) else {}
    read_at = parse.parse_time(state.get("read_at"))
    if read_at is not None and now - read_at < OWN_EVERY:
        return [], state

    def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
        params: dict[str, Any] = {"actor": x.did, "filter": "posts_with_replies", "limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        return _listed(x.query("app.bsky.feed.getAuthorFeed", params), "feed")

    try:
        fresh, window = read_newest_first(
            fetch, window=Window.load(state), now=now, time_of=_feed_time, id_of=_feed_id
        )
    except (Refused, Unavailable):
        # Not shown now (a profile the AppView has not indexed yet, a 5xx): the items were read, and
        # the account's own posts wait for the next poll (a rate limit is met there first).
        return [], state
    rows = [r for entry in fresh if (r := parse.own_post_row(entry, own_did=x.did)) is not None]
    return rows, {**window.dump(), "read_at": _iso(now)}


def _rev(value: Any) -> str:
    return value if isinstance(value, str) and parse.CHAT_ID.fullmatch(value) else ""


def messages(x: Xrpc, raw: Any, *, now: datetime) -> tuple[list[Row], dict[str, Any]]:
    """New direct messages, conversation by conversation: those whose last message is newer than the
    one read last time (revisions grow), read back to it."""
    state = raw if isinstance(raw, dict) else {}
    revs: dict[str, str] = {
        k: v for k, v in (state.get("revs") or {}).items() if parse.CHAT_ID.fullmatch(str(k)) and _rev(v)
    }
    off = parse.parse_time(state.get("off"))
    if off is not None and now - off < DM_RETRY:
        return [], state
    if x.scope == SCOPE_APP:
        return [], {"revs": revs, "off": _iso(now), "why": "scope"}
    try:
        body = x.query("chat.bsky.convo.listConvos", {"limit": PAGE}, proxy=CHAT_PROXY, attention=False)
        convos, _cursor = _listed(body, "convos")
    except Unavailable:
        return [], state  # the chat service is down or busy: the next poll asks again
    except PlatformError as exc:
        return [], {"revs": revs, "off": _iso(now), "why": exc.reason[:300]}
    rows: list[Row] = []
    read = 0
    for convo in convos:
        if not isinstance(convo, dict) or not parse.CHAT_ID.fullmatch(str(convo.get("id"))):
            continue
        convo_id = str(convo["id"])
        last = convo.get("lastMessage")
        last_rev = _rev(last.get("rev")) if isinstance(last, dict) else ""
        last_at = parse.parse_time(last.get("sentAt")) if isinstance(last, dict) else None
        known = revs.get(convo_id, "")
        if not last_rev or (known and last_rev <= known):
            continue
        if not known and (last_at is None or last_at < now - BACKFILL):
            revs[convo_id] = last_rev
            continue
        if read >= MAX_CONVOS:
            break  # left as it is: the next poll reads it
        read += 1
        try:
            new, newest = _convo_messages(x, convo, convo_id, known, now=now)
        except Unavailable:
            break
        except PlatformError:
            revs[convo_id] = last_rev  # this conversation cannot be read: do not ask at every poll
            continue
        rows += new
        revs[convo_id] = max(newest, last_rev) if newest else last_rev
    kept = dict(sorted(revs.items(), key=lambda kv: kv[1], reverse=True)[:MAX_REVS])
    return rows, {"revs": kept}


def _convo_messages(
    x: Xrpc, convo: dict[str, Any], convo_id: str, known: str, *, now: datetime
) -> tuple[list[Row], str]:
    handles = parse.convo_handles(convo)
    rows: list[Row] = []
    newest = ""
    cursor: str | None = None
    for _page in range(MAX_PAGES):
        params: dict[str, Any] = {"convoId": convo_id, "limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        body = x.query("chat.bsky.convo.getMessages", params, proxy=CHAT_PROXY, attention=False)
        listed, cursor = _listed(body, "messages")
        stop = False
        for message in listed:
            rev = _rev(message.get("rev")) if isinstance(message, dict) else ""
            at = parse.parse_time(message.get("sentAt")) if isinstance(message, dict) else None
            if (known and rev and rev <= known) or (at is not None and at < now - BACKFILL):
                stop = True
                break
            newest = max(newest, rev)
            row = parse.message_row(message, convo_id=convo_id, own_did=x.did, handles=handles)
            if row is not None:
                rows.append(row)
        if stop or not cursor:
            break
    return rows, newest


def oldest_first(rows: list[Row]) -> list[Row]:
    """Malformed rows first, then by time: an answer the account wrote comes after what it answers."""

    def key(row: Row) -> tuple[int, float]:
        if isinstance(row, Fetched) and row.incoming.at is not None:
            return 1, row.incoming.at.timestamp()
        return 0, 0.0

    return sorted(rows, key=key)
