"""manage.py seed_demo makes a believable university, once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Account
from archive.models import DiaryPackage, Screenshot
from core.calendar import STOCKHOLM, SWEDISH_CALENDAR
from core.models import Notification, OrgUnit, User
from core.roles import Role
from governance.models import AccountRequest
from moderation.models import Alert, Item, LogEntry


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_role_and_state(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("seed_demo", stdout=out)

    def counts() -> tuple[int, ...]:
        return tuple(
            model.objects.count()
            for model in (
                User,
                OrgUnit,
                Account,
                Item,
                Alert,
                LogEntry,
                Notification,
                Screenshot,
                DiaryPackage,
            )
        )

    first = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first

    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    assert set(Account.objects.values_list("status", flat=True)) == set(Account.Status.values)
    assert {"facebook_page", "instagram", "linkedin", "youtube", "blog"} <= set(
        Account.objects.values_list("platform", flat=True)
    )
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNICATIONS).exists()
    assert set(AccountRequest.objects.values_list("status", flat=True)) == set(AccountRequest.Status.values)
    approved = AccountRequest.objects.get(status=AccountRequest.Status.APPROVED)
    assert approved.account is not None
    assert approved.events.count() >= 4
    assert "demo-anna-2026" in out.getvalue()
    # KAU-DIARY-ACTION: the removed prohibited comment's package waits for the registrar.
    package = DiaryPackage.objects.get(item__platform_id="demo-removed-1")
    assert package.registered_at is None
    assert package.pdf.name
    # Items around a weekend: one received on a Saturday is due only after the weekend.
    saturday_item = Item.objects.get(platform_id="demo-sat-1")
    received, due = (
        saturday_item.received_at.astimezone(STOCKHOLM),
        saturday_item.due_at.astimezone(STOCKHOLM),
    )
    assert received.weekday() == 5
    assert due.weekday() in {1, 2, 3, 4}
    assert due.time() == time(0, 0)  # a full working day, counted from 00:00 of the next one


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def assert_every_state(now: datetime, media_root: Path) -> None:
    """Due, overdue, past the limit, answered, closed, removed with its evidence, criticism routed to
    the head and a threat routed to the security officer, around the last weekend and the last
    weekday holiday (KAU-RESPONSE-DEADLINE, KAU-RESPONSE-CRITICISM, KAU-THREAT,
    KAU-PROHIBITED-EVIDENCE)."""
    unanswered = Item.objects.unanswered()
    assert Item.objects.filter(received_at__gt=now).count() == 0
    assert unanswered.filter(due_at__gt=now).exists()  # due, not yet overdue
    assert unanswered.filter(due_at__lte=now, limit_at__gt=now).exists()  # overdue
    assert unanswered.filter(limit_at__lte=now).exists()  # past the outer limit
    assert Item.objects.filter(status=Item.Status.ANSWERED).count() >= 2
    assert Item.objects.filter(status=Item.Status.CLOSED).exclude(close_reason="").exists()

    # The sweep has run: each overdue item reminded once, each past the limit escalated once.
    for item in unanswered.filter(due_at__lte=now):
        assert item.alerts.filter(kind=Alert.Kind.DUE).count() == 1
    for item in unanswered.filter(limit_at__lte=now):
        assert item.alerts.filter(kind=Alert.Kind.LIMIT).count() == 1
    assert not Alert.objects.filter(item__status=Item.Status.ANSWERED, kind__in=["due", "limit"]).exists()
    assert not unanswered.filter(alert_after__lte=now).exists()

    removed = Item.objects.get(platform_id="demo-removed-1")
    assert removed.status == Item.Status.REMOVED
    assert removed.prohibited
    assert removed.evidence is not None
    assert removed.evidence.content_type == "image/png"
    assert (media_root / removed.evidence.image.name).is_file()
    assert list(removed.log.values_list("action", flat=True)) == ["logged", "evidence", "removed"]

    criticism = Item.objects.get(platform_id="demo-crit-1")
    assert criticism.alerts.get(kind=Alert.Kind.CRITICISM).target == Alert.Target.HEAD
    assert Notification.objects.filter(
        key__startswith=f"item:{criticism.pk}:criticism:", recipient__username="maria"
    ).exists()

    threat = Item.objects.get(platform_id="demo-threat-1")
    assert threat.threat
    assert threat.alerts.get(kind=Alert.Kind.THREAT).target == Alert.Target.SECURITY
    told = Notification.objects.filter(key__startswith=f"item:{threat.pk}:threat:")
    assert set(told.values_list("email", flat=True)) == {
        User.objects.get(username="lars").email,
        "sakerhet@kau.se",
    }

    received = {
        item.platform_id: item.received_at.astimezone(STOCKHOLM).date()
        for item in Item.objects.filter(platform_id__startswith="demo-")
    }
    today = now.astimezone(STOCKHOLM).date()
    assert [received[key].weekday() for key in ("demo-fri-1", "demo-sat-1", "demo-sun-1")] == [4, 5, 6]
    assert today - timedelta(days=7) <= received["demo-sun-1"] < today  # the last weekend
    holiday = received["demo-hol-2"]
    assert holiday.weekday() < 5
    assert not SWEDISH_CALENDAR.is_working_day(holiday)
    answered_after = Item.objects.get(platform_id="demo-hol-3")
    assert answered_after.status == Item.Status.ANSWERED
    assert answered_after.answered_at is not None
    assert answered_after.answered_at.astimezone(STOCKHOLM).date() > holiday
    assert answered_after.answered_at <= answered_after.due_at  # answered in time: no reminder
    assert not answered_after.alerts.exists()


@pytest.mark.django_db
def test_seed_demo_holds_items_in_every_state(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    assert_every_state(timezone.now(), tmp_path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM),  # a Thursday
        datetime(2026, 11, 29, 9, 0, tzinfo=STOCKHOLM),  # a Sunday morning
        datetime(2026, 11, 30, 7, 30, tzinfo=STOCKHOLM),  # a Monday before work
        datetime(2026, 6, 22, 8, 0, tzinfo=STOCKHOLM),  # the Monday after midsommarafton
        datetime(2026, 12, 28, 12, 0, tzinfo=STOCKHOLM),  # between Christmas and New Year
        datetime(2027, 1, 7, 16, 0, tzinfo=STOCKHOLM),  # the day after Epiphany
    ],
    ids=["thursday", "sunday", "monday-early", "after-midsummer", "christmas", "after-epiphany"],
)
def test_demo_items_hold_every_state_whatever_the_day(settings: Any, tmp_path: Path, now: datetime) -> None:
    from core.roles import sync_roles
    from demo.accounts import seed_accounts
    from demo.governance import seed_people, seed_units
    from demo.moderation import seed_items

    settings.MEDIA_ROOT = tmp_path
    sync_roles()
    people = seed_people()
    accounts = seed_accounts(people, seed_units(people))
    created = seed_items(people, accounts, now=now)
    assert_every_state(now, tmp_path)
    assert seed_items(people, accounts, now=now) == 0
    assert Item.objects.count() == created


@pytest.mark.django_db
def test_seed_demo_holds_ambassadors_in_each_state_once(settings: Any, tmp_path: Path) -> None:
    """KAU-PRIVATE, KTH-BLOG: a current student ambassador, a blogger on a direct assignment, and a
    proposal awaiting the head's approval; seeding again adds none."""
    from accounts.models import Ambassador

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    today = timezone.localdate()
    current = Ambassador.objects.current(today)
    assert current.filter(kind=Ambassador.Kind.STUDENT_AMBASSADOR).count() == 1
    blogger = current.get(kind=Ambassador.Kind.BLOGGER)
    assert not blogger.employed
    assert blogger.assignment
    assert Ambassador.objects.awaiting_approval().count() == 1
    assert Ambassador.objects.count() == 3


