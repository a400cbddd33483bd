"""Every change to the organisation tree and the institution settings goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm

from accounts.models import Account
from core import events
from core.history import record
from core.models import InstitutionSettings, OrgUnit, User
from core.notifications import notify
from core.roles import Role
from governance import workflow
from governance.completeness import missing_parts
from governance.models import AccountRequest, AccountRequestUserObjectPermission, RequestEvent
from governance.profile_guide import Deviation, check_profile
from governance.selectors import approver_for, existing_channels_for, requests_visible_to


@transaction.atomic
def create_unit(
    *,
    name: str,
    code: str,
    kind: str,
    parent: OrgUnit | None,
    head: User | None,
    by: User | None,
    name_en: str = "",
) -> OrgUnit:
    """Add a unit to the organisation tree, with its head (KAU-START-APPROVAL)."""
    unit = OrgUnit(name=name, name_en=name_en, code=code, kind=kind, parent=parent, head=None, path="")
    record(unit, by=by, reason="created")
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    if head is not None:
        set_unit_head(unit, head=head, by=by)
    return unit


@transaction.atomic
def set_unit_head(unit: OrgUnit, *, head: User | None, by: User | None) -> OrgUnit:
    """Make ``head`` the manager with operational responsibility for ``unit``.

    The head-of-unit role follows: a person who heads a unit is in the group, one who heads none is not.
    """
    previous = unit.head
    unit.head = head
    record(unit, by=by, reason="head changed")
    unit.save(update_fields=["head"])
    group, _created = Group.objects.get_or_create(name=Role.HEAD_OF_UNIT.value)
    if head is not None:
        head.groups.add(group)
    if previous is not None and previous != head and not previous.headed_units.exists():
        previous.groups.remove(group)
    return unit


@transaction.atomic
def update_institution_settings(*, by: User, **fields: Any) -> InstitutionSettings:
    """Change the institution's settings; history keeps who changed what."""
    current = InstitutionSettings.objects.select_for_update().get(
        pk=InstitutionSettings.objects.get_solo().pk
    )
    calendar_before = (
        current.response_due_hours,
        current.response_limit_hours,
        current.threat_reacknowledge_hours,
        sorted(current.extra_days_off),
    )
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    record(current, by=by, reason="settings changed")
    current.save()
    if (
        current.response_due_hours,
        current.response_limit_hours,
        current.threat_reacknowledge_hours,
        sorted(current.extra_days_off),
    ) != calendar_before:
        # KAU-RESPONSE-DEADLINE, KAU-THREAT: the open items' deadlines and the waiting threats'
        # re-alert times follow the new hours and days off.
        events.working_calendar_changed.announce(by=by)
    return current


# --- New-account requests ------------------------------------------------------------------------------


class IncompleteRequest(ValidationError):
    """The request lacks parts the policy requires; ``message_dict`` names each field."""


def _locked(request_id: int) -> AccountRequest:
    return AccountRequest.objects.select_for_update().select_related("unit", "requester").get(pk=request_id)


def _event(
    request: AccountRequest, *, kind: str, by: User, now: datetime, comment: str = "", from_status: str = ""
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        kind=kind,
        round=request.round,
        from_status=from_status,
        to_status=request.status,
        actor=by,
        at=now,
        comment=comment,
    )


def _move(request: AccountRequest, action: workflow.Action, *, by: User, reason: str) -> str:
    """Check and apply one transition on a locked request; returns the state it came from."""
    before = request.status
    request.status = workflow.target(before, str(request.get_status_display()), action)
    record(request, by=by, reason=reason)
    return before


def _sync_viewers(request: AccountRequest, deputies: list[User]) -> None:
    """The proposed owner and deputies may read the request they are named in (guardian grants)."""
    wanted = {person.pk for person in [request.proposed_owner, *deputies] if person is not None}
    wanted.discard(request.requester_id)
    current = AccountRequestUserObjectPermission.objects.filter(
        content_object=request, permission__codename="view_accountrequest"
    )
    current.exclude(user_id__in=wanted).delete()
    have = set(current.values_list("user_id", flat=True))
    for person in User.objects.filter(pk__in=wanted - have):
        assign_perm("governance.view_accountrequest", person, request)


def _reviewers() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        groups__permissions__codename="review_request",
        groups__permissions__content_type__app_label="governance",
    ).distinct()


