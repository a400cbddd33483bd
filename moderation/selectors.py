"""Read-side queries of the moderation log: who may see which items, the queues, the alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.selectors import is_owner_or_deputy
from core.models import User
from core.roles import Role, has_role
from core.todo import TodoSection
from core.units import in_subtrees, unit_paths_headed_by
from moderation.models import Alert, Item, ItemQuerySet, Severity


def _moderated_by(user: User, prefix: str = "") -> Q:
    """Items (or alerts, with ``prefix="item__"``) on the accounts ``user`` owns or deputises for."""
    return Q(**{f"{prefix}account__owner": user}) | Q(
        **{f"{prefix}account__in": Account.deputies.through.objects.filter(user=user).values("account_id")}
    )


def items_visible_to(user: User) -> QuerySet[Item]:
    """Every item ``user`` may read, as one filter.

    The account owner and the deputies read (and moderate) their accounts' items; the head of a unit
    reads the items of its accounts and of every unit below (KAU-RESP-MANAGER); the social media lead
    reads every item; the security officer reads the items flagged as threats (KAU-THREAT). Nobody
    else sees items, the communications department and the registrar included.
    """
    if not user.is_authenticated or not user.is_active:
        return Item.objects.none()
    if user.has_perm("moderation.view_all_items"):
        return Item.objects.all()
    condition = _moderated_by(user) | in_subtrees(unit_paths_headed_by(user), field="account__unit")
    if has_role(user, Role.SECURITY_OFFICER):
        condition |= Q(threat=True)
    return Item.objects.filter(condition)


def may_read_account_items(user: User, account: Account) -> bool:
    """Whether ``user`` reads the inbox of ``account`` (all of its items, not only threats)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm("moderation.view_all_items"):
        return True
    if any(account.unit.path.startswith(path) for path in unit_paths_headed_by(user)):
        return True
    return is_owner_or_deputy(user, account)


def may_moderate(user: Any, account: Account) -> bool:
    """The account owner and the deputies moderate an account's items; nobody else does."""
    return is_owner_or_deputy(user, account)


def account_inbox_or_404(user: User, account_id: int) -> Account:
    """The account whose inbox ``user`` may read, or 404: never reveal that an account exists."""
    account = get_object_or_404(Account.objects.select_related("unit", "owner"), pk=account_id)
    if not may_read_account_items(user, account):
        raise Http404
    return account


def item_or_404(user: User, item_id: int) -> Item:
    return get_object_or_404(
        items_visible_to(user).select_related(
            "account", "account__unit", "account__owner", "handled_by", "evidence"
        ),
        pk=item_id,
    )


def item_to_moderate(user: User, item_id: int) -> Item:
    """The item, if the person sees it (else 404) and moderates its account (else 403)."""
    item = item_or_404(user, item_id)
    if not may_moderate(user, item.account):
        raise PermissionDenied
    return item


def items_to_answer(user: User) -> ItemQuerySet:
    """Unanswered items on the accounts ``user`` owns or deputises for: "my queue". Threats, pile-on
    risks and prohibited content first (KAU-THREAT, KAU-DREV, KAU-PROHIBITED), then earliest due
    first, so that what is overdue comes next (item_open_severity_due_idx)."""
    # The person's accounts first (a handful), then their open items by item_open_due_idx (account,
    # due time): an OR across the join would make the database read every open item of the registry.
    accounts = (
        Account.objects.kept_by(user)
        .filter(status__in=[Account.Status.ACTIVE, Account.Status.PAUSED, Account.Status.CLOSING])
        .values("pk")
    )
    return (
        Item.objects.unanswered()
        .filter(account_id__in=accounts)
        .with_severity()
        .select_related("account", "taken_by")
        .order_by("-rank", "due_at", "pk")
    )


def items_to_answer_todo(user: User, now: datetime) -> TodoSection | None:
    items = list(items_to_answer(user)[:50])
    return TodoSection(
        key="items",
        title=_("Questions and comments to answer"),
        empty=_("Nothing waits for an answer on your accounts."),
        template="moderation/todo_items.html",
        rows=items,
        extra={"now": now},
    )


def open_alerts_for(user: User) -> QuerySet[Alert]:
    """The alerts waiting for ``user`` to acknowledge: threats for the security officer (KAU-THREAT),
    pile-ons and limits for the social media lead (KAU-DREV, KAU-RESPONSE-DEADLINE), criticism and
    limits for the head of the account's unit (KAU-RESPONSE-CRITICISM), escalations to any of them."""
    if not user.is_authenticated or not user.is_active:
        return Alert.objects.none()
    condition = Q(pk__in=[])
    if has_role(user, Role.SECURITY_OFFICER):
        condition |= Q(target__in=[Alert.Target.SECURITY, Alert.Target.SECURITY_AND_LEAD])
    if has_role(user, Role.SOCIAL_MEDIA_LEAD):
        condition |= Q(
            target__in=[Alert.Target.CENTRAL, Alert.Target.HEAD_AND_LEAD, Alert.Target.SECURITY_AND_LEAD]
        )
    # The head it was routed to: the nearest active head up the tree when it was written.
    condition |= Q(target__in=[Alert.Target.HEAD, Alert.Target.HEAD_AND_LEAD], head=user)
    # Threats first, then pile-on risks and prohibited content, each newest first (KAU-THREAT,
    # KAU-DREV, KAU-PROHIBITED): by the alert's kind or the item's flags, whichever is higher.
    severity = Case(
        When(Q(kind=Alert.Kind.THREAT) | Q(item__threat=True), then=Value(Severity.THREAT)),
        When(Q(kind=Alert.Kind.PILE_ON) | Q(item__pile_on_risk=True), then=Value(Severity.PILE_ON)),
        When(~Q(item__prohibited=[]), then=Value(Severity.PROHIBITED)),
        default=Value(Severity.NONE),
    )
    return (
        Alert.objects.filter(condition, acknowledged_at__isnull=True, cleared_at__isnull=True)
        .exclude(kind=Alert.Kind.DUE)
        .alias(severity=severity)
        .select_related("item", "item__account", "item__threat_case", "created_by")
        .order_by("-severity", "-created_at", "-pk")
    )


def alerts_todo(user: User, now: datetime) -> TodoSection | None:
    """The start page's section of items routed to this person; absent for people nothing is routed to."""
    if not (has_role(user, Role.SECURITY_OFFICER, Role.SOCIAL_MEDIA_LEAD) or unit_paths_headed_by(user)):
        return None
    rows = list(open_alerts_for(user)[:ALERTS_SHOWN])
    # "Acknowledge all" says how many; threats are acknowledged one by one (KAU-THREAT). Counted in the
    # database only when the page does not show every alert.
    threats = [Alert.Kind.THREAT, Alert.Kind.THREAT_UNACKNOWLEDGED]
    if len(rows) < ALERTS_SHOWN:
        acknowledgeable = sum(1 for alert in rows if alert.kind not in threats)
    else:
        acknowledgeable = open_alerts_for(user).exclude(kind__in=threats).count()
    return TodoSection(
        key="alerts",
        title=_("Items routed to you"),
        empty=_("Nothing has been routed to you."),
        template="moderation/todo_alerts.html",
        rows=rows,
        extra={
            "now": now,
            "acknowledgeable": acknowledgeable,
            "cases": has_role(user, Role.SECURITY_OFFICER, Role.SOCIAL_MEDIA_LEAD),
        },
    )


ALERTS_SHOWN = 50
