"""A YouTube Data API v3 stand-in: tests/connectors/standin.py speaking YouTube's documented shapes.

``youtube_api(settings)`` starts the server, points ``YOUTUBE_API_URL`` at it and lets the outbound
check reach 127.0.0.1. It holds one channel, its comment threads and their replies, and answers as
YouTube does (https://developers.google.com/youtube/v3/docs):

- ``GET /channels?part=snippet,statistics&mine=true`` (the channel's token) or ``&id=…`` →
  ``{"kind": "youtube#channelListResponse", "items": [{"id", "snippet": {"title"}, "statistics":
  {"viewCount", "subscriberCount", "hiddenSubscriberCount", "videoCount"}}]}``;
- ``GET /commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=…&order=time&maxResults=…``
  → ``{"kind": "youtube#commentThreadListResponse", "items": [CommentThread], "nextPageToken"}``, newest
  first, ``pageToken`` for the next page;
- ``GET /comments?part=snippet&parentId=…`` → ``{"kind": "youtube#commentListResponse", "items":
  [Comment], "nextPageToken"}``;
- ``POST /comments?part=snippet`` with ``{"snippet": {"parentId", "textOriginal"}}`` → the new Comment;
- ``POST /comments/setModerationStatus?id=…&moderationStatus=rejected`` → 204 No Content;
- errors as ``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}``.

Reads take the installation's API key (``key``) or one of the channel's access tokens
(``Authorization: Bearer``); writes only an access token. Google's token endpoint is stood in for on
the same server (``POST /token``, https://developers.google.com/identity/protocols/oauth2/web-server#offline):
a form with ``client_id``, ``client_secret``, ``refresh_token`` and ``grant_type=refresh_token``
answers ``{"access_token", "expires_in", "scope", "token_type": "Bearer"}`` with a new access token
that YouTube then accepts, or an OAuth 2.0 error (``invalid_grant`` for a revoked refresh token,
``invalid_client`` for a wrong client, ``unsupported_grant_type``).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tests.connectors.standin import Answer, Request, StandIn, stand_in

PREFIX = "/youtube/v3"
CHANNEL = "UCk8sMvS0yNYwZ3Xx0bKAU0g"
TOKEN = "ya29.a0AfB_channel-token-1"
CLIENT_ID = "123456789012-kanalvakt.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-StandInClientSecret0123"
REFRESH_TOKEN = "1//0gStandInRefreshToken-Kanalvakt_abcdef"
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
API_KEY = "AIzaSyTestKey0123456789"
VIDEO = "dQw4w9WgXcQ"
_ids = itertools.count(1)


def error(status: int, reason: str, message: str, *, domain: str = "youtube.api") -> tuple[int, Any]:
    return status, {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


QUOTA_EXCEEDED = error(
    403,
    "quotaExceeded",
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
    'getting-started#quota">quota</a>.',
    domain="youtube.quota",
)
RATE_LIMITED = error(403, "rateLimitExceeded", "The request was rate limited.", domain="youtube.quota")
TOKEN_INVALID = (
    401,
    {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
            "errors": [
                {
                    "message": "Invalid Credentials",
                    "domain": "global",
                    "reason": "authError",
                    "location": "Authorization",
                    "locationType": "header",
                }
            ],
            "status": "UNAUTHENTICATED",
        }
    },
)
INSUFFICIENT = error(
    403, "insufficientPermissions", "Request had insufficient authentication scopes.", domain="global"
)
FORBIDDEN = error(403, "forbidden", "The comment could not be moderated by this user.")
COMMENTS_DISABLED = error(403, "commentsDisabled", "The video has disabled comments.")
COMMENT_NOT_FOUND = error(404, "commentNotFound", "The comment could not be found.")
CHANNEL_NOT_FOUND = error(404, "channelNotFound", "The channel could not be found.")
SERVER_ERROR = error(500, "backendError", "Backend Error", domain="global")


def visitor(number: int) -> str:
    """A visitor's channel id."""
    return f"UCvisitor{number:015d}"


def when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def comment(
    comment_id: str,
    text: str,
    at: datetime,
    *,
    author: str = "Besökare",
    author_id: str = "",
    video: str = VIDEO,
    parent: str = "",
    updated: datetime | None = None,
) -> dict[str, Any]:
    """A Comment resource as YouTube gives it (by a visitor unless ``author_id`` says otherwise)."""
    author_id = author_id or visitor(1)
    snippet: dict[str, Any] = {
        "channelId": CHANNEL,
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": author,
        "authorProfileImageUrl": "https://yt3.ggpht.com/ytc/abc=s48-c-k-c0x00ffffff-no-rj",
        "authorChannelUrl": f"http://www.youtube.com/channel/{author_id}",
        "authorChannelId": {"value": author_id},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": when(at),
        "updatedAt": when(updated or at),
    }
    if parent:
        snippet["parentId"] = parent
    else:
        snippet["videoId"] = video
    return {"kind": "youtube#comment", "etag": f"etag-{comment_id}", "id": comment_id, "snippet": snippet}


