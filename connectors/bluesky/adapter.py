"""Bluesky as a polled platform (connectors.adapters): the account is connected with its handle (or
DID) and an app password on its server; replies, mentions and quotes become items, direct messages
too where the app password allows them; an answer is a reply post in the thread, or a message in the
conversation.

- Connect: com.atproto.server.createSession (https://docs.bsky.app/docs/api/com-atproto-server-create-session).
  The account's own password is refused: Kanalvakt keeps only an app password, which cannot change
  the account's settings and is revoked on its own.
- Poll: connectors.bluesky.reading.
- Answer: com.atproto.repo.createRecord with an app.bsky.feed.post record whose ``reply`` names the
  thread's root and the parent (https://docs.bsky.app/docs/advanced-guides/posts#replies); the parent
  is read first (app.bsky.feed.getPosts) for its cid and its own root. A post holds at most 300
  graphemes (the lexicon's maxGraphemes): a longer answer is refused before anything is sent. A direct
  message: chat.bsky.convo.sendMessage (https://docs.bsky.app/docs/api/chat-bsky-convo-send-message).
- Removal: the account cannot delete a post or message someone else wrote (a repository is its
  owner's alone): it is recorded as not possible, with what can be done in the app instead.
- Figures (KAU-FOLLOWUP): app.bsky.actor.getProfile, followersCount and postsCount.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wcwidth import iter_graphemes

from connectors import http
from connectors.adapters import Adapter, Checked, Done, Poll
from connectors.bluesky import parse, reading
from connectors.bluesky.xrpc import (
    CHAT_PROXY,
    SCOPE_FULL,
    Xrpc,
    create_session,
    token_claims,
)
from connectors.errors import PageUnreachable, PlatformError, Refused
from connectors.intake import Fetched
from connectors.models import Connection, Outgoing, Platform
from moderation.models import Item

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

POST_GRAPHEMES, POST_BYTES = 300, 3000  # app.bsky.feed.post's text
MESSAGE_GRAPHEMES, MESSAGE_BYTES = 1000, 10_000  # chat.bsky.convo.defs#messageInput's text
# A link Bluesky's app would make: http(s), a host with a dot, then anything up to white space.
LINK = re.compile(r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?([/?#][^\s<>\"']*)?")


def graphemes(text: str) -> int:
    """What Bluesky counts as characters: extended grapheme clusters (Unicode UAX #29)."""
    return sum(1 for _cluster in iter_graphemes(text))


def link_facets(text: str) -> list[dict[str, Any]]:
    """The links in an answer as rich-text facets (byte offsets in UTF-8), so they are links on Bluesky
    (https://docs.bsky.app/docs/advanced-guides/post-richtext)."""
    facets = []
    for match in LINK.finditer(text):
        url = match.group().rstrip(".,;:!?)»”'")
        if len(url) > 500:
            continue
        start = len(text[: match.start()].encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(url.encode("utf-8"))},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    return facets


def _created_at(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class Bluesky(Adapter):
    platform = Platform.BLUESKY
    identity_label = gettext_lazy("Handle")
    identity_help = gettext_lazy(
        "The account's handle, e.g. kau.se or name.bsky.social (a leading @ is fine), or its DID."
    )
    identity_pattern = re.compile(rf"@?{parse.HANDLE.pattern}|{parse.DID.pattern}")
    needs_server = True
    secret_label = gettext_lazy("App password")
    secret_help = gettext_lazy(
        "An app password of the account, made in Bluesky under Settings > Privacy and security > App "
        "passwords. Tick “Allow access to your direct messages” if Kanalvakt should read and answer them. "
        "Kanalvakt checks it with Bluesky, keeps it encrypted and never shows it again."
    )
    help_template = "connectors/help/bluesky.html"
    status_template = "connectors/status/bluesky.html"

    @property
    def default_server(self) -> str:  # type: ignore[override]
        return str(settings.BLUESKY_DEFAULT_SERVER)

    def _server(self, connection: Connection) -> str:
        return (connection.server_url or self.default_server).rstrip("/")

    def _xrpc(self, connection: Connection) -> Xrpc:
        return Xrpc(connection, server_url=self._server(connection))

    # --- the connection page ---------------------------------------------------------------------

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        server = (server_url or self.default_server).rstrip("/")
        identifier = external_id.strip().removeprefix("@")
        if not parse.is_did(identifier):
            identifier = identifier.lower()
        session, answer = create_session(server, identifier=identifier, password=secret)
        scope = token_claims(session["accessJwt"]).get("scope")
        if scope == SCOPE_FULL:
            self._end_session(server, session)
            raise Refused(
                _(
                    "this is the account's own password. Make an app password in Bluesky (Settings > "
                    "Privacy and security > App passwords) and give that: Kanalvakt keeps only an app "
                    "password."
                )
            )
        if parse.is_did(identifier) and session["did"] != identifier:
            raise Refused(_("the app password is for another account (%(did)s).") % {"did": session["did"]})
        if isinstance(answer, dict) and answer.get("active") is False:
            raise PageUnreachable(
                _("the account is not active on its server (%(status)s).")
                % {"status": str(answer.get("status") or "deactivated")[:40]}
            )
        handle = session["handle"]
        return Checked(
            external_id=session["did"],
            name=f"@{handle}" if handle else session["did"],
            session=session,
            scopes=(scope,) if isinstance(scope, str) and len(scope) < 100 else (),
            server_url=server,
        )

    def _end_session(self, server: str, session: dict[str, str]) -> None:
        """Revoke a session Kanalvakt will not keep (com.atproto.server.deleteSession)."""
        from connectors import rest
        from connectors.bluesky.xrpc import classify

        client = rest.Client(
            server, classify=classify, headers={"Authorization": f"Bearer {session['refreshJwt']}"}
        )
        with contextlib.suppress(PlatformError, http.CallError):  # else it expires by itself
            client.post("/xrpc/com.atproto.server.deleteSession")

    # --- the poll ---------------------------------------------------------------------------------

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        x = self._xrpc(connection)
        try:
            rows, notified = reading.notifications(x, cursor.get("notifications"), now=now)
            own, own_state = reading.own_posts(x, cursor.get("own"), now=now)
            messages, dm_state = reading.messages(x, cursor.get("dm"), now=now)
        except (PlatformError, http.CallError):
            x.keep_now()
            raise
        return Poll(
            rows=reading.oldest_first(rows + own + messages),
            cursor={"notifications": notified, "own": own_state, "dm": dm_state},
            session=x.session if x.renewed else None,
        )

    # --- answers and removals ---------------------------------------------------------------------

    def answer_destination(self, item: Item) -> Any:
        if item.kind == Item.Kind.MESSAGE:
            return _("The answer is sent to Bluesky as a direct message in the conversation.")
        return _(
            "The answer is posted to Bluesky as a reply in the thread (at most %(count)s characters)."
        ) % {"count": POST_GRAPHEMES}

    def removal(self, item: Item) -> tuple[str, _StrPromise | str]:
        if item.kind == Item.Kind.MESSAGE:
            return Outgoing.Action.DELETE, _(
                "Bluesky does not let the account remove another member's message. Block or report the "
                "writer in the Bluesky app."
            )
        return Outgoing.Action.HIDE, _(
            "Bluesky does not let the account remove another's post. In the Bluesky app, hide the reply "
            "in the thread (or limit who may reply), mute or block the writer, or report the post."
        )

    def carry_out(self, connection: Connection, outgoing: Outgoing) -> Done:
        x = self._xrpc(connection)
        try:
            if outgoing.action != Outgoing.Action.REPLY:
                raise Refused(str(self.removal(outgoing.item)[1]))
            if outgoing.item.kind == Item.Kind.MESSAGE:
                done = self._message(x, outgoing)
            else:
                done = self._reply(x, outgoing, now=timezone.now())
        except (PlatformError, http.CallError):
            x.keep_now()
            raise
        return replace(done, session=x.session if x.renewed else None)

    def _reply(self, x: Xrpc, outgoing: Outgoing, *, now: datetime) -> Done:
        text = outgoing.text
        _check_length(text, POST_GRAPHEMES, POST_BYTES)
        uri = outgoing.item.platform_id
        if parse.post_uri(uri) is None:
            raise Refused(_("The item is not a Bluesky post, so there is nothing to reply to."))
        body = x.query("app.bsky.feed.getPosts", {"uris": [uri]})
        posts = body.get("posts") if isinstance(body, dict) else None
        post = next((p for p in posts or [] if isinstance(p, dict) and p.get("uri") == uri), None)
        parent = parse.strong_ref(post)
        if post is None or parent is None:
            raise Refused(_("The post is no longer on Bluesky (deleted, or its writer blocks the account)."))
        root = parse.reply_root(post.get("record")) or parent
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": _created_at(now),
            "reply": {"root": root, "parent": parent},
        }
        if facets := link_facets(text):
            record["facets"] = facets
        answer = x.procedure(
            "com.atproto.repo.createRecord",
            {"repo": x.did, "collection": "app.bsky.feed.post", "record": record},
        )
        made = answer.get("uri") if isinstance(answer, dict) else None
        parts = parse.post_uri(made)
        if parts is None or parts[0] != x.did:
            # Written, by all signs, but its address cannot be read: recorded as done without it.
            return Done(ref="", answer=answer if isinstance(answer, dict) else {})
        assert isinstance(made, str)
        return Done(ref=made, url=parse.web_url(x.handle or x.did, parts[1]), answer=answer)

    def _message(self, x: Xrpc, outgoing: Outgoing) -> Done:
        text = outgoing.text
        _check_length(text, MESSAGE_GRAPHEMES, MESSAGE_BYTES)
        ids = parse.split_message_id(outgoing.item.platform_id)
        if ids is None:
            raise Refused(
                _("The item is not a Bluesky direct message, so there is no conversation to answer in.")
            )
        answer = x.procedure(
            "chat.bsky.convo.sendMessage",
            {"convoId": ids[0], "message": {"text": text}},
            proxy=CHAT_PROXY,
            attention=False,
        )
        made = answer.get("id") if isinstance(answer, dict) else None
        ref = (
            parse.message_id(ids[0], made) if isinstance(made, str) and parse.CHAT_ID.fullmatch(made) else ""
        )
        return Done(ref=ref, answer=answer if isinstance(answer, dict) else {})

    def look(self, connection: Connection, outgoing: Outgoing) -> str | None:
        """The reply (or message) the account made with the answer's text, when it is there."""
        x = self._xrpc(connection)
        try:
            ids = parse.split_message_id(outgoing.item.platform_id)
            if ids is not None:
                return self._look_message(x, outgoing, ids[0])
            return self._look_reply(x, outgoing)
        finally:
            x.keep_now()

    def _look_message(self, x: Xrpc, outgoing: Outgoing, convo_id: str) -> str | None:
        body = x.query(
            "chat.bsky.convo.getMessages",
            {"convoId": convo_id, "limit": 50},
            proxy=CHAT_PROXY,
            attention=False,
        )
        listed = body.get("messages") if isinstance(body, dict) else None
        for message in listed if isinstance(listed, list) else []:
            row = parse.message_row(message, convo_id=convo_id, own_did=x.did, handles={})
            if isinstance(row, Fetched) and row.incoming.own and row.incoming.text == outgoing.text:
                return row.incoming.platform_id
        return None

    def _look_reply(self, x: Xrpc, outgoing: Outgoing) -> str | None:
        body = x.query(
            "app.bsky.feed.getPostThread", {"uri": outgoing.item.platform_id, "depth": 1, "parentHeight": 0}
        )
        thread = body.get("thread") if isinstance(body, dict) else None
        if not isinstance(thread, dict) or not isinstance(thread.get("replies"), list):
            raise Refused(_("Bluesky does not show the thread: look on Bluesky."))
        for reply in thread["replies"]:
            post = reply.get("post") if isinstance(reply, dict) else None
            if not isinstance(post, dict):
                continue
            parts, record = parse.post_uri(post.get("uri")), post.get("record")
            if (
                parts
                and parts[0] == x.did
                and isinstance(record, dict)
                and record.get("text") == outgoing.text
            ):
                return str(post["uri"])
        return None

    # --- the figures (KAU-FOLLOWUP) ----------------------------------------------------------------

    def figures(self, connection: Connection) -> dict[str, int]:
        x = self._xrpc(connection)
        try:
            profile = x.query("app.bsky.actor.getProfile", {"actor": x.did})
        finally:
            x.keep_now()
        found: dict[str, int] = {}
        for key, name in (("followers", "followersCount"), ("posts_total", "postsCount")):
            value = profile.get(name) if isinstance(profile, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
                found[key] = value
        return found


def _check_length(text: str, most: int, most_bytes: int) -> None:
    if not text.strip():
        raise Refused(_("The answer is empty."))
    count = graphemes(text)
    if count > most or len(text.encode("utf-8")) > most_bytes:
        raise Refused(
            _("Bluesky takes at most %(most)s characters here; the answer has %(count)s. Shorten it.")
            % {"most": most, "count": count}
        )


ADAPTER = Bluesky()
