"""Student ambassadors and bloggers on assignment, through their services (KAU-PRIVATE, KTH-BLOG)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts import ambassadors
from accounts.models import Ambassador
from core.calendar import STOCKHOLM
from core.models import Notification
from tests.conftest import Cast

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)
TODAY = date(2026, 11, 26)


@pytest.fixture
def propose(cast: Cast, make_account: Any) -> Any:
    account = make_account()

    def make(by: str = "communicator", **overrides: Any) -> Ambassador:
        fields: dict[str, Any] = {
            "name": "Alva Student",
            "email": "alva@student.example.se",
            "employed": False,
            "kind": Ambassador.Kind.STUDENT_AMBASSADOR,
            "unit": cast.units["department"],
            "account": account,
            "starts_on": date(2026, 11, 1),
            "ends_on": date(2027, 5, 31),
            "duties": "Berättar om studentlivet på Instagram.",
            "assignment": "Institutionen ger Alva i uppdrag att visa studentlivet.",
        }
        fields.update(overrides)
        return ambassadors.propose_ambassador(by=cast[by], now=NOW, **fields)

    make.account = account  # type: ignore[attr-defined]
    return make


def refused(call: Any) -> dict[str, list[str]]:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_kth_blog_the_head_of_the_unit_approves_and_is_told(cast: Cast, propose: Any) -> None:
    ambassador = propose()
    assert ambassador.status == Ambassador.Status.PROPOSED
    assert ambassadors.approver_for(ambassador) == cast["head_of_unit"]
    told = Notification.objects.get(kind="ambassador_proposed")
    assert told.recipient == cast["head_of_unit"]
    assert told.url == ambassador.get_absolute_url()
    assert ambassador.history.get().history_user == cast["communicator"]


def test_kth_blog_a_head_proposing_for_their_own_unit_is_approved_above(cast: Cast, propose: Any) -> None:
    """The approver follows from the unit; nobody approves their own proposal."""
    ambassador = propose(by="head_of_unit")
    assert ambassadors.approver_for(ambassador) == cast["dean"]
    with pytest.raises(PermissionDenied):
        ambassadors.approve_ambassador(ambassador, by=cast["head_of_unit"], now=NOW)


@pytest.mark.parametrize("person", ["communicator", "other_head", "dean", "social_media_lead", "outsider"])
def test_kth_blog_only_the_approver_decides(cast: Cast, propose: Any, person: str) -> None:
    ambassador = propose()
    with pytest.raises(PermissionDenied):
        ambassadors.approve_ambassador(ambassador, by=cast[person], now=NOW)
    assert Ambassador.objects.get(pk=ambassador.pk).status == Ambassador.Status.PROPOSED


def test_kth_blog_approval_tells_the_proposer_and_makes_them_current(cast: Cast, propose: Any) -> None:
    ambassador = ambassadors.approve_ambassador(propose(), by=cast["head_of_unit"], reason="Bra.", now=NOW)
    assert ambassador.status == Ambassador.Status.APPROVED
    assert ambassador.decided_by == cast["head_of_unit"]
    assert Notification.objects.get(kind="ambassador_decided").recipient == cast["communicator"]
    assert list(Ambassador.objects.current(TODAY)) == [ambassador]
    assert ambassadors.count_current(NOW) == 1
    assert ambassadors.count_awaiting_approval(NOW) == 0


def test_kth_blog_a_refusal_needs_a_reason(cast: Cast, propose: Any) -> None:
    ambassador = propose()
    errors = refused(
        lambda: ambassadors.refuse_ambassador(ambassador, by=cast["head_of_unit"], reason=" ", now=NOW)
    )
    assert "reason" in errors
    done = ambassadors.refuse_ambassador(
        ambassador, by=cast["head_of_unit"], reason="Inget uppdrag.", now=NOW
    )
    assert done.status == Ambassador.Status.REFUSED
    assert not Ambassador.objects.current(TODAY).exists()
    with pytest.raises(ValidationError):
        ambassadors.approve_ambassador(done, by=cast["head_of_unit"], now=NOW)


def test_kth_blog_a_person_not_employed_needs_a_direct_assignment(cast: Cast, propose: Any) -> None:
    errors = refused(lambda: propose(employed=False, assignment=""))
    assert "direct assignment" in errors["assignment"][0]
    assert not Ambassador.objects.exists()
    assert not Notification.objects.exists()
    employed = propose(employed=True, assignment="")
    assert employed.pk is not None


def test_kth_blog_the_database_keeps_the_assignment_of_a_person_not_employed(propose: Any) -> None:
    ambassador = propose()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ambassador.objects.filter(pk=ambassador.pk).update(assignment="")


def test_the_period_ends_on_or_after_its_start(cast: Cast, propose: Any) -> None:
    errors = refused(lambda: propose(starts_on=date(2026, 12, 10), ends_on=date(2026, 12, 9)))
    assert "ends_on" in errors
    assert "ends_on" in refused(lambda: propose(starts_on=date(2026, 1, 1), ends_on=date(2026, 11, 25)))
    assert "ends_on" in refused(lambda: propose(starts_on=date(2026, 11, 1), ends_on=date(2029, 1, 1)))
    assert not Ambassador.objects.exists()
    one_day = propose(starts_on=TODAY, ends_on=TODAY)
    assert one_day.starts_on == one_day.ends_on
    with pytest.raises(IntegrityError), transaction.atomic():
        Ambassador.objects.filter(pk=one_day.pk).update(ends_on=date(2026, 11, 1))


def test_a_student_ambassador_speaks_on_one_of_the_units_accounts(
    cast: Cast, propose: Any, make_account: Any
) -> None:
    assert "account" in refused(lambda: propose(account=None))
    elsewhere = make_account(unit="other", owner="other_head", deputies=("deputy",))
    assert "account" in refused(lambda: propose(account=elsewhere))
    blogger = propose(kind=Ambassador.Kind.BLOGGER, account=None)
    assert blogger.account is None


@pytest.mark.parametrize(
    ("person", "may"),
    [
        ("communicator", True),
        ("deputy", True),
        ("head_of_unit", True),
        ("communications", True),
        ("social_media_lead", True),
        ("registrar", False),
        ("security_officer", False),
        ("outsider", False),
    ],
)
def test_who_proposes(cast: Cast, person: str, may: bool) -> None:
    assert ambassadors.may_propose(cast[person]) is may


def test_kau_private_ending_early_needs_a_reason_and_takes_them_off_the_list(
    cast: Cast, propose: Any
) -> None:
    ambassador = ambassadors.approve_ambassador(propose(), by=cast["head_of_unit"], now=NOW)
    assert "reason" in refused(
        lambda: ambassadors.end_ambassador(ambassador, by=cast["communicator"], reason="", now=NOW)
    )
    with pytest.raises(PermissionDenied):
        ambassadors.end_ambassador(ambassador, by=cast["other_head"], reason="Nej.", now=NOW)
    ended = ambassadors.end_ambassador(ambassador, by=cast["head_of_unit"], reason="Slutar studera.", now=NOW)
    assert ended.status == Ambassador.Status.ENDED
    assert ended.state_on(TODAY) == "ended"
    assert not Ambassador.objects.current(TODAY).exists()
    assert list(Ambassador.objects.ended(TODAY)) == [ended]
    assert [row.history_change_reason for row in ended.history.order_by("history_id")] == [
        "proposed",
        "approved",
        "ended early",
    ]


def test_an_approved_one_has_ended_by_date_after_the_last_day(cast: Cast, propose: Any) -> None:
    ambassador = ambassadors.approve_ambassador(propose(), by=cast["head_of_unit"], now=NOW)
    after = date(2027, 6, 1)
    assert ambassador.state_on(after) == "ended_by_date"
    assert list(Ambassador.objects.ended(after)) == [ambassador]
    assert not Ambassador.objects.current(after).exists()


def test_who_sees_an_assignment(cast: Cast, propose: Any) -> None:
    """The lead and the communications department see all; a head sees their unit's subtree; the
    proposer and the owner and deputies of the linked account see theirs; others nothing."""
    ambassador = propose(by="head_of_unit", account=None, kind=Ambassador.Kind.BLOGGER)
    on_account = propose()
    seen = {
        person: set(ambassadors.visible_to(cast[person]).values_list("pk", flat=True))
        for person in cast.people
    }
    both = {ambassador.pk, on_account.pk}
    assert seen["social_media_lead"] == seen["communications"] == both
    assert seen["head_of_unit"] == seen["dean"] == both
    assert seen["communicator"] == seen["deputy"] == {on_account.pk}
    for person in ("other_head", "registrar", "security_officer", "outsider"):
        assert seen[person] == set(), person


def test_kth_blog_the_heads_start_page_lists_proposals_awaiting_them(cast: Cast, propose: Any) -> None:
    mine = propose()
    propose(by="head_of_unit", name="Dekanens beslut")  # the dean decides this one
    section = ambassadors.todo_ambassadors(cast["head_of_unit"], NOW)
    assert section is not None
    assert list(section.rows) == [mine]
    assert [a.name for a in ambassadors.todo_ambassadors(cast["dean"], NOW).rows] == ["Dekanens beslut"]  # type: ignore[union-attr]
    assert ambassadors.todo_ambassadors(cast["communicator"], NOW) is None
    assert ambassadors.count_awaiting_approval(NOW) == 2
