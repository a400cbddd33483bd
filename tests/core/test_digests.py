"""E-mail digests: a person chooses per kind of e-mail at once, or an hourly or daily digest in working
hours; the outbox keeps such rows for the digest, which is one e-mail listing them with links, sent
once; threats, pile-ons and escalations are always at once (KAU-THREAT, KAU-DREV); both deadline
sweeps honour the choice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.calendar import STOCKHOLM, WorkingCalendar
from core.digests import choosable_kinds, next_digest_at, send_digests
from core.models import Notification, NotificationPreference
from core.notifications import deliver_pending, notify
from core.services import set_email_preferences
from moderation import sweep
from moderation.services import Triage, classify_item
from tests.conftest import Cast
from tests.moderation.conftest import NOW

CAL = WorkingCalendar()


@pytest.fixture
def make_item(cast: Cast, make_account: Any) -> Any:
    """Log an item on an account of the department (communicator owns it, deputy deputises)."""
    from moderation import services

    account = make_account()

    def make(*, received_at: datetime | None = None) -> Any:
        return services.log_item(
            account,
            kind="comment",
            author="@besokare",
            text="När öppnar anmälan?",
            received_at=received_at or NOW - timedelta(hours=2),
            by=cast["communicator"],
            now=NOW,
        )

    return make


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("now", "hourly", "daily"),
    [
        (at(26, 10, 20), at(26, 11), at(27, 8)),  # Thursday morning
        (at(26, 7, 5), at(26, 8), at(26, 8)),  # before the working day starts
        (at(26, 16, 59), at(26, 17), at(27, 8)),  # the last hourly digest of the day
        (at(26, 17, 30), at(27, 8), at(27, 8)),  # after it: the next working morning
        (at(27, 18), at(30, 8), at(30, 8)),  # Friday evening: Monday
        (at(28, 11), at(30, 8), at(30, 8)),  # Saturday
        (at(23, 17, 10, month=12), at(28, 8, month=12), at(28, 8, month=12)),  # julafton, juldagar
    ],
)
def test_digests_go_out_in_working_hours(now: datetime, hourly: datetime, daily: datetime) -> None:
    assert next_digest_at("hourly", now, CAL) == hourly
    assert next_digest_at("daily", now, CAL) == daily
    assert next_digest_at("at_once", now, CAL) is None


def tell(person: Any, kind: str, number: int) -> list[Notification]:
    return notify(
        kind=kind,
        key=f"test:{kind}:{number}",
        recipients=[person],
        subject=f"Händelse {number}",
        template="base_footer.txt",
        context={},
        url=f"/moderering/{number}/",
    )


def test_a_digest_is_one_email_listing_the_events_with_links_sent_once(cast: Cast, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KANALVAKT_BASE_URL = "https://kanalvakt.example.se"
    person = cast["communicator"]
    set_email_preferences(person, choices={"request_commented": "hourly"}, now=NOW)
    for number in range(3):
        (row,) = tell(person, "request_commented", number)
        assert row.digest_at is not None
    (at_once,) = tell(person, "coverage_gap", 9)
    assert at_once.digest_at is None
    # Delivery sends only what is at once.
    assert deliver_pending(now=NOW) == 1
    assert [message.subject for message in mail.outbox] == ["Händelse 9"]
    mail.outbox.clear()
    # Not before the digest's time; then one e-mail with the three, marked sent; then nothing more.
    due = Notification.objects.filter(digest_at__isnull=False).values_list("digest_at", flat=True).first()
    assert due is not None
    assert send_digests(now=due - timedelta(seconds=1)) == 0
    assert send_digests(now=due) == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [person.email]
    assert digest.subject == "Kanalvakt: 3 händelser" or "3" in digest.subject
    for number in range(3):
        assert f"Händelse {number}" in digest.body
        assert f"https://kanalvakt.example.se/moderering/{number}/" in digest.body
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert send_digests(now=due + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_a_digest_that_fails_keeps_its_rows_for_the_next_run(
    cast: Cast, monkeypatch: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = cast["communicator"]
    set_email_preferences(person, choices={"request_commented": "daily"}, now=NOW)
    tell(person, "request_commented", 1)
    due = Notification.objects.get().digest_at
    assert due is not None
    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", lambda self, m: 0)
    assert send_digests(now=due) == 0
    row = Notification.objects.get()
    assert row.sent_at is None
    assert row.attempts == 1
    monkeypatch.undo()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_digests(now=due) == 1


def test_threats_pile_ons_and_escalations_are_always_at_once_kau_threat_kau_drev(
    cast: Cast, make_item: Any
) -> None:
    officer, lead = cast["security_officer"], cast["social_media_lead"]
    for person in (officer, lead):
        for kind in ("item_threat", "item_pile_on", "item_escalation", "item_threat_unack"):
            NotificationPreference.objects.create(person=person, kind=kind, cadence="daily")
    item = make_item()
    classify_item(item, triage=Triage(threat=True, pile_on_risk=True), by=cast["communicator"], now=NOW)
    rows = Notification.objects.filter(kind__in=["item_threat", "item_pile_on"])
    assert rows.count() >= 2
    assert not rows.filter(digest_at__isnull=False).exists()
    with pytest.raises(ValidationError) as refused:
        set_email_preferences(officer, choices={"item_threat": "daily"}, now=NOW)
    assert "item_threat" in refused.value.message_dict


@pytest.mark.parametrize("set_based", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_both_sweeps_keep_a_reminder_for_the_owners_digest(
    cast: Cast, make_item: Any, set_based: bool
) -> None:
    set_email_preferences(cast["communicator"], choices={"item_due": "daily"}, now=NOW)
    make_item(received_at=datetime(2026, 11, 25, 8, 0, tzinfo=STOCKHOLM))
    assert sweep.sweep_deadlines(now=NOW, set_based=set_based) == 1
    rows = dict(Notification.objects.filter(kind="item_due").values_list("email", "digest_at"))
    assert rows == {"communicator@example.se": at(27, 8), "deputy@example.se": None}


def test_every_kind_written_has_a_label() -> None:
    """The kinds the code writes (notify and Event) are the kinds the settings page names."""
    import re
    from pathlib import Path

    from core.digests import KIND_LABELS

    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r'kind="([a-z_]+)",\n\s+key=')
    # A kind made from a prefix and a key (governance.campaigns: "campaign_" + "submitted"/"decided").
    prefixed = re.compile(r'kind=f"([a-z_]+)\{key\}",')
    keys = re.compile(r'^\s+key="([a-z_]+)",$', re.MULTILINE)
    written = set()
    for path in [*root.glob("*/*.py"), *root.glob("*/*/*.py")]:
        if path.parts[-2] in {"tests", "migrations"} or ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        written.update(literal.findall(text))
        for prefix in prefixed.findall(text):
            written.update(prefix + key for key in keys.findall(text))
    assert {"crisis", "campaign_submitted", "campaign_decided", "ambassador_proposed"} <= written
    assert written <= set(KIND_LABELS), written - set(KIND_LABELS)


# --- The page -------------------------------------------------------------------------------------------


def test_everyone_chooses_on_the_email_settings_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast["registrar"])
    page = client.get(reverse("core:email_settings"))
    assert page.status_code == 200
    html = page.content.decode()
    for kind in choosable_kinds():
        assert f'name="{kind}"' in html
    assert 'name="item_threat"' not in html
    choices = dict.fromkeys(choosable_kinds(), "at_once") | {"request_submitted": "daily"}
    assert client.post(reverse("core:email_settings"), choices).status_code == 302
    assert list(NotificationPreference.objects.values_list("person__username", "kind", "cadence")) == [
        ("registrar", "request_submitted", "daily")
    ]


def test_a_bad_choice_names_the_field_and_changes_nothing(cast: Cast) -> None:
    client = Client()
    client.force_login(cast["registrar"])
    choices = dict.fromkeys(choosable_kinds(), "daily") | {"coverage_gap": "weekly"}
    with translation.override("en"):
        response = client.post(reverse("core:email_settings"), choices, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert 'id="id_coverage_gap_error"' in response.content.decode()
    assert not NotificationPreference.objects.exists()
