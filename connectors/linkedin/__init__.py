"""LinkedIn organisation pages: the comments on the organisation's posts come in by a poll, and answers
go out as the organisation, through LinkedIn's Community Management API (connectors.adapters).

- Connecting (``check``): the organisation's numeric id (``urn:li:organization:123`` is accepted and
  kept as ``123``) and a member access token of one of the page's super admins or content admins.
  The token must read the organisation (``GET /rest/organizations/{id}``, Organization Lookup API) and
  the member must hold the role on it (``GET /rest/organizationAcls?q=roleAssignee&state=APPROVED``,
  Organization Access Control: ``role`` ADMINISTRATOR is a super admin, CONTENT_ADMINISTRATOR a content
  admin); anything less is refused before anything is stored.
- The poll (connectors.linkedin.read): the organisation's recent posts, kept as its published record,
  and the comments on them; the organisation's own comments are its publications (``own=True``). What
  a poll costs is written there.
- Answers (``carry_out``): ``POST /rest/socialActions/{encoded comment URN}/comments`` with
  ``{"actor": the organisation, "object": the thread, "message": {"text"}, "parentComment": the
  comment}``, a reply nested under the visitor's comment (under its top-level comment when it is itself
  a reply: LinkedIn nests one level). The new comment's URN comes from the body's ``commentUrn``, or is
  made from its id (body ``id`` or the ``x-restli-id`` header).
- Removals: ``DELETE /rest/socialActions/{encoded thread or parent URN}/comments/{id}?actor=…`` (Comments
  API, "Delete a Comment"): the organisation deletes a comment on its own post, after the evidence is
  kept (KAU-PROHIBITED-EVIDENCE).
- Figures (KAU-FOLLOWUP): ``GET /rest/networkSizes/{encoded organization URN}?edgeType=
  COMPANY_FOLLOWED_BY_MEMBER`` → ``firstDegreeSize``, the page's followers (Organization Lookup API,
  "Retrieve Organization Follower Count").

Documentation (https://learn.microsoft.com/en-us/linkedin/marketing/ …): community-management/shares/
comments-api, community-management/shares/posts-api, community-management/organizations/
organization-access-control-by-role, community-management/organizations/organization-lookup-api, and
versioning (the shapes are written in connectors.linkedin.api and connectors.linkedin.read).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.adapters import Adapter, Checked, Done, Poll
from connectors.errors import MissingPermission, PageUnreachable, Refused
from connectors.linkedin import api, read
from connectors.models import Connection, Outgoing, Platform
from moderation.models import Item

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# The page roles that may answer and delete comments as the organisation.
ADMIN_ROLES = frozenset({"ADMINISTRATOR", "CONTENT_ADMINISTRATOR"})
MAX_ACL_PAGES = 5


def organization_id(identity: str) -> str:
    """``123`` from ``123`` or ``urn:li:organization:123``."""
    identity = identity.strip()
    match = api.ORGANIZATION_URN.fullmatch(identity)
    return match.group(1) if match else identity


class LinkedIn(Adapter):
    """A LinkedIn organisation page (company page or showcase page)."""

    platform = Platform.LINKEDIN
    identity_label = gettext_lazy("Organisation id on LinkedIn")
    identity_help = gettext_lazy(
        "The page's organisation id: the digits in the address of the page's admin view "
        "(linkedin.com/company/12345678/admin/), or urn:li:organization:12345678."
    )
    identity_pattern = re.compile(r"(?:urn:li:organization:)?[1-9][0-9]{0,19}")
    secret_label = gettext_lazy("Access token")
    secret_help = gettext_lazy(
        "A member access token of a super admin or content admin of the page, with the scopes "
        "r_organization_social, w_organization_social and rw_organization_admin (see below). Kanalvakt "
        "checks it with LinkedIn, keeps it encrypted and never shows it again."
    )
    help_template = "connectors/help/linkedin.html"
    removable_kinds = frozenset({Item.Kind.COMMENT})

    # --- the connection page ---------------------------------------------------------------------

    def check(self, *, external_id: str, secret: str, server_url: str) -> Checked:
        """The token reads the organisation, and its member is a super admin or content admin of it."""
        org_id = organization_id(external_id)
        if not api.ORGANIZATION_ID.fullmatch(org_id):
            raise Refused(str(self.identity_help))
        client = api.client(None, token=secret)
        try:
            organization = client.get(f"/organizations/{org_id}")
        except Refused as exc:
            if exc.status == 404:
                raise PageUnreachable(
                    _("LinkedIn has no organisation with the id %(id)s.") % {"id": org_id}, status=404
                ) from exc
            raise
        name = organization.get("localizedName") if isinstance(organization, dict) else None
        if not self._administers(client, api.organization_urn(org_id)):
            raise MissingPermission(
                _(
                    "The member whose token this is is not a super admin or content admin of the page, so "
                    "Kanalvakt could not answer or delete comments as the organisation. A super admin adds "
                    "the role under the page's Settings > Manage admins."
                )
            )
        return Checked(external_id=org_id, name=name[:200] if isinstance(name, str) else "", scopes=())

    def _administers(self, client: Any, org: str) -> bool:
        listing = api.pages(
            client,
            "/organizationAcls",
            {"q": "roleAssignee", "state": "APPROVED"},
            count=100,
            max_pages=MAX_ACL_PAGES,
        )
        for elements, _body in listing:
            for element in elements or []:
                if not isinstance(element, dict):
                    continue
                target = element.get("organization") or element.get("organizationTarget")
                if (
                    target == org
                    and element.get("role") in ADMIN_ROLES
                    and element.get("state", "APPROVED") == "APPROVED"
                ):
                    return True
        return False

    # --- the poll ---------------------------------------------------------------------------------

    def poll(self, connection: Connection, *, cursor: dict[str, Any], now: datetime) -> Poll:
        return read.poll(api.client(connection), connection.external_id, cursor=cursor, now=now)

    # --- answers and removals ---------------------------------------------------------------------

    def answer_destination(self, item: Item) -> Any:
        return _("The answer is posted to LinkedIn as the organisation, as a reply under the comment.")

    def removal(self, item: Item) -> tuple[str, _StrPromise | str]:
        if item.kind == Item.Kind.COMMENT and api.COMMENT_URN.fullmatch(item.platform_id):
            return Outgoing.Action.DELETE, ""
        return Outgoing.Action.DELETE, gettext_lazy(
            "LinkedIn lets the organisation delete only comments on its own posts: report this on LinkedIn."
        )

    def carry_out(self, connection: Connection, outgoing: Outgoing) -> Done:
        """An answer as the organisation, nested under the comment; or the comment deleted."""
        item = outgoing.item
        target = api.COMMENT_URN.fullmatch(item.platform_id)
        if item.kind != Item.Kind.COMMENT or target is None:
            raise Refused(_("This is not a LinkedIn comment that Kanalvakt can act on."))
        org = api.organization_urn(connection.external_id)
        client = api.client(connection)
        parent = self._parent(item)
        if outgoing.action == Outgoing.Action.REPLY:
            thread = _thread_of(parent)
            body = {
                "actor": org,
                "object": thread,
                "message": {"text": outgoing.text},
                "parentComment": parent,
            }
            answer, restli_id = api.create(client, f"/socialActions/{api.encoded(parent)}/comments", body)
            ref = _created_urn(answer, restli_id, thread)
            if not ref:
                raise Refused(_("LinkedIn did not say which comment it made."))
            return Done(ref=ref, url=item.url or api.feed_url(thread), answer=answer)
        if outgoing.action == Outgoing.Action.DELETE:
            client.delete(self._comment_path(item), {"actor": org})
            return Done(ref=item.platform_id, answer={"deleted": True})
        raise Refused(_("LinkedIn does not let the organisation hide a comment: it can only delete it."))

    def look(self, connection: Connection, outgoing: Outgoing) -> str | None:
        """Whether an answer or a deletion of unknown outcome was done: the organisation's comment with
        the same text under the parent, or the comment gone (404)."""
        item = outgoing.item
        if not api.COMMENT_URN.fullmatch(item.platform_id):
            return None
        client = api.client(connection)
        if outgoing.action == Outgoing.Action.DELETE:
            try:
                client.get(self._comment_path(item))
            except Refused as exc:
                if exc.status == 404:
                    return item.platform_id
                raise
            return None
        org = api.organization_urn(connection.external_id)
        parent = self._parent(item)
        path = f"/socialActions/{api.encoded(parent)}/comments"
        for elements, _body in api.pages(client, path, {}, count=read.COMMENTS_PAGE, max_pages=5):
            for element in elements or []:
                if not isinstance(element, dict) or element.get("actor") != org:
                    continue
                message = element.get("message")
                if isinstance(message, dict) and message.get("text") == outgoing.text:
                    urn = element.get("commentUrn")
                    if isinstance(urn, str) and api.COMMENT_URN.fullmatch(urn):
                        return urn
        return None

    @staticmethod
    def _parent(item: Item) -> str:
        """The comment an answer nests under: the item's top-level comment when it is itself a reply."""
        return item.in_reply_to if api.COMMENT_URN.fullmatch(item.in_reply_to) else item.platform_id

    @staticmethod
    def _comment_path(item: Item) -> str:
        match = api.COMMENT_URN.fullmatch(item.platform_id)
        assert match is not None
        container = item.in_reply_to if api.COMMENT_URN.fullmatch(item.in_reply_to) else match.group(1)
        return f"/socialActions/{api.encoded(container)}/comments/{match.group(2)}"

    # --- the figures (KAU-FOLLOWUP) ----------------------------------------------------------------

    def figures(self, connection: Connection) -> dict[str, int]:
        org = api.organization_urn(connection.external_id)
        answer = api.client(connection).get(
            f"/networkSizes/{api.encoded(org)}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
        )
        size = answer.get("firstDegreeSize") if isinstance(answer, dict) else None
        if isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 10**12:
            return {"followers": size}
        return {}


def _thread_of(comment_urn: str) -> str:
    match = api.COMMENT_URN.fullmatch(comment_urn)
    assert match is not None
    return match.group(1)


def _created_urn(answer: dict[str, Any], restli_id: str, thread: str) -> str:
    """The new comment's URN: the body's ``commentUrn``, or one made from its id (body or header)."""
    urn = answer.get("commentUrn")
    if isinstance(urn, str) and api.COMMENT_URN.fullmatch(urn):
        return urn
    for candidate in (answer.get("id"), restli_id):
        value = str(candidate) if isinstance(candidate, str | int) and not isinstance(candidate, bool) else ""
        if api.COMMENT_URN.fullmatch(value):
            return value
        if api.COMMENT_ID.fullmatch(value):
            return f"urn:li:comment:({thread},{value})"
    return ""


ADAPTER = LinkedIn()
