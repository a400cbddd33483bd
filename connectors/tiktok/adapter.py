"""The TikTok module of the polled platforms (connectors.adapters): connect, poll, answer, hide, figures.

See the package's docstring (connectors.tiktok) for the access it needs and the documentation it
follows.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.adapters import Adapter, Checked, Done, Poll
from connectors.errors import Refused
from connectors.meta.parse import storable
from connectors.models import Connection, Outgoing, Platform
from connectors.tiktok import auth, rows
from connectors.tiktok import poll as polling
from connectors.tiktok.api import Api
from moderation.models import Item

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

ACCOUNT_FIELDS = ["username", "display_name", "is_business_account"]
# The counts for the follow-up (KAU-FOLLOWUP): business/get's names → connectors.adapters.FIGURE_KEYS.
FIGURE_FIELDS = {
    "followers_count": "followers",
    "videos_count": "posts_total",
    "total_likes": "reactions_total",
}
MAX_REPLY = 150  # characters TikTok takes in a reply
TOKEN_LIFETIME = timedelta(hours=24)  # TikTok's access token lives 24 hours from when it was issued


def _secret_label() -> str:
    """What the connection page asks for: the refresh token when the installation renews access
    tokens itself (its app is set), else an access token."""
    return _("Refresh token") if auth.refreshing() else _("Access token")


def _secret_help() -> str:
    if auth.refreshing():
        return _(
            "The business account's refresh token from TikTok API for Business, made with this "
            "installation's app (see below). Kanalvakt makes the day-long access tokens from it, keeps "
            "it encrypted and never shows it again."
        )
    return _(
        "The business account's access token from TikTok API for Business (see below). It is valid "
        "for 24 hours. Kanalvakt checks it with TikTok, keeps it encrypted and never shows it again."
    )


class TikTok(Adapter):
    """A TikTok business account's comments (TikTok API for Business, Accounts API)."""

    platform = Platform.TIKTOK
    identity_label = gettext_lazy("Business id (open_id)")
    identity_help = gettext_lazy(
        "The TikTok account's open_id, as the authorisation in TikTok for Business returned it "
        "(the business_id of the API): letters, digits and _ . : -, at most 100 characters."
    )
    identity_pattern = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
    secret_label = lazy(_secret_label, str)()
    secret_help = lazy(_secret_help, str)()
    help_template = "connectors/help/tiktok.html"
    removable_kinds = frozenset({Item.Kind.COMMENT})

    # --- the connection page ---------------------------------------------------------------------

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        """The account's profile (``GET /business/get/``) for this token: its user name and name. A
        refresh token is exchanged for an access token first, which must be the account's own."""
        access = auth.Access(secret, now=timezone.now())
        if auth.refreshing():
            access.token()
            made = access.grant.open_id if access.grant else ""
            if made and made != external_id:
                raise Refused(
                    _("The refresh token is for another TikTok account (%(other)s), not %(account)s.")
                    % {"other": made, "account": external_id}
                )
        data = Api(access).get("/business/get/", {"business_id": external_id, "fields": ACCOUNT_FIELDS})
        if data.get("is_business_account") is False:
            raise Refused(
                _(
                    "This is a personal TikTok account: TikTok lets an app read and answer comments "
                    "only on business accounts."
                )
            )
        username = rows.username_of(data.get("username"))
        name = data.get("display_name")
        name = name.strip()[: rows.MAX_NAME] if isinstance(name, str) and name.strip() else ""
        return Checked(
            external_id=external_id,
            name=name or (f"@{username}" if username else ""),
            # A pasted access token's issue time is not told; it expires 24 hours after it at the
            # latest. A refresh token expires when TikTok says (it renews the access tokens).
            expires_at=_expiry(access),
            session={**({"username": username} if username else {}), **access.checked_session()},
            scopes=access.scopes,
        )

    # --- the poll ---------------------------------------------------------------------------------

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        access = auth.Access.of(connection, now=timezone.now())
        result = polling.poll(Api(access, connection=connection), connection, cursor=cursor, now=now)
        result.session = access.session  # also stored at once when made (connectors.tiktok.auth)
        return result

    # --- answers and removals ---------------------------------------------------------------------

    def answer_destination(self, item: Item) -> Any:
        return _(
            "The answer is posted to TikTok as a reply in the comment's thread, in at most %(count)s "
            "characters."
        ) % {"count": MAX_REPLY}

    def removal(self, item: Item) -> tuple[str, _StrPromise | str]:
        """A visitor's comment is hidden (``/business/comment/hide/``); TikTok deletes only the
        account's own comments."""
        if item.kind == Item.Kind.COMMENT and rows.split(item.platform_id):
            return Outgoing.Action.HIDE, ""
        return Outgoing.Action.HIDE, gettext_lazy(
            "TikTok does not let the account remove this: report it on TikTok."
        )

    def carry_out(self, connection: Connection, outgoing: Outgoing) -> Done:
        item = outgoing.item
        target = rows.split(item.platform_id)
        if target is None:
            raise Refused(_("This is not a comment Kanalvakt read from TikTok, so it cannot act on it."))
        video_id, comment_id = target
        access = auth.Access.of(connection, now=timezone.now())
        api = Api(access, connection=connection)
        if outgoing.action == Outgoing.Action.REPLY:
            if len(outgoing.text) > MAX_REPLY:
                raise Refused(
                    _("TikTok takes a reply of at most %(count)s characters; this one has %(length)s.")
                    % {"count": MAX_REPLY, "length": len(outgoing.text)}
                )
            answer = api.post(
                "/business/comment/reply/create/",
                {
                    "business_id": connection.external_id,
                    "video_id": video_id,
                    "comment_id": _thread(item, video_id, comment_id),
                    "text": outgoing.text,
                },
            )
            data = answer.get("data")
            made = data.get("comment_id") if isinstance(data, dict) else None
            try:
                ref = rows.platform_id(video_id, rows.read_id(made, "comment_id"))
            except rows.Bad:
                ref = ""  # done, but TikTok did not say its id: kept without a publication
            return Done(
                ref=ref, url=_url(connection, video_id), answer=storable(answer), session=access.session
            )
        if outgoing.action == Outgoing.Action.HIDE:
            answer = api.post(
                "/business/comment/hide/",
                {
                    "business_id": connection.external_id,
                    "video_id": video_id,
                    "comment_id": comment_id,
                    "action": "HIDE",
                },
            )
            return Done(
                ref=item.platform_id,
                url=_url(connection, video_id),
                answer=storable(answer),
                session=access.session,
            )
        raise Refused(_("TikTok lets the account hide a visitor's comment, not delete it."))

    def look(self, connection: Connection, outgoing: Outgoing) -> str | None:
        """Whether an action of unknown outcome was done: the account's reply with the same text in the
        thread, or the comment hidden."""
        item = outgoing.item
        target = rows.split(item.platform_id)
        if target is None:
            return None
        video_id, comment_id = target
        api = Api(auth.Access.of(connection, now=timezone.now()), connection=connection)
        if outgoing.action == Outgoing.Action.REPLY:
            thread = _thread(item, video_id, comment_id)
            data = api.get(
                "/business/comment/reply/list/",
                {
                    "business_id": connection.external_id,
                    "video_id": video_id,
                    "comment_id": thread,
                    "sort_field": "create_time",
                    "sort_order": "desc",
                    "max_count": polling.COMMENT_PAGE,
                },
            )
            return _find(data, connection, video_id, thread, outgoing.text)
        data = api.get(
            "/business/comment/list/",
            {"business_id": connection.external_id, "video_id": video_id, "comment_ids": [comment_id]},
        )
        listed = data.get("comments")
        for raw in listed if isinstance(listed, list) else []:
            if isinstance(raw, dict) and raw.get("comment_id") in (comment_id, _int(comment_id)):
                return item.platform_id if raw.get("status") == "HIDDEN" else None
        return None

    # --- the figures (KAU-FOLLOWUP) ----------------------------------------------------------------

    def figures(self, connection: Connection) -> dict[str, int]:
        """Followers, public videos and the likes they received, from the account's profile."""
        access = auth.Access.of(connection, now=timezone.now())
        data = Api(access, connection=connection).get(
            "/business/get/", {"business_id": connection.external_id, "fields": list(FIGURE_FIELDS)}
        )
        figures: dict[str, int] = {}
        for field, key in FIGURE_FIELDS.items():
            value = rows.count(data.get(field))
            if value is not None:
                figures[key] = value
        return figures


def _expiry(access: auth.Access) -> datetime | None:
    if not auth.refreshing():
        return timezone.now() + TOKEN_LIFETIME
    return access.grant.refresh_expires_at if access.grant else None


def _thread(item: Item, video_id: str, comment_id: str) -> str:
    """The comment whose thread a reply goes to: a reply's parent (TikTok's threads are one level
    deep, and its documentation replies to comments), else the comment itself."""
    parent = rows.split(item.in_reply_to)
    return parent[1] if parent and parent[0] == video_id else comment_id


def _url(connection: Connection, video_id: str) -> str:
    return rows.video_url(rows.username_of(connection.session.get("username")), video_id)


def _find(data: dict[str, Any], connection: Connection, video_id: str, thread: str, text: str) -> str | None:
    listed = data.get("comments")
    for raw in listed if isinstance(listed, list) else []:
        reply = rows.comment(
            raw,
            business_id=connection.external_id,
            video_id=video_id,
            username="",
            now=timezone.now(),
            parent_id=thread,
        )
        if isinstance(reply, rows.Comment) and reply.own and reply.text == text:
            return reply.platform_id
    return None


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


ADAPTER = TikTok()