@pytest.mark.django_db
def test_seed_demo_files_paid_campaigns(settings: Any, tmp_path: Path) -> None:
    """KAU-ADS: the demo holds a campaign awaiting approval, an approved one running now, and a
    subsidiary's account whose campaign needs no approval; seeding again adds none."""
    from governance.campaign_models import Campaign

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    first = Campaign.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Campaign.objects.count() == first == 3
    today = timezone.localdate()
    phases = {campaign.status: campaign.phase(today) for campaign in Campaign.objects.all()}
    assert phases[Campaign.Status.SUBMITTED] == ""
    assert phases[Campaign.Status.APPROVED] == "running"
    subsidiary = Campaign.objects.get(status=Campaign.Status.NOT_REQUIRED)
    assert subsidiary.account.subsidiary


@pytest.mark.django_db
def test_seed_demo_holds_items_decided_as_needing_no_registration(settings: Any, tmp_path: Path) -> None:
    """KAU-DIARY-NONE: a few general demo items are decided as needing no registration, with who,
    when, where found and a log line; a second run decides nothing again."""
    from moderation.models import Registration

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    decided = Item.objects.filter(registration=Registration.NOT_NEEDED)
    assert decided.count() >= 2
    for item in decided:
        assert item.registration_decided_by == item.account.owner
        assert item.registration_found_at
        assert item.log.filter(action=LogEntry.Action.REGISTRATION).count() == 1
    call_command("seed_demo", stdout=StringIO())
    assert LogEntry.objects.filter(action=LogEntry.Action.REGISTRATION).count() == decided.count()


@pytest.mark.django_db
def test_seed_demo_fills_the_consent_register_once_kau_consent(settings: Any, tmp_path: Path) -> None:
    """A few consents, one withdrawn with a post waiting for its owner, a crowd situation and a
    photographer credit (KAU-CONSENT, KAU-CREDIT); a second run adds nothing."""
    from moderation.models import AffectedPost, Consent, CrowdSituation, PhotographerCredit, PostLink

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    models = (Consent, CrowdSituation, PhotographerCredit, PostLink, AffectedPost)
    first = [model.objects.count() for model in models]
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert [model.objects.count() for model in models] == first
    assert Consent.objects.count() >= 3
    assert Consent.objects.filter(withdrawn_at__isnull=False).count() == 1
    assert AffectedPost.objects.filter(handled_at__isnull=True).count() == 1
    assert CrowdSituation.objects.exclude(objections="").exists()
    assert PhotographerCredit.objects.exists()


@pytest.mark.django_db
def test_seed_demo_holds_an_ended_crisis_with_its_log_and_summary_kau_crisis(
    settings: Any, tmp_path: Path
) -> None:
    """KAU-CRISIS: a past crisis to read, with the website's link (KTH-COMPLEMENT), what two accounts
    published, its saved reply and its summary; seeding again adds nothing."""
    from moderation.models import Crisis, CrisisLogEntry, SavedReply

    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    crisis = Crisis.objects.get()
    assert not crisis.is_active
    assert crisis.summary
    assert crisis.website_url.startswith("https://www.kau.se/")
    assert CrisisLogEntry.objects.filter(crisis=crisis).count() == 2
    assert SavedReply.objects.filter(crisis=crisis).count() == 1
    call_command("seed_demo", stdout=StringIO())
    assert (Crisis.objects.count(), CrisisLogEntry.objects.count()) == (1, 2)