def thread(
    top: dict[str, Any], replies: Sequence[dict[str, Any]] = (), *, total: int | None = None
) -> dict[str, Any]:
    """A CommentThread around its top-level comment, carrying ``replies`` (maybe only some)."""
    listed = list(replies)
    body: dict[str, Any] = {
        "kind": "youtube#commentThread",
        "etag": f"etag-t-{top['id']}",
        "id": top["id"],
        "snippet": {
            "channelId": CHANNEL,
            "videoId": top["snippet"].get("videoId", VIDEO),
            "topLevelComment": top,
            "canReply": True,
            "totalReplyCount": len(listed) if total is None else total,
            "isPublic": True,
        },
    }
    if listed:
        body["replies"] = {"comments": listed}
    return body


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return -1


class YouTubeStandIn:
    """The server, the channel's comments and what the test wants YouTube to say."""

    def __init__(self, server: StandIn) -> None:
        self.server = server
        self.base_url = server.base_url
        self.title = "Karlstads universitet"
        self.statistics: dict[str, Any] = {
            "viewCount": "1234567",
            "subscriberCount": "8900",
            "hiddenSubscriberCount": False,
            "videoCount": "321",
        }
        # The threads, newest first as order=time lists them: a top-level comment (its thread is built
        # at each call, with its replies as they are then), or a thread as given (``raw``).
        self.entries: list[dict[str, Any]] = []
        self.replies: dict[str, list[dict[str, Any]]] = {}  # every reply, by top-level comment id
        self.listed: dict[str, int | None] = {}  # how many replies a thread carries (None: all)
        self.page_size = 100
        self.failures: dict[str, list[Answer]] = {}
        self.hidden: list[str] = []
        self.now: datetime | None = None  # the time a reply posted here gets (None: the clock's)
        # Google's side: the access tokens YouTube accepts, the refresh tokens the token endpoint
        # honours, and what it answers with.
        self.access_tokens: set[str] = {TOKEN}
        self.refresh_tokens: set[str] = {REFRESH_TOKEN}
        self.issued: list[str] = []
        self.expires_in: Any = 3599
        self.scope = SCOPE
        server.route("POST", "/token", self._token)
        for method, tail, answer in (
            ("GET", "/channels", self._channels),
            ("GET", "/commentThreads", self._threads),
            ("GET", "/comments", self._comments),
            ("POST", "/comments", self._insert),
            ("POST", "/comments/setModerationStatus", self._moderate),
        ):
            server.route(method, PREFIX + tail, answer)

    # --- what the test sets up ---

    def add(
        self, top: dict[str, Any], replies: Sequence[dict[str, Any]] = (), *, listed: int | None = None
    ) -> None:
        """A thread newest of all, with its replies, of which the thread carries ``listed`` (all)."""
        self.replies[top["id"]] = list(replies)
        self.listed[top["id"]] = listed
        self.entries.insert(0, {"top": top})

    def add_raw(self, raw: Any) -> None:
        """A thread exactly as given, newest of all."""
        self.entries.insert(0, {"raw": raw})

    def set_top(self, changed: dict[str, Any]) -> None:
        """A thread's top-level comment as it is now (an edit)."""
        for entry in self.entries:
            if entry.get("top", {}).get("id") == changed["id"]:
                entry["top"] = changed

    @property
    def threads(self) -> list[Any]:
        built = []
        for entry in self.entries:
            if "raw" in entry:
                built.append(entry["raw"])
                continue
            top = entry["top"]
            replies = self.replies.get(top["id"], [])
            listed = self.listed.get(top["id"])
            built.append(thread(top, replies if listed is None else replies[:listed], total=len(replies)))
        return built

    def fail(self, endpoint: str, *answers: Answer) -> None:
        """The next calls of ``endpoint`` (channels, commentThreads, comments, insert, moderate) answer
        these, in turn; then it answers as usual again."""
        self.failures.setdefault(endpoint, []).extend(answers)

    def sent(self, method: str | None = None, tail: str = ".*") -> list[Request]:
        return self.server.sent(method, f"{PREFIX}{tail}")

    @property
    def token_url(self) -> str:
        return self.base_url.removesuffix(PREFIX) + "/token"

    def renewals(self) -> list[Request]:
        """The calls of the token endpoint, in turn."""
        return self.server.sent("POST", "/token")

    def expire(self, *tokens: str) -> None:
        """YouTube no longer accepts these access tokens (every one issued, when none is named)."""
        self.access_tokens -= set(tokens or self.issued)

    def revoke(self) -> None:
        """The channel's owner removed Kanalvakt's access: the refresh token and its access tokens end."""
        self.refresh_tokens.clear()
        self.expire()

    # --- the routes ---

    def _failure(self, endpoint: str) -> Answer | None:
        queue = self.failures.get(endpoint)
        return queue.pop(0) if queue else None

    def _may_read(self, request: Request) -> bool:
        return request.query.get("key") == API_KEY or self._may_write(request)

    def _may_write(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header.removeprefix("Bearer ") in self.access_tokens

    def _token(self, request: Request) -> Answer:
        if (failure := self._failure("token")) is not None:
            return failure
        form = request.form
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
        if form.get("refresh_token") not in self.refresh_tokens:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        made = f"ya29.a0StandIn-refreshed-{next(_ids)}"
        self.access_tokens.add(made)
        self.issued.append(made)
        return 200, {
            "access_token": made,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "token_type": "Bearer",
        }

    def _channel(self) -> dict[str, Any]:
        return {
            "kind": "youtube#channel",
            "etag": "etag-channel",
            "id": CHANNEL,
            "snippet": {"title": self.title, "description": "", "publishedAt": "2009-05-04T08:00:00Z"},
            "statistics": dict(self.statistics),
        }

    def _channels(self, request: Request) -> Answer:
        if (failure := self._failure("channels")) is not None:
            return failure
        if request.query.get("mine") == "true":
            if not self._may_write(request):
                return TOKEN_INVALID
            items = [self._channel()]
        else:
            if not self._may_read(request):
                return TOKEN_INVALID
            items = [self._channel()] if request.query.get("id") == CHANNEL else []
        return 200, {
            "kind": "youtube#channelListResponse",
            "pageInfo": {"totalResults": len(items)},
            "items": items,
        }

    def _page(self, rows: list[dict[str, Any]], request: Request, kind: str) -> Answer:
        start = _offset(request.query["pageToken"]) if request.query.get("pageToken") else 0
        if start < 0:
            return error(400, "invalidPageToken", "The page token is not valid.")
        size = min(int(request.query.get("maxResults", "20")), self.page_size)
        body: dict[str, Any] = {
            "kind": kind,
            "pageInfo": {"resultsPerPage": size},
            "items": rows[start : start + size],
        }
        if start + size < len(rows):
            body["nextPageToken"] = _token(start + size)
        return 200, body

    def _threads(self, request: Request) -> Answer:
        if (failure := self._failure("commentThreads")) is not None:
            return failure
        if not self._may_read(request):
            return TOKEN_INVALID
        if request.query.get("allThreadsRelatedToChannelId") != CHANNEL:
            return CHANNEL_NOT_FOUND
        return self._page(self.threads, request, "youtube#commentThreadListResponse")

    def _comments(self, request: Request) -> Answer:
        if (failure := self._failure("comments")) is not None:
            return failure
        if not self._may_read(request):
            return TOKEN_INVALID
        parent = request.query.get("parentId", "")
        if parent not in self.replies:
            return COMMENT_NOT_FOUND
        return self._page(self.replies[parent], request, "youtube#commentListResponse")

    def _insert(self, request: Request) -> Answer:
        if (failure := self._failure("insert")) is not None:
            return failure
        if not self._may_write(request):
            return TOKEN_INVALID
        snippet = (request.json or {}).get("snippet") or {}
        parent, text = snippet.get("parentId"), snippet.get("textOriginal")
        if not text:
            return error(400, "commentTextRequired", "The comment must have text.")
        if parent not in self.replies:
            return error(404, "parentCommentNotFound", "The parent comment could not be found.")
        made = comment(
            f"{parent}.AZ{next(_ids):020d}",
            text,
            self.now or datetime.now(UTC).replace(microsecond=0),
            author=self.title,
            author_id=CHANNEL,
            parent=parent,
        )
        self.replies[parent].append(made)
        return 200, made

    def _moderate(self, request: Request) -> Answer:
        if (failure := self._failure("moderate")) is not None:
            return failure
        if not self._may_write(request):
            return TOKEN_INVALID
        if request.query.get("moderationStatus") not in ("heldForReview", "published", "rejected"):
            return error(400, "invalidModerationStatus", "The moderation status is not valid.")
        self.hidden.extend(request.query.get("id", "").split(","))
        return 204, None


@contextmanager
def youtube_api(
    settings: Any, *, api_key: str = "", quota: int = 10_000, client: bool = False
) -> Iterator[YouTubeStandIn]:
    """The stand-in, with Kanalvakt's settings pointed at it (the pytest ``settings`` fixture);
    ``client``: the installation's OAuth client is set, so channels connect with a refresh token."""
    with stand_in(PREFIX) as server:
        settings.YOUTUBE_API_URL = server.base_url
        settings.YOUTUBE_TOKEN_URL = server.base_url.removesuffix(PREFIX) + "/token"
        settings.YOUTUBE_CLIENT_ID = CLIENT_ID if client else ""
        settings.YOUTUBE_CLIENT_SECRET = CLIENT_SECRET if client else ""
        settings.YOUTUBE_API_KEY = api_key
        settings.YOUTUBE_DAILY_QUOTA = quota
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.CONNECTOR_RETRY_DELAY = 0
        settings.CONNECTOR_TIMEOUT = 2.0
        yield YouTubeStandIn(server)


__all__ = [
    "API_KEY",
    "CHANNEL",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "COMMENTS_DISABLED",
    "FORBIDDEN",
    "INSUFFICIENT",
    "QUOTA_EXCEEDED",
    "RATE_LIMITED",
    "REFRESH_TOKEN",
    "SCOPE",
    "SERVER_ERROR",
    "TOKEN",
    "TOKEN_INVALID",
    "VIDEO",
    "YouTubeStandIn",
    "comment",
    "error",
    "thread",
    "visitor",
    "youtube_api",
]
