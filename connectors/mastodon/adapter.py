"""The Mastodon module (connectors.adapters): any server, one account, its access token.

Documented at docs.joinmastodon.org: methods/notifications (``GET /api/v1/notifications``),
methods/accounts (``verify_credentials``, ``GET /api/v1/accounts/:id/statuses``), methods/statuses
(``POST /api/v1/statuses`` with ``Idempotency-Key``, ``GET /api/v1/statuses/:id`` and ``/context``),
api/guidelines#pagination, api/rate-limits. Webhooks exist only for a server's admins, so the account's
mentions are polled (KAU-RESP-DAILY).

- **Identity.** The account's user name (``kau``, ``@kau`` or ``@kau@server``); ``check`` asks
  ``verify_credentials`` with the token and keeps the account's id on its server.
- **The poll.** Two lists, each from its own cursor: the mentions (``types[]=mention``; a direct one
  is a message) and the account's own statuses (``exclude_reblogs``), kept as its published record
  (KAU-PUBLIC-RECORD). Past the first poll each reads forward from its cursor with ``min_id``
  (``since_id`` that pages from the oldest, so a burst larger than a page is read in order); a poll
  with nothing new costs two calls and returns no rows. The first poll reads back BACKFILL (14 days)
  by ``max_id``, at most MAX_PAGES pages. A mention whose status was edited and that Kanalvakt already
  holds is an edit (the one lookup is made only when the server says a status was edited).
- **Answers.** A status ``in_reply_to_id`` the item, with the original's visibility (never wider:
  direct stays direct), starting with ``@author`` unless the text names them already (as Mastodon's
  apps do; a direct reply reaches only those it mentions), and an ``Idempotency-Key`` per Outgoing
  row, so a retry never posts twice. A visitor's status cannot be removed by the account.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors import http, rest
from connectors.adapters import BACKFILL, Adapter, Checked, Done, Poll
from connectors.errors import Refused, Unavailable
from connectors.intake import Change, Fetched, Incoming, Row
from connectors.mastodon import api
from connectors.mastodon.parse import (
    ACCT,
    ID,
    VISIBILITIES,
    Read,
    clean,
    html_to_text,
    https_url,
    mention,
    own_status,
)
from connectors.models import Connection, Event, Outgoing, Platform
from moderation.models import Item

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

NOTIFICATIONS = "/api/v1/notifications"
NOTIFICATIONS_LIMIT = 80  # the documented maximum since 4.1 (30 before: the server pages by its own)
STATUSES_LIMIT = 40  # the documented maximum of an account's statuses


def _statuses_path(account_id: str) -> str:
    return f"/api/v1/accounts/{account_id}/statuses"


def split_identity(value: str) -> tuple[str, str]:
    """``@name@domain`` → (``name``, ``domain``), lower case; the domain may be ""."""
    name, _at, domain = value.strip().lstrip("@").partition("@")
    return name.lower(), domain.lower()


def with_mention(text: str, acct: str) -> str:
    """The answer starting with ``@acct`` unless it names the writer already."""
    if not acct:
        return text
    named = re.compile(rf"(?<![\w@])@{re.escape(acct)}(?:@[\w.-]+)?(?![\w@-]|\.\w)", re.IGNORECASE)
    return text if named.search(text) else f"@{acct} {text}"


class Mastodon(Adapter):
    """Mastodon, on any server: mentions in, answers as replies, the account's statuses as its record."""

    platform = Platform.MASTODON
    identity_label = gettext_lazy("User name")
    identity_help = gettext_lazy(
        "The account's user name on its server, e.g. @kau or @kau@mastodon.nu (letters, digits, _ . -)."
    )
    identity_pattern = re.compile(rf"@?{ACCT.pattern}")
    needs_server = True
    default_server = ""
    secret_label = gettext_lazy("Access token")
    secret_help = gettext_lazy(
        "The access token of an application created on the account (Preferences > Development > New "
        "application) with the scopes read:notifications, read:statuses, write:statuses and "
        "read:accounts. Kanalvakt checks it with the server, keeps it encrypted and never shows it again."
    )
    help_template = "connectors/help/mastodon.html"
    removable_kinds: frozenset[str] = frozenset()

    # --- the connection page ---------------------------------------------------------------------

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        """The token reads the account named ``external_id`` (its user name, or its id on the server
        when the token is replaced) on ``server_url``."""
        server = api.normalise_server(server_url)
        name, domain = split_identity(external_id)
        if domain and domain != api.host_of(server):
            raise Refused(
                _("The user name's server (%(domain)s) is not the server given: give the name alone.")
                % {"domain": domain[:100]}
            )
        try:
            me = api.client(server, secret).get("/api/v1/accounts/verify_credentials")
        except Unavailable as exc:
            if exc.status:
                raise
            # No HTTP answer at all (an address refused, nothing listening): the server's address is
            # at fault, not the token (the connection page says so next to the server).
            raise http.NotSent(exc.reason) from exc
        account_id, username, acct = self._me(me)
        if name not in (username.lower(), account_id.lower()):
            raise Refused(
                _("The token belongs to @%(other)s, not to @%(name)s.") % {"other": acct, "name": name[:100]}
            )
        return Checked(external_id=account_id, name=f"@{acct}", server_url=server)

    @staticmethod
    def _me(me: Any) -> tuple[str, str, str]:
        if isinstance(me, dict):
            account_id, username, acct = me.get("id"), me.get("username"), me.get("acct")
            if (
                isinstance(account_id, str)
                and ID.fullmatch(account_id)
                and isinstance(username, str)
                and ACCT.fullmatch(username)
                and isinstance(acct, str)
                and ACCT.fullmatch(acct)
            ):
                return account_id, username, acct
        raise Refused(_("The server's answer about the account could not be read."))

    def _client(self, connection: Connection, **headers: str) -> rest.Client:
        return api.client(connection.server_url, connection.token, connection=connection, **headers)

    # --- the poll ---------------------------------------------------------------------------------

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        """New mentions and the account's own new statuses since ``cursor`` (``{"mention": id, "own":
        id}``, each a notification's or a status's id); the last BACKFILL days for a missing one."""
        client = self._client(connection)
        since = now - BACKFILL
        reads: list[Read] = []
        new_cursor = dict(cursor)
        streams = (
            ("mention", NOTIFICATIONS, {"types[]": "mention", "limit": NOTIFICATIONS_LIMIT}),
            (
                "own",
                _statuses_path(connection.external_id),
                {"exclude_reblogs": "true", "limit": STATUSES_LIMIT},
            ),
        )
        for key, path, params in streams:
            after = cursor.get(key) if _is_id(cursor.get(key)) else None
            if after:
                pages = api.newer(client, path, params, after=after)
            else:
                pages = api.back_to(client, path, params, since=since, now=now)
            for number, page in enumerate(pages):
                newest = next(
                    (row["id"] for row in page if isinstance(row, dict) and _is_id(row.get("id"))), None
                )
                # Forward, each page is newer than the one before; back, the first page holds the newest.
                if newest is not None and (after or number == 0):
                    new_cursor[key] = newest
                for raw in page:
                    read = (
                        mention(raw, now=now)
                        if key == "mention"
                        else own_status(raw, account_id=connection.external_id, now=now)
                    )
                    if read is None or (not after and _older(read.row, since)):
                        continue
                    reads.append(read)
        return Poll(rows=self._in_order(connection, reads, now=now), cursor=new_cursor)

    def _in_order(self, connection: Connection, reads: list[Read], *, now: datetime) -> list[Row]:
        """The rows oldest first; a mention the server says was edited and Kanalvakt already holds
        becomes an edit of the item (both texts kept, KAU-PUBLIC-RECORD)."""
        edited = {
            read.row.incoming.platform_id: read.edited_at
            for read in reads
            if read.edited_at is not None and isinstance(read.row, Fetched) and not read.row.incoming.own
        }
        known = (
            set(
                Item.objects.filter(account_id=connection.account_id, platform_id__in=edited).values_list(
                    "platform_id", flat=True
                )
            )
            if edited
            else set()
        )
        rows: list[Row] = []
        for read in reads:
            row = read.row
            if isinstance(row, Fetched) and row.incoming.platform_id in known and not row.incoming.own:
                incoming = row.incoming
                row = Fetched(
                    row.object_type,
                    Incoming(
                        change=Change.EDIT,
                        platform_id=incoming.platform_id,
                        kind=incoming.kind,
                        author=incoming.author,
                        author_platform_id=incoming.author_platform_id,
                        text=incoming.text,
                        at=edited[incoming.platform_id],
                        url=incoming.url,
                        in_reply_to=incoming.in_reply_to,
                    ),
                    row.payload,
                )
            rows.append(row)
        rows.sort(key=lambda row: (row.incoming.at or now) if isinstance(row, Fetched) else now)
        return rows

    # --- answers and removals ---------------------------------------------------------------------

    def answer_destination(self, item: Item) -> Any:
        if item.kind == Item.Kind.MESSAGE:
            return _(
                "The answer is sent to Mastodon as a direct reply: only its writer (mentioned first) sees it."
            )
        return _(
            "The answer is posted to Mastodon as a reply with the same visibility as the status it "
            "answers, mentioning its writer."
        )

    def removal(self, item: Item) -> tuple[str, _StrPromise | str]:
        return Outgoing.Action.HIDE, _(
            "Mastodon does not let the account remove a status someone else wrote. Block or mute the "
            "writer, or report the status to the moderators of its server, on Mastodon."
        )

    def _original(self, connection: Connection, item: Item) -> tuple[str, str]:
        """The visibility and the writer's user name of the status answered: from the raw answer kept
        with the item, else read from the server (visibility cannot change after posting)."""
        payloads = (
            Event.objects.filter(item=item)
            .exclude(outcome=Event.Outcome.ERROR)
            .order_by("-pk")
            .values_list("payload", flat=True)[:5]
        )
        for payload in payloads:
            status = payload.get("status") if isinstance(payload, dict) else None
            if isinstance(status, dict) and status.get("id") == item.platform_id:
                visibility, acct = _visibility_and_acct(status)
                if visibility:
                    return visibility, acct
        status = self._client(connection).get(f"/api/v1/statuses/{item.platform_id}")
        visibility, acct = _visibility_and_acct(status)
        if not visibility:
            raise Refused(_("The server did not say who may see the status, so the answer was not sent."))
        return visibility, acct

    def carry_out(self, connection: Connection, outgoing: Outgoing) -> Done:
        """An answer: one ``POST /api/v1/statuses`` (form data: status, in_reply_to_id, visibility)."""
        item = outgoing.item
        if outgoing.action != Outgoing.Action.REPLY:
            raise Refused(str(self.removal(item)[1]))
        if not ID.fullmatch(item.platform_id):
            raise Refused(_("The item's id is not a Mastodon status id."))
        visibility, acct = self._original(connection, item)
        if not acct and ACCT.fullmatch(item.author):
            acct = item.author
        # Mastodon keeps the key an hour: the same row sent again (tried again) posts nothing twice.
        client = self._client(connection, **{"Idempotency-Key": f"kanalvakt-outgoing-{outgoing.pk}"})
        answer = client.post(
            "/api/v1/statuses",
            form={
                "status": with_mention(outgoing.text, acct),
                "in_reply_to_id": item.platform_id,
                "visibility": visibility,
            },
        )
        made = answer.get("id") if isinstance(answer, dict) else None
        if not _is_id(made):
            raise Refused(_("The server did not say which status it made."))
        return Done(ref=str(made), url=https_url(answer.get("url")), answer=clean(answer))

    def look(self, connection: Connection, outgoing: Outgoing) -> str | None:
        """Whether an answer of unknown outcome is there: a reply by the account to the item, with the
        text, among the status's descendants."""
        item = outgoing.item
        if outgoing.action != Outgoing.Action.REPLY or not ID.fullmatch(item.platform_id):
            raise Refused(_("This platform cannot be asked whether it was done: look on the platform."))
        context = self._client(connection).get(f"/api/v1/statuses/{item.platform_id}/context")
        descendants = context.get("descendants") if isinstance(context, dict) else None
        wanted = " ".join(outgoing.text.split())
        for status in descendants if isinstance(descendants, list) else []:
            if not isinstance(status, dict) or not _is_id(status.get("id")):
                continue
            author = status.get("account")
            if (
                isinstance(author, dict)
                and author.get("id") == connection.external_id
                and status.get("in_reply_to_id") == item.platform_id
                and isinstance(status.get("content"), str)
                and wanted in " ".join(html_to_text(status["content"]).split())
            ):
                return str(status["id"])
        return None

    # --- the figures (KAU-FOLLOWUP) ----------------------------------------------------------------

    def figures(self, connection: Connection) -> dict[str, int]:
        """Followers and the account's statuses, from ``verify_credentials``."""
        me = self._client(connection).get("/api/v1/accounts/verify_credentials")
        if not isinstance(me, dict):
            return {}
        found = {"followers": me.get("followers_count"), "posts_total": me.get("statuses_count")}
        return {
            key: value
            for key, value in found.items()
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
        }


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and ID.fullmatch(value) is not None


def _older(row: Row, since: datetime) -> bool:
    return isinstance(row, Fetched) and row.incoming.at is not None and row.incoming.at < since


def _visibility_and_acct(status: Any) -> tuple[str, str]:
    if not isinstance(status, dict) or status.get("visibility") not in VISIBILITIES:
        return "", ""
    author = status.get("account")
    acct = author.get("acct") if isinstance(author, dict) else None
    return str(status["visibility"]), acct if isinstance(acct, str) and ACCT.fullmatch(acct) else ""


ADAPTER = Mastodon()
