"""Read-side queries of the moderation log."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import User
from core.todo import TodoSection
from moderation.models import Item


def items_to_answer(user: User) -> QuerySet[Item]:
    """Unanswered items on the accounts ``user`` owns or deputises for, earliest due first."""
    mine = Q(account__owner=user) | Q(
        account__in=Account.deputies.through.objects.filter(user=user).values("account_id")
    )
    return (
        Item.objects.unanswered()
        .filter(mine, account__status__in=[Account.Status.ACTIVE, Account.Status.PAUSED])
        .select_related("account")
        .order_by("due_at", "pk")
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
