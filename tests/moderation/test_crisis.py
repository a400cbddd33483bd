"""Crisis mode's services (moderation.crisis): one crisis active at a time, the website's link required
(KTH-COMPLEMENT, KAU-ACCESS), every owner and deputy told in a fixed number of queries, the log of what
was published where, the crisis's own saved replies, and an ending that needs a summary (KAU-CRISIS)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Account
from core.models import Notification
from core.roles import Role
from moderation import crisis as crises
from moderation.models import Crisis, CrisisLogEntry
from moderation.replies import add_saved_reply, replies_for_account
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import make_person

pytestmark = pytest.mark.django_db

WEBSITE = "https://www.kau.se/kris"


def declare(cast: Cast, by: str = "social_media_lead", **extra: Any) -> Crisis:
    fields: dict[str, Any] = {
        "title": "Brand i hus 21",
        "what_happened": "Hus 21 är utrymt; ingen skadad.",
        "website_url": WEBSITE,
    }
    fields.update(extra)
    return crises.declare_crisis(**fields, by=cast[by], now=NOW)


# --- Declaring --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["social_media_lead", "communications"])
def test_the_lead_and_the_communications_department_declare_kau_crisis(cast: Cast, person: str) -> None:
    crisis = declare(cast, by=person, intranet_url="https://intranet.kau.se/kris")
    assert crisis.is_active
    assert (crisis.declared_by, crisis.declared_at, crisis.website_url) == (cast[person], NOW, WEBSITE)
    assert crisis.history.get().history_change_reason == "declared"


@pytest.mark.parametrize(
    "person", ["communicator", "deputy", "head_of_unit", "registrar", "security_officer"]
)
def test_nobody_else_declares_kau_crisis(cast: Cast, person: str) -> None:
    with pytest.raises(PermissionDenied):
        declare(cast, by=person)
    assert not Crisis.objects.exists()


def test_only_one_crisis_is_active_at_a_time_kau_crisis(cast: Cast) -> None:
    first = declare(cast)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        declare(cast, title="Ett andra")
    assert "already active" in refused.value.messages[0]
    assert Crisis.objects.get() == first
    # The database refuses a second active row too, whatever the service was asked.
    with pytest.raises(IntegrityError), transaction.atomic():
        Crisis.objects.create(title="Förbi tjänsten", what_happened="x", website_url=WEBSITE, declared_at=NOW)
    crises.end_crisis(first, summary="Över.", by=cast["social_media_lead"], now=NOW + timedelta(hours=2))
    second = declare(cast, title="Ett andra")
    assert list(Crisis.objects.active()) == [second]


@pytest.mark.parametrize(
    ("website_url", "intranet_url", "field"),
    [
        ("", "", "website_url"),
        ("   ", "", "website_url"),
        ("http://www.kau.se/kris", "", "website_url"),
        ("www.kau.se/kris", "", "website_url"),
        (WEBSITE, "http://intranet.kau.se/", "intranet_url"),
    ],
)
def test_the_link_to_the_website_is_required_and_https_kth_complement_kau_access(
    cast: Cast, website_url: str, intranet_url: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        declare(cast, website_url=website_url, intranet_url=intranet_url)
    assert field in refused.value.message_dict
    assert not Crisis.objects.exists()
    assert not Notification.objects.exists()


def test_a_title_and_what_happened_are_required(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        declare(cast, title=" ", what_happened="")
    assert set(refused.value.message_dict) == {"title", "what_happened"}


def _accounts(cast: Cast, count: int) -> None:
    """``count`` accounts, each with an owner and a deputy of its own."""
    from accounts import services

    for number in range(count):
        owner = make_person(f"agare{number}", Role.COMMUNICATOR)
        deputy = make_person(f"ersattare{number}", Role.COMMUNICATOR)
        services.register_account(
            unit=cast.units["department"],
            owner=owner,
            deputies=[deputy],
            by=None,
            platform="instagram",
            name=f"Krisprov {number}",
            handle=f"krisprov_{number}",
        )


def test_every_owner_and_deputy_of_an_active_account_is_told_once_in_one_batch_kau_crisis(
    cast: Cast, make_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The same number of queries for 2 accounts as for 12: the people in one query, the batch in a
    few; nobody is told twice, and a paused account's people are not told."""
    make_account()  # communicator owns, deputy deputises
    make_account(owner="deputy", deputies=("communicator",))  # the same two people again
    paused = make_account(owner="other_head", deputies=("outsider",))
    Account.objects.filter(pk=paused.pk).update(status=Account.Status.PAUSED)

    def counted(title: str) -> tuple[int, Crisis]:
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
            crisis = declare(cast, title=title)
        return len(queries.captured_queries), crisis

    assert crises.may_declare(cast["social_media_lead"])  # the lead's permissions read once, before
    small, crisis = counted("Liten")
    told = set(Notification.objects.filter(kind="crisis").values_list("recipient__username", flat=True))
    assert told == {"communicator", "deputy"}
    mail = Notification.objects.filter(kind="crisis").first()
    assert mail is not None
    assert WEBSITE in mail.body
    assert "Liten" in mail.subject
    assert mail.url.endswith(f"/kris/{crisis.pk}/")
    crises.end_crisis(crisis, summary="Över.", by=cast["social_media_lead"], now=NOW)

    _accounts(cast, 10)
    large, second = counted("Stor")
    assert Notification.objects.filter(key__startswith=f"crisis:{second.pk}:").count() == 22
    assert large == small


