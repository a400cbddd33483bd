"""A TikTok API for Business stand-in: tests/connectors/standin.py speaking the documented shapes of the
Accounts API (v1.3), as connectors/tiktok/__init__.py lists them.

``tiktok_api(settings)`` starts the server and points ``TIKTOK_API_URL`` at it. It keeps one business
account (its profile, its videos, their comments and replies) and answers as TikTok does:

- every answer is the envelope ``{"code", "message", "request_id", "data"}``, HTTP 200 also for a
  refusal: a wrong ``Access-Token`` is code 40105, another business id 40001, a bad parameter 40002,
  an unknown comment 40007;
- ``GET /business/get/`` gives the ``fields`` asked for (a JSON list; default display_name and
  profile_image);
- ``GET /business/video/list/`` lists the videos newest first; ``cursor`` is a time in milliseconds
  (the videos published before it), the next ``cursor`` the last video's time, with ``has_more``;
  ``fields`` must name ``item_id``; ``max_count`` at most 20;
- ``GET /business/comment/list/`` and ``/business/comment/reply/list/`` list comments in the order
  asked for (``sort_field=create_time``, ``sort_order=asc|desc``; otherwise as they were written),
  ``cursor`` an offset, ``max_count`` at most 30, with ``has_more``; ``comment_ids`` (a JSON list)
  filters;
- ``POST /business/comment/reply/create/`` adds the account's reply (at most 150 characters) and
  answers ``{"comment_id", "video_id", "create_time", "text"}``; ``POST /business/comment/hide/``
  hides (``action`` HIDE or UNHIDE) and answers ``{}``.

- ``POST /tt_user/oauth2/refresh_token/`` JSON ``{"client_id", "client_secret", "grant_type":
  "refresh_token", "refresh_token"}`` (connectors/tiktok/auth.py) makes a new access token (which
  then is the one accepted) and, with ``rotate``, a new refresh token that replaces the one sent;
  an unknown refresh token or app is code 40102.

``page_size`` makes it return fewer rows than ``max_count`` (TikTok may, even with ``has_more``), so
that paging is tested with a few rows; ``failing`` answers in turn before anything else (a rate
limit, a 5xx, a revoked token). Every request is recorded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tests.connectors.standin import Answer, Delay, Request, StandIn, stand_in

PREFIX = "/open_api/v1.3"
BUSINESS_ID = "-000kauBusiness.Kb5sF1-tt"
TOKEN = "act.KauTikTokToken0123456789"
APP_ID = "7311000000000000042"
APP_SECRET = "KauAppSecret0123456789abcdef"
REFRESH_TOKEN = "rft.KauTikTokRefresh0123456789"
USERNAME = "karlstadsuniversitet"
OWN_USER = "c0ffee" * 10 + "beef"  # the account's user_id as TikTok shows it on its own comments
_ids = itertools.count(7_311_000_000_000_000_001)
_requests = itertools.count(1)


def envelope(data: Any = None, *, code: int = 0, message: str = "OK") -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "request_id": f"20261126090000{next(_requests):020d}",
        "data": {} if data is None else data,
    }


def refusal(code: int, message: str, *, status: int = 200) -> tuple[int, Any]:
    return status, envelope(code=code, message=message)


RATE_LIMITED = refusal(40100, "Due to too many requests, requests from App are temporarily restricted.")
TOO_MANY = refusal(40100, "Too many requests.", status=429)
TOKEN_REVOKED = refusal(40105, "Access token is incorrect or has been revoked.")
NO_PERMISSION = refusal(
    40001, "No permission to operate this business account. Scope comment.list is missing."
)
INTERNAL = refusal(50000, "Internal service error. Please try again later.")
SERVER_ERROR = (500, {"message": "Internal Server Error"})


def seconds(at: datetime) -> str:
    """A time as TikTok's lists give it: seconds since the epoch, as a string of digits."""
    return str(int(at.timestamp()))


