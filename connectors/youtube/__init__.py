"""YouTube: the comments on a channel's videos, polled, answered and hidden (connectors.adapters).

YouTube pushes nothing, so the channel's comment threads are polled (KAU-RESP-DAILY) from the
YouTube Data API v3 (https://developers.google.com/youtube/v3/docs):

- ``check``: ``GET /channels?part=snippet,statistics&mine=true`` with the channel's OAuth access token
  (https://developers.google.com/youtube/v3/docs/channels/list): the token must be the channel's own;
  the channel's name is ``snippet.title``. With the installation's OAuth client set, the pasted
  secret is the channel's refresh token: it is exchanged for an access token first, which must carry
  the scope youtube.force-ssl (connectors.youtube.auth);
- ``poll``: ``GET /commentThreads`` by ``allThreadsRelatedToChannelId``, newest first down to the stored
  cursor, and ``GET /comments?parentId=…`` for a thread with more replies than it carries
  (connectors.youtube.read). A top-level comment is a comment on its video (``in_reply_to`` the video
  id), a reply a comment on its top-level comment; the channel's own comments
  (``authorChannelId.value`` is the channel) are its published record (KAU-PUBLIC-RECORD);
- ``carry_out``: an answer is ``POST /comments?part=snippet`` with ``{"snippet": {"parentId",
  "textOriginal"}}`` (https://developers.google.com/youtube/v3/docs/comments/insert), always under the
  thread's top-level comment (YouTube's threads are one level); a removal hides the comment with
  ``POST /comments/setModerationStatus?id=…&moderationStatus=rejected`` (HTTP 204,
  https://developers.google.com/youtube/v3/docs/comments/setModerationStatus), which only the channel's
  owner may do, after the evidence is kept (KAU-PROHIBITED-EVIDENCE, connectors.outgoing);
- ``figures``: ``GET /channels?part=statistics&id=…`` (KAU-FOLLOWUP).

The daily quota is a budget (connectors.youtube.api): each channel's polls spend at most an even
share of 80 % of it, and the poll's interval spreads that share over the day.

Every call as the channel carries an access token (connectors.youtube.auth): the pasted one, or one
made from the refresh token, renewed before it expires and kept in the connection's encrypted session
(``Poll.session``, ``Done.session``; stored here when a run ends without handing it back).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors import http
from connectors.adapters import Adapter, Checked, Done, Poll
from connectors.errors import MissingPermission, PlatformError, Refused
from connectors.meta.parse import storable
from connectors.models import Connection, Outgoing, Platform
from connectors.youtube import api, auth, read
from moderation.models import Item

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# A refresh token's run with reads by the API key makes an access token at least this often, so that a
# revoked refresh token is noticed within a day and Google never sees it unused for six months.
KEEP_ALIVE = timedelta(days=1)
WATCH_URL = re.compile(r"https://www\.youtube\.com/watch\?v=([A-Za-z0-9_-]{11})&lc=")
DIGITS = re.compile(r"\d{1,19}")


def _top_level(item: Item) -> str:
    """The top-level comment an answer to ``item`` goes under: the item itself, or for a reply the
    comment it replies to (YouTube's threads are one level)."""
    comment_id = item.platform_id
    if not api.COMMENT_ID.fullmatch(comment_id):
        raise Refused(_("The item's id is not a YouTube comment id."))
    return comment_id.split(".", 1)[0]


def _video(item: Item, answer: dict[str, Any] | None = None) -> str:
    snippet = answer.get("snippet") if isinstance(answer, dict) else None
    video = snippet.get("videoId") if isinstance(snippet, dict) else None
    if isinstance(video, str) and api.VIDEO_ID.fullmatch(video):
        return video
    match = WATCH_URL.match(item.url or "")
    return match[1] if match else ""


def _secret_label() -> str:
    """What the connection page asks for: the refresh token when the installation renews access
    tokens itself (its OAuth client is set), else an access token."""
    return _("OAuth refresh token") if auth.refreshing() else _("OAuth access token")


def _secret_help() -> str:
    if auth.refreshing():
        return _(
            "A refresh token of the channel's Google account, made with this installation's OAuth client "
            "for the scope youtube.force-ssl (see below). Kanalvakt makes the hour-long access tokens "
            "from it, keeps it encrypted and never shows it again."
        )
    return _(
        "An access token of the channel's Google account with the scope youtube.force-ssl (see below). "
        "Kanalvakt checks it with YouTube, keeps it encrypted and never shows it again."
    )


class YouTube(Adapter):
    platform = Platform.YOUTUBE
    identity_label = gettext_lazy("Channel id")
    identity_help = gettext_lazy(
        "The channel's id: UC and 22 letters, digits, - or _ (YouTube Studio > Settings > Channel > "
        "Advanced settings)."
    )
    identity_pattern = api.CHANNEL_ID
    secret_label = lazy(_secret_label, str)()
    secret_help = lazy(_secret_help, str)()
    help_template = "connectors/help/youtube.html"
    status_template = "connectors/status/youtube.html"
    removable_kinds = frozenset({Item.Kind.COMMENT})

    # --- the connection page ---------------------------------------------------------------------

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        """The token must be the channel's own: ``mine=true`` lists the channels it acts for. A refresh
        token is exchanged for an access token first, which must carry the scope youtube.force-ssl."""
        access = auth.Access(secret, now=timezone.now())
        if auth.refreshing():
            access.token()
            if access.scopes and auth.SCOPE not in access.scopes:
                raise MissingPermission(
                    _(
                        "The refresh token was granted without the scope %(scope)s, which answering and "
                        "hiding need: ask for Google's consent to it again."
                    )
                    % {"scope": auth.SCOPE}
                )
        body = api.Channel(access).get("/channels", {"part": "snippet,statistics", "mine": "true"})
        items = body.get("items") if isinstance(body, dict) else None
        channels = [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []
        if not channels:
            raise Refused(_("The token's Google account has no YouTube channel."))
        channel = next((c for c in channels if c.get("id") == external_id), None)
        if channel is None:
            other = channels[0].get("id")
            shown = other if isinstance(other, str) and api.CHANNEL_ID.fullmatch(other) else "?"
            raise Refused(
                _("The token is for another channel (%(other)s), not %(channel)s.")
                % {"other": shown, "channel": external_id}
            )
        snippet = channel.get("snippet")
        title = snippet.get("title") if isinstance(snippet, dict) else None
        name = str(storable(title)).strip()[:200] if isinstance(title, str) else ""
        return Checked(external_id=external_id, name=name, scopes=access.scopes, session=access.session or {})

    # --- the poll ---------------------------------------------------------------------------------

    def interval(self) -> timedelta:
        """The platform's interval, or longer when the channel's share of the quota asks for it."""
        base = int(settings.CONNECTOR_POLL_SECONDS.get(self.platform, 900))
        return timedelta(seconds=max(base, api.poll_seconds(api.channel_share())))

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        """What is new since the cursor, within the channel's share of today's quota: once the share
        is spent, nothing is called until the quota's day ends (midnight Pacific time)."""
        spent = api.spent_today(cursor, now)
        left = api.channel_share() - spent
        if left <= 0:
            return Poll(rows=[], cursor=api.with_spent(cursor, now=now, spent=spent))
        access = auth.Access.of(connection, now=timezone.now())
        client, params = api.reader(connection, access)
        walk = read.Walk()
        try:
            if params:
                _keep_alive(connection, access)
            read.read_new(
                client, params, walk, channel_id=connection.external_id, cursor=cursor, now=now, budget=left
            )
        except (PlatformError, http.CallError):
            # The calls made are spent all the same (a refused call costs quota too): kept, with the
            # position where it was (connectors.polling stores no cursor after a failure).
            spent += walk.calls * api.LIST_COST
            self._keep_spent(connection, cursor, now=now, spent=spent, session=access.session)
            raise
        # Cut short by the budget: the position stays (the next day reads on from it), and what could
        # not be read is remembered all the same.
        position = (
            walk.position
            if walk.position is not None
            else {**_position(cursor), "bad": walk.bad[-read.MAX_IDS :]}
        )
        spent += walk.calls * api.LIST_COST
        return Poll(
            rows=walk.rows,
            cursor=api.with_spent({**position}, now=now, spent=spent),
            session=access.session,
            cost=walk.calls * api.LIST_COST,
        )

    @staticmethod
    def _keep_spent(
        connection: Connection,
        cursor: dict[str, Any],
        *,
        now: datetime,
        spent: int,
        session: dict[str, Any] | None,
    ) -> None:
        """After a failure: the units spent, and an access token made meanwhile, in one UPDATE."""
        changes: dict[str, Any] = {"cursor": api.with_spent(cursor, now=now, spent=spent)}
        if session is not None:
            connection.session = session
            changes["session_encrypted"] = connection.session_encrypted
        Connection.objects.filter(pk=connection.pk).update(**changes)

    # --- answers and removals ---------------------------------------------------------------------

    def answer_destination(self, item: Item) -> Any:
        return _("The answer is posted to YouTube as a reply in the comment's thread.")

    def removal(self, item: Item) -> tuple[str, _StrPromise | str]:
        if item.kind != Item.Kind.COMMENT or not api.COMMENT_ID.fullmatch(item.platform_id):
            return Outgoing.Action.HIDE, gettext_lazy(
                "On YouTube the channel can hide comments on its videos only: report this on YouTube."
            )
        return Outgoing.Action.HIDE, ""

    def carry_out(self, connection: Connection, outgoing: Outgoing) -> Done:
        """One call with the channel's token: a reply under the thread's top-level comment, or the
        comment hidden (rejected) on the channel's video."""
        access = auth.Access.of(connection, now=timezone.now())
        try:
            return self._carry_out(api.Channel(access, connection), outgoing, access)
        except (PlatformError, http.CallError):
            auth.keep(connection, access)
            raise

    def _carry_out(self, client: api.Channel, outgoing: Outgoing, access: auth.Access) -> Done:
        item = outgoing.item
        if outgoing.action == Outgoing.Action.REPLY:
            if item.kind != Item.Kind.COMMENT:
                raise Refused(_("On YouTube Kanalvakt answers comments only: answer this on YouTube."))
            answer = client.post(
                "/comments",
                params={"part": "snippet"},
                json_body={"snippet": {"parentId": _top_level(item), "textOriginal": outgoing.text}},
            )
            answer = answer if isinstance(answer, dict) else {}
            ref = answer.get("id")
            ref = ref if isinstance(ref, str) and api.COMMENT_ID.fullmatch(ref) else ""
            url = read.watch_url(_video(item, answer), ref) if ref else ""
            return Done(ref=ref, url=url, answer=dict(storable(answer)), session=access.session)
        if outgoing.action == Outgoing.Action.HIDE:
            if not api.COMMENT_ID.fullmatch(item.platform_id):
                raise Refused(_("The item's id is not a YouTube comment id."))
            client.post(
                "/comments/setModerationStatus",
                params={"id": item.platform_id, "moderationStatus": "rejected"},
            )
            return Done(ref=item.platform_id, answer={"moderationStatus": "rejected"}, session=access.session)
        raise Refused(_("On YouTube the channel can hide a comment, not delete it."))

    def look(self, connection: Connection, outgoing: Outgoing) -> str | None:
        """For an answer of unknown outcome: the channel's reply with the same text in the thread."""
        if outgoing.action != Outgoing.Action.REPLY:
            return super().look(connection, outgoing)
        parent = _top_level(outgoing.item)
        access = auth.Access.of(connection, now=timezone.now())
        client, params = api.reader(connection, access)
        try:
            found = read.replies_of(
                client, params, parent, video="", now=timezone.now(), calls=read.MAX_REPLY_PAGES
            )
        finally:
            auth.keep(connection, access)
        for reply in found[0] if found else []:
            if (
                isinstance(reply, read.Comment)
                and reply.author_id == connection.external_id
                and reply.text.strip() == outgoing.text.strip()
            ):
                return reply.id
        return None

    # --- the figures (KAU-FOLLOWUP) ----------------------------------------------------------------

    def figures(self, connection: Connection) -> dict[str, int]:
        """Subscribers (unless the channel hides them), videos and views, as YouTube counts them now."""
        access = auth.Access.of(connection, now=timezone.now())
        client, params = api.reader(connection, access)
        try:
            body = client.get("/channels", {**params, "part": "statistics", "id": connection.external_id})
        finally:
            auth.keep(connection, access)
        items = body.get("items") if isinstance(body, dict) else None
        ours = [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []
        channel = next((c for c in ours if c.get("id") == connection.external_id), None)
        statistics = channel.get("statistics") if channel else None
        if not isinstance(statistics, dict):
            return {}
        counts = {
            "posts_total": statistics.get("videoCount"),
            "views_total": statistics.get("viewCount"),
        }
        if statistics.get("hiddenSubscriberCount") is not True:
            counts["followers"] = statistics.get("subscriberCount")
        return {
            key: int(value)
            for key, value in counts.items()
            if isinstance(value, str) and DIGITS.fullmatch(value)
        }


def _keep_alive(connection: Connection, access: auth.Access) -> None:
    """While the API key reads, the refresh token is still used once a day (KEEP_ALIVE): its refusal
    turns the connection to needs attention now, not at the next answer (KAU-RESP-DAILY)."""
    if not auth.refreshing() or not access.expired_before(access.now - KEEP_ALIVE):
        return
    try:
        access.renew()
    except PlatformError as exc:
        if exc.cause:
            from connectors import health  # health reads the models only

            health.mark_attention(connection, cause=exc.cause, reason=exc.reason, now=timezone.now())
        raise


def _position(cursor: dict[str, Any]) -> dict[str, Any]:
    return {key: cursor[key] for key in ("since", "ids", "bad") if key in cursor}


ADAPTER = YouTube()
