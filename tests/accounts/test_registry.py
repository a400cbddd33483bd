"""Who sees which account (KAU-RESP-MANAGER, KAU-RESP-OWNER), and the registry's query count."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts import services
from accounts.models import Account
from tests.conftest import Cast


def test_visibility_follows_ownership_the_unit_tree_and_roles(cast: Cast, make_account: Any) -> None:
    department = make_account(name="Institutionens konto")
    other = make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andra kontot")

    def visible(person: str) -> set[str]:
        return set(Account.objects.visible_to(cast[person]).values_list("name", flat=True))

    assert visible("communicator") == {department.name}  # owner
    assert visible("deputy") == {department.name}  # deputy
    assert visible("head_of_unit") == {department.name}  # head of the account's unit
    assert visible("dean") == {department.name, other.name}  # head of a unit above
    assert visible("other_head") == {other.name}
    assert (
        visible("communications")
        == visible("social_media_lead")
        == visible("registrar")
        == {
            department.name,
            other.name,
        }
    )
    assert visible("security_officer") == set()

    assign_perm("view_account", cast["security_officer"], other)  # an extra grant on one object
    assert visible("security_officer") == {other.name}

    from django.contrib.auth.models import Group

    assign_perm("view_account", Group.objects.get(name="security_officer"), department)  # a grant to a role
    assert visible("security_officer") == {department.name, other.name}


def test_an_inactive_person_sees_nothing(cast: Cast, make_account: Any) -> None:
    make_account()
    cast["communicator"].is_active = False
    assert not Account.objects.visible_to(cast["communicator"]).exists()


def test_an_account_needs_an_owner_and_a_different_deputy(cast: Cast) -> None:
    """KAU-RESP-OWNER: every account has an owner and at least one deputy."""

    def register(*deputies: Any) -> None:
        services.register_account(
            unit=cast.units["department"],
            platform="instagram",
            name="A",
            owner=cast["communicator"],
            deputies=list(deputies),
            by=None,
        )

    with pytest.raises(ValidationError) as no_deputy:
        register()
    assert set(no_deputy.value.message_dict) == {"deputies"}
    with pytest.raises(ValidationError) as owner_as_deputy:
        register(cast["communicator"])
    assert set(owner_as_deputy.value.message_dict) == {"deputies"}
    cast["deputy"].is_active = False
    cast["deputy"].save()
    with pytest.raises(ValidationError):
        register(cast["deputy"])
    from accounts.models import Account

    assert not Account.objects.exists()


def test_registry_list_makes_the_same_number_of_queries_for_1_and_30_accounts(
    client: Any, cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(cast["social_media_lead"])
    make_account()
    client.get(reverse("accounts:list"))  # warm the session and the content-type cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("accounts:list")).status_code == 200
    for _ in range(29):
        make_account()
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("accounts:list"))
    assert len(response.context["page"].object_list) == 30


def test_registry_list_shows_only_what_the_person_may_see(client: Any, cast: Cast, make_account: Any) -> None:
    make_account(name="Synligt konto")
    make_account(unit="other", owner="other_head", deputies=("outsider",), name="Osynligt konto")
    client.force_login(cast["communicator"])
    body = client.get(reverse("accounts:list")).content.decode()
    assert "Synligt konto" in body
    assert "Osynligt konto" not in body


# --- The registry's services: direct registration and confirmations -------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm


def test_only_the_communications_department_registers_directly(cast: Cast) -> None:
    """KAU-START-COMMS: the communications department and the social media lead register a channel that
    existed before Kanalvakt; nobody else, whatever the view shows."""
    from django.core.exceptions import PermissionDenied

    from accounts.models import Account

    fields: dict[str, Any] = {
        "unit": cast.units["department"],
        "platform": "youtube",
        "name": "Institutionens kanal",
        "owner": cast["communicator"],
        "deputies": [cast["deputy"]],
        "now": NOW,
    }
    for person in ("head_of_unit", "registrar", "communicator", "dean"):
        with pytest.raises(PermissionDenied):
            services.register_existing_account(by=cast[person], **fields)
    assert not Account.objects.exists()
    account = services.register_existing_account(by=cast["communications"], **fields)
    assert account.registered_by == cast["communications"]
    assert account.followup_due_on == date(2027, 3, 2)  # KAU-FOLLOWUP: one interval after registration
    first = account.history.earliest("history_date")
    assert (first.history_user, first.history_change_reason) == (
        cast["communications"],
        "registered directly",
    )


@pytest.mark.parametrize(
    ("confirm", "field"),
    [(services.confirm_notice, "notice"), (services.confirm_sender, "sender")],
)
def test_confirmations_record_who_and_when(cast: Cast, make_account: Any, confirm: Any, field: str) -> None:
    """KAU-INFORM, KAU-SENDER: the confirmation names the person and the time, in the history too."""
    account = make_account()
    confirmed = confirm(account.pk, by=cast["deputy"], now=NOW)
    assert getattr(confirmed, f"{field}_confirmed_at") == NOW
    assert getattr(confirmed, f"{field}_confirmed_by") == cast["deputy"]
    latest = confirmed.history.latest("history_date")
    assert latest.history_user == cast["deputy"]
    assert latest.history_change_reason == f"{field} confirmed"


@pytest.mark.parametrize("person", ["head_of_unit", "registrar", "outsider", "security_officer"])
def test_only_owner_deputies_and_the_communications_department_confirm(
    cast: Cast, make_account: Any, person: str
) -> None:
    """KAU-INFORM, KAU-SENDER, KAU-STARTPAGE: the service refuses whoever the view would refuse."""
    from django.core.exceptions import PermissionDenied

    from archive.startpage import record_startpage_screenshot

    account = make_account()
    for call in (
        lambda: services.confirm_notice(account.pk, by=cast[person], now=NOW),
        lambda: services.confirm_sender(account.pk, by=cast[person], now=NOW),
        # Refused before the upload is even read.
        lambda: record_startpage_screenshot(account, data=b"", by=cast[person], now=NOW),
    ):
        with pytest.raises(PermissionDenied):
            call()
    account.refresh_from_db()
    assert (account.notice_confirmed_at, account.sender_confirmed_at, account.last_startpage_at) == (
        None,
    ) * 3


def test_a_closed_account_takes_no_confirmation(cast: Cast, make_account: Any) -> None:
    """KAU-CLOSE: nothing more is asked of a closed account, and nothing about it changes."""
    account = make_account(status="closed", now=NOW)
    with pytest.raises(ValidationError):
        services.confirm_notice(account.pk, by=cast["social_media_lead"], now=NOW)


def start_page_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def record_day(account: Any, day: date, *, by: Any, now: datetime) -> Any:
    """Upload a start-page screenshot said to be taken on ``day`` (KAU-STARTPAGE)."""
    from archive.startpage import record_startpage_screenshot, taken_at_for

    record_startpage_screenshot(
        account, data=start_page_png(), by=by, now=now, taken_at=taken_at_for(day, now=now)
    )
    account.refresh_from_db()
    return account


def test_a_start_page_screenshot_cannot_be_taken_tomorrow(
    cast: Cast, make_account: Any, media_root: None
) -> None:
    """KAU-STARTPAGE: a day still to come is refused; the Stockholm day decides."""
    account = make_account()
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Stockholm
    recorded = record_day(account, date(2026, 3, 2), by=cast["communicator"], now=late_evening)
    assert recorded.last_startpage_at == late_evening
    with pytest.raises(ValidationError) as refused:
        record_day(account, date(2026, 3, 3), by=cast["communicator"], now=late_evening)
    assert set(refused.value.message_dict) == {"taken_at"}
    account.refresh_from_db()
    assert account.last_startpage_at == late_evening


def test_a_start_page_screenshot_on_the_day_of_a_major_change_answers_it(
    cast: Cast, make_account: Any, media_root: None
) -> None:
    """KAU-STARTPAGE: a screenshot before a major change does not answer it; one on or after its day does."""
    from accounts.flags import raised, with_flags
    from accounts.models import Account

    account = make_account()
    change = datetime(2026, 2, 20, 14, 0, tzinfo=UTC)
    Account.objects.filter(pk=account.pk).update(startpage_needed_since=change)
    record_day(account, date(2026, 2, 19), by=cast["communicator"], now=NOW)
    assert account.startpage_needed_since == change

    def startpage_flag() -> bool:
        fresh = with_flags(Account.objects.filter(pk=account.pk), now=NOW).get()
        return "KAU-STARTPAGE" in [flag.rule for flag in raised(fresh)]

    assert startpage_flag()
    record_day(account, date(2026, 2, 20), by=cast["communicator"], now=NOW)
    assert account.startpage_needed_since is None
    assert account.last_startpage_at is not None
    assert account.last_startpage_at > change
    assert not startpage_flag()


def test_an_older_screenshot_recorded_late_never_hides_a_newer_one(
    cast: Cast, make_account: Any, media_root: None
) -> None:
    """KAU-STARTPAGE: the last start-page screenshot only moves forward."""
    from accounts.models import Account

    account = make_account()
    record_day(account, NOW.date(), by=cast["communicator"], now=NOW)
    newest = Account.objects.get(pk=account.pk).last_startpage_at
    assert newest == NOW
    record_day(account, date(2025, 1, 1), by=cast["communicator"], now=NOW)
    assert Account.objects.get(pk=account.pk).last_startpage_at == newest