class TikTokStandIn:
    """The server and one business account on it."""

    def __init__(self, server: StandIn) -> None:
        self.server = server
        self.base_url = server.base_url
        self.business_id = BUSINESS_ID
        self.token = TOKEN
        self.profile: dict[str, Any] = {
            "username": USERNAME,
            "display_name": "Karlstads universitet",
            "profile_image": "https://p16-sign-va.tiktokcdn.com/avatar.jpeg?x-expires=1",
            "is_business_account": True,
            "followers_count": 12840,
            "videos_count": 214,
            "total_likes": 98765,
        }
        self.videos: list[dict[str, Any]] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.page_size: int | None = None
        self.ordered = True  # False: the order asked for is ignored (rows as they were written)
        self.clock: datetime | None = None  # the time of a reply made here (None: the real time)
        self.failing: list[Answer] = []
        self.refresh_tokens = {REFRESH_TOKEN}
        self.rotate = False  # True: each renewal replaces the refresh token sent with a new one
        self.issued: list[str] = []  # access tokens and refresh tokens made here
        self.life = 86400
        self.open_id = BUSINESS_ID
        server.route("GET", f"{re.escape(PREFIX)}/.*", self._answer)
        server.route("POST", f"{re.escape(PREFIX)}/.*", self._answer)

    # --- the account's content ----------------------------------------------------------------------

    def video(self, at: datetime, caption: str = "") -> str:
        item_id = str(next(_ids))
        self.videos.append({"item_id": item_id, "create_time": seconds(at), "caption": caption})
        self.comments.setdefault(item_id, [])
        return item_id

    def comment(
        self,
        video_id: str,
        at: datetime,
        text: str,
        *,
        name: str = "Besökare",
        owner: bool = False,
        parent: str | None = None,
        **extra: Any,
    ) -> str:
        """A comment (or, with ``parent``, a reply) as TikTok lists it; its id."""
        comment_id = str(next(_ids))
        row: dict[str, Any] = {
            "comment_id": comment_id,
            "video_id": video_id,
            "user_id": OWN_USER if owner else hashlib.sha256(name.encode()).hexdigest(),
            "unique_identifier": "+KaU/own=" if owner else f"+{name.replace(' ', '')}/x1=",
            "create_time": seconds(at),
            "text": text,
            "likes": 0,
            "replies": 0,
            "owner": owner,
            "liked": False,
            "pinned": False,
            "status": "PUBLIC",
            "username": USERNAME if owner else name.lower().replace(" ", "_"),
            "display_name": self.profile["display_name"] if owner else name,
            "profile_image": "https://p16-sign-sg.tiktokcdn.com/tiktok-obj/1~c5_168x168.jpeg",
        }
        row.update(extra)
        if parent is None:
            self.comments.setdefault(video_id, []).append(row)
        else:
            row["parent_comment_id"] = parent
            self.replies.setdefault(parent, []).append(row)
            self.find(parent)["replies"] += 1
        return comment_id

    def raw_comment(self, video_id: str, row: Any) -> None:
        """A row as it comes, whatever its shape (a malformed one)."""
        self.comments.setdefault(video_id, []).append(row)

    def find(self, comment_id: str) -> dict[str, Any]:
        for row in itertools.chain(*self.comments.values(), *self.replies.values()):
            if isinstance(row, dict) and row.get("comment_id") == comment_id:
                return row
        raise KeyError(comment_id)

    # --- what was sent ------------------------------------------------------------------------------

    def sent(self, method: str | None = None, tail: str = ".*") -> list[Request]:
        return self.server.sent(method, f"{re.escape(PREFIX)}/{tail}")

    def calls(self) -> int:
        return len(self.server.requests)

    # --- the answers --------------------------------------------------------------------------------

    def _answer(self, request: Request) -> Answer:
        if self.failing:
            return self.failing.pop(0)
        if request.path == f"{PREFIX}/tt_user/oauth2/refresh_token/":
            return self._refresh(request.json if isinstance(request.json, dict) else {})
        if request.headers.get("access-token") != self.token:
            return TOKEN_REVOKED
        params = (
            request.json if request.method == "POST" and isinstance(request.json, dict) else request.query
        )
        if params.get("business_id") != self.business_id:
            return refusal(40001, "No permission to operate this business_id.")
        handler = {
            "/business/get/": self._profile,
            "/business/video/list/": self._videos,
            "/business/comment/list/": self._comment_list,
            "/business/comment/reply/list/": self._reply_list,
            "/business/comment/reply/create/": self._reply_create,
            "/business/comment/hide/": self._hide,
        }.get(request.path[len(PREFIX) :])
        if handler is None:
            return 404, {"message": "Not Found"}
        try:
            return 200, envelope(handler(params))
        except Refusal as refused:
            return refusal(refused.code, refused.message)

    def renewals(self) -> list[Request]:
        return self.sent("POST", "tt_user/oauth2/refresh_token/")

    def expire(self) -> None:
        """The access token in use stops working (as after its 24 hours)."""
        self.token = "act.NoLongerValid000000"

    def _refresh(self, body: dict[str, Any]) -> Answer:
        if body.get("client_id") != APP_ID or body.get("client_secret") != APP_SECRET:
            return refusal(40102, "Invalid client_id or client_secret.")
        if body.get("grant_type") != "refresh_token" or body.get("refresh_token") not in self.refresh_tokens:
            return refusal(40102, "The refresh_token is invalid or has expired.")
        number = len(self.issued) + 1
        self.token = f"act.KauIssued{number:06d}abcdef"
        self.issued.append(self.token)
        refresh = str(body["refresh_token"])
        if self.rotate:
            self.refresh_tokens.discard(refresh)
            refresh = f"rft.KauRotated{number:06d}abcdef"
            self.refresh_tokens.add(refresh)
            self.issued.append(refresh)
        data = {
            "access_token": self.token,
            "expires_in": self.life,
            "refresh_token": refresh,
            "refresh_token_expires_in": 31_536_000,
            "open_id": self.open_id,
            "scope": "user.info.basic,video.list,comment.list,comment.list.manage",
            "token_type": "Bearer",
        }
        return 200, envelope(data)

    def _fields(self, params: dict[str, Any], default: list[str]) -> list[str]:
        raw = params.get("fields")
        if raw is None:
            return default
        try:
            fields = json.loads(raw)
        except ValueError:
            raise Refusal(40002, "fields: Invalid JSON.") from None
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise Refusal(40002, "fields: must be a list of strings.")
        return fields

    def _count(self, params: dict[str, Any], *, default: int, most: int) -> int:
        value = int(params.get("max_count", default))
        if not 1 <= value <= most:
            raise Refusal(40002, f"max_count: must be between 1 and {most}.")
        return min(value, self.page_size or value)

    def _profile(self, params: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(params, ["display_name", "profile_image"])
        return {name: self.profile[name] for name in fields if name in self.profile}

    def _videos(self, params: dict[str, Any]) -> dict[str, Any]:
        fields = self._fields(params, ["item_id"])
        if "item_id" not in fields:
            raise Refusal(40002, "fields: item_id must be included.")
        count = self._count(params, default=10, most=20)
        before = int(params.get("cursor", 10**15))
        older = sorted(
            (v for v in self.videos if int(v["create_time"]) * 1000 < before),
            key=lambda v: -int(v["create_time"]),
        )
        page = older[:count]
        return {
            "videos": [{name: v[name] for name in fields if name in v} for v in page],
            "cursor": int(page[-1]["create_time"]) * 1000 if page else before,
            "has_more": len(older) > count,
        }

    def _listed(self, rows: list[Any], params: dict[str, Any]) -> dict[str, Any]:
        if "comment_ids" in params:
            wanted = set(json.loads(params["comment_ids"]))
            rows = [r for r in rows if isinstance(r, dict) and r.get("comment_id") in wanted]
        if (
            self.ordered
            and params.get("sort_field") == "create_time"
            and params.get("sort_order") in ("asc", "desc")
        ):
            rows = sorted(
                rows,
                key=lambda r: (
                    int(r["create_time"])
                    if isinstance(r, dict) and str(r.get("create_time")).isdigit()
                    else 0
                ),
                reverse=params["sort_order"] == "desc",
            )
        count = self._count(params, default=20, most=30)
        start = int(params.get("cursor", 0))
        page = rows[start : start + count]
        return {"comments": page, "cursor": start + len(page), "has_more": start + len(page) < len(rows)}

    def _comment_list(self, params: dict[str, Any]) -> dict[str, Any]:
        video_id = params.get("video_id", "")
        if video_id not in self.comments:
            raise Refusal(40007, "The video does not exist.")
        return self._listed(self.comments[video_id], params)

    def _reply_list(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            self.find(params.get("comment_id", ""))
        except KeyError:
            raise Refusal(40007, "The comment does not exist.") from None
        return self._listed(self.replies.get(params["comment_id"], []), params)

    def _reply_create(self, params: dict[str, Any]) -> dict[str, Any]:
        text, video_id, parent = params.get("text"), params.get("video_id"), params.get("comment_id")
        if not isinstance(text, str) or not 1 <= len(text) <= 150:
            raise Refusal(40002, "text: Length must be between 1 and 150.")
        try:
            row = self.find(str(parent))
        except KeyError:
            raise Refusal(40007, "The comment does not exist.") from None
        if row["video_id"] != video_id:
            raise Refusal(40002, "video_id: The comment is not on this video.")
        now = self.clock or datetime.now(tz=UTC)
        made = self.comment(str(video_id), now, text, owner=True, parent=str(parent))
        return {"comment_id": made, "video_id": video_id, "create_time": int(now.timestamp()), "text": text}

    def _hide(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("action") not in ("HIDE", "UNHIDE"):
            raise Refusal(40002, "action: must be HIDE or UNHIDE.")
        try:
            row = self.find(str(params.get("comment_id")))
        except KeyError:
            raise Refusal(40007, "The comment does not exist.") from None
        if row["video_id"] != params.get("video_id"):
            raise Refusal(40002, "video_id: The comment is not on this video.")
        row["status"] = "HIDDEN" if params["action"] == "HIDE" else "PUBLIC"
        return {}


class Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@contextmanager
def tiktok_api(settings: Any, *, app: bool = False) -> Iterator[TikTokStandIn]:
    """The stand-in, with Kanalvakt's settings pointed at it (the pytest ``settings`` fixture); with
    ``app``, the installation's app set, so that connections carry refresh tokens."""
    settings.TIKTOK_APP_ID = APP_ID if app else ""
    settings.TIKTOK_APP_SECRET = APP_SECRET if app else ""
    with stand_in(PREFIX) as server:
        settings.TIKTOK_API_URL = server.base_url
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.CONNECTOR_RETRY_DELAY = 0
        settings.CONNECTOR_TIMEOUT = 2
        yield TikTokStandIn(server)


def connect(account: Any, *, business_id: str = BUSINESS_ID, token: str = TOKEN) -> Any:
    """A live TikTok connection with a token and the account's user name, made directly (without the
    check of connectors.services)."""
    from connectors.models import Connection

    connection = Connection(
        account=account,
        platform="tiktok",
        external_id=business_id,
        name_on_platform="Karlstads universitet",
        connected_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    connection.token = token
    connection.session = {"username": USERNAME}
    connection.save()
    return connection


__all__ = [
    "APP_ID",
    "APP_SECRET",
    "BUSINESS_ID",
    "INTERNAL",
    "NO_PERMISSION",
    "RATE_LIMITED",
    "REFRESH_TOKEN",
    "SERVER_ERROR",
    "TOKEN",
    "TOKEN_REVOKED",
    "TOO_MANY",
    "USERNAME",
    "Delay",
    "TikTokStandIn",
    "connect",
    "envelope",
    "tiktok_api",
]
