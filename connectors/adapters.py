"""One shape for every polled platform: what a platform module gives the rest of Kanalvakt.

Each polled platform has its own module in ``connectors/`` (``connectors.youtube``,
``connectors.linkedin``, ``connectors.tiktok``, ``connectors.bluesky``, ``connectors.mastodon``) with
one ``ADAPTER``, an instance of a subclass of ``Adapter``. The rest of Kanalvakt asks ``adapter_for``
and never names a platform:

- the connection page asks which identity and secret to ask for (``identity_label``, ``needs_server``,
  ``secret_label``, ``help_template``) and has them checked (``check``) before anything is stored
  (connectors.services);
- the poll (connectors.polling) asks for what is new since the stored cursor (``poll``), on the
  platform's interval (``interval``), and applies it through connectors.intake;
- the sender (connectors.outgoing) asks the module to carry out an answer or a removal
  (``carry_out``), or says why it is not possible on the platform (``removal``);
- the follow-up's figures (KAU-FOLLOWUP) come from ``figures``.

Everything a module reads from its platform is hostile until checked: a row of the wrong shape is a
``Malformed`` value (kept as an error event, the rest goes on); errors are connectors.errors types.
Facebook and Instagram (webhooks, connectors.meta) are not adapters of this kind.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from connectors.errors import Refused
from connectors.intake import Row
from connectors.models import Connection, Outgoing, Platform

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from moderation.models import Item

# Where each polled platform's module lives. A module missing here is simply not connectable.
MODULES: dict[str, str] = {
    Platform.YOUTUBE: "connectors.youtube",
    Platform.LINKEDIN: "connectors.linkedin",
    Platform.TIKTOK: "connectors.tiktok",
    Platform.BLUESKY: "connectors.bluesky",
    Platform.MASTODON: "connectors.mastodon",
}
BACKFILL = timedelta(days=14)  # what the first poll of a new connection reads back
# The counts a platform may give for the follow-up (KAU-FOLLOWUP), as they stand when read: followers,
# and the account's running totals of posts (videos, statuses), views and reactions (likes) received.
FIGURE_KEYS = ("followers", "posts_total", "views_total", "reactions_total")


@dataclass(frozen=True)
class Checked:
    """What the platform says of an identity and secret it accepted. ``external_id`` is the identity
    as the platform names it (a DID for a handle, an account id for a Mastodon user name);
    ``session`` is kept encrypted for the module's next calls; ``server_url`` the server it is on."""

    external_id: str
    name: str = ""
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    session: dict[str, Any] = field(default_factory=dict, repr=False)
    server_url: str = ""


@dataclass
class Poll:
    """What one poll read: the rows, oldest first where the platform allows, and the cursor to store
    for the next poll (kept only when the rows were applied). ``session``: a refreshed session to keep
    (None: unchanged). ``cost``: what the poll spent of a quota (YouTube's units), for the module."""

    rows: list[Row]
    cursor: dict[str, Any]
    session: dict[str, Any] | None = field(default=None, repr=False)
    cost: int = 0


@dataclass(frozen=True)
class Done:
    """An answer or removal carried out: the platform's id and link of what it made, and its answer."""

    ref: str
    url: str = ""
    answer: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] | None = field(default=None, repr=False)


class Adapter:
    """The base of each polled platform's module. Subclasses set the class attributes and implement
    ``check``, ``poll`` and ``carry_out``; the rest have sensible defaults."""

    platform: str = ""
    # The identity the connection page asks for, with its pattern (a full match) and an example.
    identity_label: Any = _("Id on the platform")
    identity_help: Any = ""
    identity_pattern: re.Pattern[str] = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
    # Mastodon and Bluesky live on many servers: the page asks for the account's server too.
    needs_server: bool = False
    default_server: str = ""
    secret_label: Any = _("Access token")
    secret_help: Any = ""
    # The connection page's explanation of access, roles and tiers (connectors/help/<platform>.html).
    help_template: str = ""
    # The kinds of item (Item.Kind) the account may hide or delete on the platform.
    removable_kinds: frozenset[str] = frozenset()

    # --- the connection page ---------------------------------------------------------------------

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        """Ask the platform whether ``secret`` reads and answers for ``external_id``. Raises a
        connectors.errors type (its reason is shown next to the field)."""
        raise NotImplementedError

    # --- the poll ---------------------------------------------------------------------------------

    def interval(self) -> timedelta:
        """How long between two polls of one connection (CONNECTOR_POLL_SECONDS, per platform)."""
        seconds = settings.CONNECTOR_POLL_SECONDS.get(self.platform, 300)
        return timedelta(seconds=seconds)

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        """What is new since ``cursor`` ({} for a new connection: the last BACKFILL days). The rows
        are visitors' writing (items) and the account's own (``own=True``, its published record),
        each with the raw platform answer it came from. Raises a connectors.errors type."""
        raise NotImplementedError

    # --- answers and removals ---------------------------------------------------------------------

    def answer_destination(self, item: Item) -> Any:
        """Where an answer to ``item`` goes, in words for the answer form."""
        return _("The answer is posted to %(platform)s as a reply.") % {
            "platform": Platform(self.platform).label
        }

    def removal(self, item: Item) -> tuple[str, _StrPromise | str]:
        """The action that removes ``item`` on the platform (Outgoing.Action), and, when it is not
        possible there, the reason in words ("" when it is)."""
        if item.kind in self.removable_kinds:
            return Outgoing.Action.HIDE, ""
        return Outgoing.Action.HIDE, _(
            "The platform does not let the account remove this: report it on the platform."
        )

    def carry_out(self, connection: Connection, outgoing: Outgoing) -> Done:
        """Carry out ``outgoing`` (an answer, a hiding, a deletion) with one call. Raises a
        connectors.errors type, or connectors.http.OutcomeUnknown when the call left and no answer
        came (never retried blindly)."""
        raise NotImplementedError

    def look(self, connection: Connection, outgoing: Outgoing) -> str | None:
        """For an action of unknown outcome: the platform id of what it made when it is there, None
        when it is not. Raises Refused when the platform cannot tell."""
        raise Refused(str(_("This platform cannot be asked whether it was done: look on the platform.")))

    # --- the figures (KAU-FOLLOWUP) ----------------------------------------------------------------

    def figures(self, connection: Connection) -> dict[str, int]:
        """The account's counts the platform gives now, by FIGURE_KEYS (only those it gives, each a
        whole number from 0 up), {} when none. Raises a connectors.errors type."""
        return {}


def adapter_for(platform: str) -> Adapter | None:
    """The module of a polled platform, or None (Meta's platforms, or no connector)."""
    name = MODULES.get(platform)
    if name is None:
        return None
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        return None
    adapter = getattr(module, "ADAPTER", None)
    return adapter if isinstance(adapter, Adapter) else None


def polled_platforms() -> list[str]:
    """The platforms polled by a module of their own."""
    return [platform for platform in MODULES if adapter_for(platform) is not None]
