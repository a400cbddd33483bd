"""The states of a new-account request and the transitions between them, in one place.

Pure: no ORM. governance.services asks this module whether a transition is allowed before it
changes anything, so a forbidden transition is refused with the same message everywhere.

    draft ──submit──▶ submitted ──accept──▶ reviewed ──approve──▶ approved
      ▲                 │                      └──────reject───▶ rejected
      │                 └──return──▶ returned ──submit──▶ submitted
    (any open state) ──withdraw──▶ withdrawn
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    ACCEPT = "accept"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


DRAFT, SUBMITTED, RETURNED, REVIEWED = "draft", "submitted", "returned", "reviewed"
APPROVED, REJECTED, WITHDRAWN = "approved", "rejected", "withdrawn"

TRANSITIONS: dict[Action, tuple[frozenset[str], str]] = {
    Action.SUBMIT: (frozenset({DRAFT, RETURNED}), SUBMITTED),
    Action.RETURN: (frozenset({SUBMITTED}), RETURNED),
    Action.ACCEPT: (frozenset({SUBMITTED}), REVIEWED),
    Action.APPROVE: (frozenset({REVIEWED}), APPROVED),
    Action.REJECT: (frozenset({REVIEWED}), REJECTED),
    Action.WITHDRAW: (frozenset({DRAFT, SUBMITTED, RETURNED, REVIEWED}), WITHDRAWN),
}

_REFUSALS = {
    Action.SUBMIT: _("Only a draft or a returned request can be submitted; this one is already %(status)s."),
    Action.RETURN: _("Only a submitted request can be returned; this one is %(status)s."),
    Action.ACCEPT: _("Only a submitted request can be reviewed; this one is %(status)s."),
    Action.APPROVE: _("Only a reviewed request can be approved; this one is %(status)s."),
    Action.REJECT: _("Only a reviewed request can be rejected; this one is %(status)s."),
    Action.WITHDRAW: _("A request that is %(status)s can no longer be withdrawn."),
}


class InvalidTransition(Exception):
    """The request is not in a state where this action is allowed. Nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allowed(status: str, action: Action) -> bool:
    sources, _target = TRANSITIONS[action]
    return status in sources


def target(status: str, status_label: str, action: Action) -> str:
    """The state ``action`` leads to from ``status``, or InvalidTransition with a clear message."""
    sources, destination = TRANSITIONS[action]
    if status not in sources:
        raise InvalidTransition(str(_REFUSALS[action] % {"status": status_label.lower()}))
    return destination


def actions_from(status: str) -> list[Action]:
    return [action for action in Action if allowed(status, action)]