def _tell(
    request: AccountRequest,
    *,
    kind: str,
    key: str,
    recipients: Iterable[User],
    subject: str | Promise,
    template: str,
    **context: Any,
) -> None:
    """Tell people of a step in the request's life: the subject names the request, the e-mail links to
    it, and ``key`` (after the request's own) makes it one e-mail per person however often it is told."""
    notify(
        kind=kind,
        key=f"request:{request.pk}:{key}",
        recipients=recipients,
        subject=subject,
        subject_params={"name": request.name},
        template=template,
        context={"request": request, **context},
        url=request.get_absolute_url(),
    )


def _apply_fields(request: AccountRequest, data: dict[str, Any], *, by: User) -> None:
    unknown = set(data) - set(AccountRequest.REQUESTER_FIELDS)
    if unknown:
        raise ValueError(f"unknown request fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(request, field, value)
    if request.existing_account_id is not None:
        from accounts.models import Account

        # Only someone who may see the account writes its strategy document, and the request belongs
        # to the account's own unit, so its head decides (KAU-START-APPROVAL).
        if not Account.objects.visible_to(by).filter(pk=request.existing_account_id).exists():
            raise ValidationError(
                {"existing_account": _("You may not write the strategy document of this account.")}
            )
        request.unit_id = request.existing_account.unit_id


@transaction.atomic
def save_draft(
    request_id: int | None, *, by: User, data: dict[str, Any], deputies: list[User], now: datetime
) -> AccountRequest:
    """Create or update a draft (or a returned request) without demanding completeness.

    Only the requester edits; a request under review or decided is not editable.
    """
    if request_id is None:
        request = AccountRequest(requester=by)
        _apply_fields(request, data, by=by)
        request.full_clean(exclude=["requester"])
        record(request, by=by, reason="draft created")
        request.save()
        _event(request, kind=RequestEvent.Kind.CREATED, by=by, now=now)
    else:
        request = _locked(request_id)
        if request.requester_id != by.pk:
            raise PermissionDenied
        if not request.is_editable:
            raise workflow.InvalidTransition(request.not_editable_message())
        _apply_fields(request, data, by=by)
        request.full_clean()
        record(request, by=by, reason="draft saved")
        request.save()
    request.proposed_deputies.set(deputies)
    request.deviations = [asdict(d) for d in _deviations(request)]
    request.save(update_fields=["deviations"])
    _sync_viewers(request, deputies)
    return request


def _deviations(request: AccountRequest) -> list[Deviation]:
    if not request.sender_type or not request.platform:
        return []
    return check_profile(
        sender_type=request.sender_type,
        platform=request.platform,
        handle=request.handle,
        profile_picture=request.profile_picture,
    )


@transaction.atomic
def submit_request(request_id: int, *, by: User, now: datetime) -> AccountRequest:
    """Send a complete request to the communications department (KAU-START-COMMS).

    Incomplete requests are refused with every missing part named (KAU-START-CHECKLIST) and stay
    as they were. On submission the profile guide is checked (KAU-PROFILE-GUIDE) and the channels
    that may already serve the need are listed for requester and reviewer (KAU-START-COMMS).
    """
    request = _locked(request_id)
    if request.requester_id != by.pk:
        raise PermissionDenied
    workflow.target(request.status, str(request.get_status_display()), workflow.Action.SUBMIT)
    deputies = list(request.proposed_deputies.all())
    missing = missing_parts(request, deputies=deputies)
    if missing:
        raise IncompleteRequest(missing)
    before = _move(request, workflow.Action.SUBMIT, by=by, reason="submitted")
    request.round += 1
    request.submitted_at = now
    request.deviations = [asdict(d) for d in _deviations(request)]
    request.existing_channels = existing_channels_for(request)
    request.accepted_deviations = []
    request.save()
    _event(request, kind=RequestEvent.Kind.SUBMITTED, by=by, now=now, from_status=before)
    _tell(
        request,
        kind="request_submitted",
        key=f"round:{request.round}:submitted",
        recipients=_reviewers().exclude(pk=by.pk),
        subject=gettext_lazy("New-account request to review: %(name)s"),
        template="emails/request_submitted.txt",
    )
    return request


def _require_reviewer(request: AccountRequest, by: User) -> None:
    if not by.has_perm("governance.review_request") or request.requester_id == by.pk:
        raise PermissionDenied


@transaction.atomic
def return_request(request_id: int, *, by: User, advice: str, now: datetime) -> AccountRequest:
    """The communications department sends the request back for changes, with written advice."""
    request = _locked(request_id)
    _require_reviewer(request, by)
    if not advice.strip():
        raise ValidationError({"advice": _("Write what should change.")})
    before = _move(request, workflow.Action.RETURN, by=by, reason="returned")
    request.review_advice, request.reviewed_by, request.reviewed_at = advice, by, now
    request.save()
    _event(request, kind=RequestEvent.Kind.RETURNED, by=by, now=now, comment=advice, from_status=before)
    _tell(
        request,
        kind="request_returned",
        key=f"round:{request.round}:returned",
        recipients=[request.requester],
        subject=gettext_lazy("Your request was returned for changes: %(name)s"),
        template="emails/request_returned.txt",
        advice=advice,
    )
    return request


@transaction.atomic
def accept_request(
    request_id: int, *, by: User, advice: str, accepted_deviations: list[str], now: datetime
) -> AccountRequest:
    """The communications department has reviewed the request and accepts each deviation from the
    profile guide explicitly (KAU-PROFILE-GUIDE, KAU-START-COMMS); the head of unit decides next."""
    request = _locked(request_id)
    _require_reviewer(request, by)
    pending = {d["code"] for d in request.deviations} - set(accepted_deviations)
    if pending:
        raise ValidationError(
            {
                "accepted_deviations": _(
                    "Accept every deviation from the profile guide, or return the request."
                )
            }
        )
    if not advice.strip():
        raise ValidationError({"advice": _("Write the communications department's advice.")})
    before = _move(request, workflow.Action.ACCEPT, by=by, reason="reviewed")
    request.review_advice, request.reviewed_by, request.reviewed_at = advice, by, now
    request.accepted_deviations = sorted({d["code"] for d in request.deviations})
    request.save()
    _event(request, kind=RequestEvent.Kind.REVIEWED, by=by, now=now, comment=advice, from_status=before)
    approver = approver_for(request)
    _tell(
        request,
        kind="request_reviewed",
        key=f"round:{request.round}:reviewed",
        recipients=[approver] if approver else [],
        subject=gettext_lazy("A new-account request awaits your decision: %(name)s"),
        template="emails/request_reviewed.txt",
        advice=advice,
    )
    return request


def _require_approver(request: AccountRequest, by: User) -> None:
    # KAU-START-APPROVAL: the approver follows from the organisation tree; never the requester.
    approver = approver_for(request)
    if approver is None or approver.pk != by.pk:
        raise PermissionDenied


def _decision_recipients(request: AccountRequest) -> list[User]:
    people = [
        request.requester,
        request.proposed_owner,
        *request.proposed_deputies.all(),
        request.reviewed_by,
    ]
    return [person for person in people if person is not None]


@transaction.atomic
def approve_request(request_id: int, *, by: User, reason: str, now: datetime) -> AccountRequest:
    """The head of the requesting unit approves (KAU-START-APPROVAL); the account enters the registry
    with its owner and deputies (KAU-RESP-OWNER), linked to this request as its strategy document."""
    return _decide(
        request_id,
        approve=True,
        by=by,
        reason=reason,
        now=now,
        subject=gettext_lazy("New-account request approved: %(name)s"),
    )


@transaction.atomic
def reject_request(request_id: int, *, by: User, reason: str, now: datetime) -> AccountRequest:
    """The head of the requesting unit rejects the request, with a written reason (KAU-START-APPROVAL)."""
    return _decide(
        request_id,
        approve=False,
        by=by,
        reason=reason,
        now=now,
        subject=gettext_lazy("New-account request rejected: %(name)s"),
    )


def _decide(
    request_id: int, *, approve: bool, by: User, reason: str, now: datetime, subject: str | Promise
) -> AccountRequest:
    """The decision on a reviewed request, either way: only its approver decides, always with a written
    reason (KAU-START-APPROVAL); the decision goes on record and everyone the request names is told."""
    request = _locked(request_id)
    _require_approver(request, by)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the decision.")})
    outcome = workflow.APPROVED if approve else workflow.REJECTED
    before = _move(
        request, workflow.Action.APPROVE if approve else workflow.Action.REJECT, by=by, reason=outcome
    )
    if approve:
        request.account = _approved_account(request, by=by, now=now)
    request.decided_by, request.decided_at, request.decision_reason = by, now, reason
    request.save()
    _event(request, kind=RequestEvent.Kind(outcome), by=by, now=now, comment=reason, from_status=before)
    _tell(
        request,
        kind=f"request_{outcome}",
        key=outcome,
        recipients=_decision_recipients(request),
        subject=subject,
        template="emails/request_decided.txt",
        approved=approve,
    )
    return request


def _approved_account(request: AccountRequest, *, by: User, now: datetime) -> Account:
    """The account an approved request is the strategy document of: registered now with its owner and
    deputies (KAU-RESP-OWNER), or the channel that existed before Kanalvakt."""
    from accounts.services import register_account

    assert request.proposed_owner is not None  # a reviewed request is complete
    if request.existing_account is not None:
        # The channel existed before Kanalvakt: the approved request becomes its strategy document.
        account = request.existing_account
        if account.unit_id != request.unit_id or AccountRequest.objects.filter(account=account).exists():
            raise ValidationError(_("This account already has an approved strategy document."))
        return account
    return register_account(
        unit=request.unit,
        platform=request.platform,
        platform_other=request.platform_other,
        name=request.name,
        handle=request.handle,
        owner=request.proposed_owner,
        deputies=list(request.proposed_deputies.all()),
        by=by,
        now=now,
    )


@transaction.atomic
def withdraw_request(request_id: int, *, by: User, comment: str, now: datetime) -> AccountRequest:
    """The requester withdraws a request that is not yet decided. It stays as a record."""
    request = _locked(request_id)
    if request.requester_id != by.pk:
        raise PermissionDenied
    before = _move(request, workflow.Action.WITHDRAW, by=by, reason="withdrawn")
    request.save()
    _event(request, kind=RequestEvent.Kind.WITHDRAWN, by=by, now=now, comment=comment, from_status=before)
    return request


@transaction.atomic
def discard_draft(request_id: int, *, by: User) -> None:
    """The requester throws away a draft they no longer want.

    The one delete of a request: a draft has never been submitted, so nobody has reviewed or
    decided on it and it is not yet a public record (KAU-PUBLIC-RECORD). Anything submitted, even if
    returned or withdrawn since, is a record and is withdrawn instead, never deleted.
    """
    request = _locked(request_id)
    if request.requester_id != by.pk:
        raise PermissionDenied
    if request.status != AccountRequest.Status.DRAFT:
        raise workflow.InvalidTransition(
            _("Only a draft can be discarded; a request that is %(status)s stays on record.")
            % {"status": str(request.get_status_display()).lower()}
        )
    request.events.all().delete()
    AccountRequestUserObjectPermission.objects.filter(content_object=request).delete()
    record(request, by=by, reason="draft discarded")
    request.delete()


@transaction.atomic
def comment_on_request(request_id: int, *, by: User, comment: str, now: datetime) -> RequestEvent:
    """Anyone who may see a submitted request may weigh in, the social media lead above all
    (KAU-HIERARCHY). A comment changes no state."""
    request = _locked(request_id)
    if not requests_visible_to(by).filter(pk=request.pk).exists():
        raise PermissionDenied
    if request.status == AccountRequest.Status.DRAFT:
        raise workflow.InvalidTransition(str(_("A draft is not open for comments until it is submitted.")))
    if not comment.strip():
        raise ValidationError({"comment": _("Write a comment.")})
    event = _event(request, kind=RequestEvent.Kind.COMMENTED, by=by, now=now, comment=comment)
    if by.pk != request.requester_id:
        _tell(
            request,
            kind="request_commented",
            key=f"comment:{event.pk}",
            recipients=[request.requester],
            subject=gettext_lazy("New comment on your request: %(name)s"),
            template="emails/request_commented.txt",
            event=event,
        )
    return event


@transaction.atomic
def update_unit(unit: OrgUnit, *, name: str, name_en: str, kind: str, by: User | None) -> OrgUnit:
    """Rename a unit or change its kind. Its place in the tree and its head change elsewhere."""
    unit.name, unit.name_en, unit.kind = name, name_en, kind
    unit.full_clean()
    record(unit, by=by, reason="unit updated")
    unit.save(update_fields=["name", "name_en", "kind"])
    return unit