def test_the_email_is_sent_after_the_commit(
    cast: Cast, make_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_account()
    with django_capture_on_commit_callbacks() as callbacks:
        declare(cast)
    assert callbacks  # delivery (and the cache's refresh) wait for the commit
    assert Notification.objects.filter(kind="crisis", sent_at__isnull=True).count() == 2


# --- The log --------------------------------------------------------------------------------------------


def test_owners_and_deputies_log_their_own_accounts_the_lead_any_kau_crisis(
    cast: Cast, make_account: Any
) -> None:
    mine = make_account()
    theirs = make_account(unit="other", owner="other_head", deputies=("outsider",))
    crisis = declare(cast)
    for person, account in [("communicator", mine), ("deputy", mine), ("social_media_lead", theirs)]:
        entry = crises.log_publication(
            crisis, account=account, where="Inlägg på Instagram", text="Se kau.se/kris", by=cast[person],
            now=NOW + timedelta(minutes=5),
        )  # fmt: skip
        assert (entry.recorded_by, entry.published_at) == (cast[person], NOW + timedelta(minutes=5))
    for person in ("communicator", "head_of_unit", "registrar"):
        with pytest.raises(PermissionDenied):
            crises.log_publication(crisis, account=theirs, where="x", text="y", by=cast[person], now=NOW)
    assert CrisisLogEntry.objects.count() == 3


def test_the_log_refuses_bad_input_and_an_ended_crisis(cast: Cast, make_account: Any) -> None:
    account = make_account()
    crisis = declare(cast)
    with pytest.raises(ValidationError) as refused:
        crises.log_publication(
            crisis, account=account, where="", text=" ", url="http://x.se", by=cast["communicator"],
            published_at=NOW + timedelta(hours=1), now=NOW,
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"where", "text", "url", "published_at"}
    crises.end_crisis(crisis, summary="Över.", by=cast["social_media_lead"], now=NOW)
    with translation.override("en"), pytest.raises(ValidationError) as ended:
        crises.log_publication(crisis, account=account, where="x", text="y", by=cast["communicator"], now=NOW)
    assert "ended" in ended.value.messages[0]
    assert not CrisisLogEntry.objects.exists()


def test_the_accounts_that_have_not_posted_yet_kau_crisis(cast: Cast, make_account: Any) -> None:
    first, second = make_account(), make_account()
    paused = make_account()
    Account.objects.filter(pk=paused.pk).update(status=Account.Status.PAUSED)
    crisis = declare(cast)
    assert crises.accounts_without_entry(crisis) == [first, second]
    assert crises.accounts_not_logged_in_active_crisis(NOW) == 2
    crises.log_publication(crisis, account=first, where="Story", text="Se webben", by=cast["deputy"], now=NOW)
    assert crises.accounts_without_entry(crisis) == [second]
    assert crises.accounts_not_logged_in_active_crisis(NOW) == 1
    assert crises.active_crises(NOW) == 1
    crises.end_crisis(crisis, summary="Över.", by=cast["social_media_lead"], now=NOW)
    assert (crises.active_crises(NOW), crises.accounts_not_logged_in_active_crisis(NOW)) == (0, 0)


# --- Saved replies of the crisis ------------------------------------------------------------------------


def test_the_crisis_replies_come_first_while_it_is_active_and_then_never_kau_crisis(
    cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    account = make_account()
    ordinary = add_saved_reply(
        title="Antagning", text="Anmälan öppnar 15 mars.", unit=None, by=cast["communications"]
    )
    crisis = declare(cast)
    own = crises.add_crisis_reply(
        crisis, title="Ö brand", text=f"Läs mer på {WEBSITE}", by=cast["communications"], now=NOW
    )
    account = Account.objects.select_related("unit").get(pk=account.pk)
    with django_assert_num_queries(1):
        offered = replies_for_account(account)
    assert offered == [own, ordinary]  # first, though "Ö" sorts after "A"
    crises.end_crisis(crisis, summary="Över.", by=cast["social_media_lead"], now=NOW)
    assert replies_for_account(account) == [ordinary]
    own.refresh_from_db()
    assert own.crisis == crisis  # kept, not deleted: no longer offered


def test_only_the_declarers_add_crisis_replies(cast: Cast) -> None:
    crisis = declare(cast)
    with pytest.raises(PermissionDenied):
        crises.add_crisis_reply(crisis, title="x", text="y", by=cast["communicator"], now=NOW)
    with pytest.raises(ValidationError) as refused:
        crises.add_crisis_reply(crisis, title="", text="", by=cast["communications"], now=NOW)
    assert set(refused.value.message_dict) == {"title", "text"}


# --- Ending ---------------------------------------------------------------------------------------------


def test_ending_requires_a_summary_and_keeps_the_record_kau_crisis(cast: Cast) -> None:
    crisis = declare(cast)
    for summary in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            crises.end_crisis(crisis, summary=summary, by=cast["social_media_lead"], now=NOW)
        assert "summary" in refused.value.message_dict
    crisis.refresh_from_db()
    assert crisis.is_active
    with pytest.raises(PermissionDenied):
        crises.end_crisis(crisis, summary="Över.", by=cast["communicator"], now=NOW)
    later = NOW + timedelta(hours=5)
    ended = crises.end_crisis(
        crisis, summary="Över. Alla inlägg pekade på webben.", by=cast["communications"], now=later
    )
    assert (ended.ended_at, ended.ended_by, ended.summary) == (
        later,
        cast["communications"],
        "Över. Alla inlägg pekade på webben.",
    )
    assert [row.history_change_reason for row in ended.history.order_by("history_id")] == [
        "declared",
        "ended",
    ]
    with pytest.raises(ValidationError):
        crises.end_crisis(ended, summary="Igen.", by=cast["social_media_lead"], now=later)
    # The database holds the rule too: no ended crisis without a summary.
    with pytest.raises(IntegrityError), transaction.atomic():
        Crisis.objects.filter(pk=crisis.pk).update(summary="")


def test_the_cached_active_crisis_follows_declaring_and_ending(cast: Cast) -> None:
    assert crises.active_crisis() is None
    crisis = declare(cast)
    cached = crises.active_crisis()
    assert cached is not None
    assert (cached.pk, cached.website_url) == (crisis.pk, WEBSITE)
    crises.end_crisis(crisis, summary="Över.", by=cast["social_media_lead"], now=NOW)
    assert crises.active_crisis() is None


def test_the_admin_neither_adds_changes_nor_deletes(cast: Cast, rf: Any) -> None:
    from django.contrib.admin.sites import site

    request = rf.get("/")
    request.user = cast["staff"]
    for model in (Crisis, CrisisLogEntry):
        admin = site._registry[model]
        assert not admin.has_add_permission(request)
        assert not admin.has_change_permission(request)
        assert not admin.has_delete_permission(request)
