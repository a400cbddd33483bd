"""The e-mail outbox: rows written with the state change, delivered once after commit."""

from __future__ import annotations

import copy
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.models import Notification
from core.notifications import deliver_pending, notify
from core.tasks import deliver_notifications
from tests.conftest import Cast
from tests.core.test_worker import client, filesystem_options, worker
from tests.support import run_in_threads

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TEMPLATE = (
    "{% load i18n %}{% autoescape off %}"
    "{% translate 'Yes' %}, {{ recipient.username|default:email }}: {{ thing }} <&>.\n\n"
    "Open it:{% endautoescape %}\n"
)


class RefusingBackend(BaseEmailBackend):
    """A mail server that takes the connection and refuses every message."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPDataError(451, b"4.3.0 Try again later")


class UnreachableBackend(BaseEmailBackend):
    """A mail server that is down."""

    def open(self) -> bool:
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise AssertionError("nothing is sent without a connection")


SENT: Counter[str] = Counter()
SENT_LOCK = threading.Lock()


class CountingBackend(BaseEmailBackend):
    """Counts each Message-ID it is given, from any thread; a little slow, as a real server is."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            time.sleep(0.002)
            with SENT_LOCK:
                SENT[message.extra_headers["Message-ID"]] += 1
        return len(email_messages)


@pytest.fixture
def email_templates(settings: Any, tmp_path: Path) -> Path:
    """A template of our own under emails/, next to the project's (whose footer delivery uses)."""
    folder = tmp_path / "templates"
    (folder / "emails").mkdir(parents=True)
    (folder / "emails" / "test_event.txt").write_text(TEMPLATE)
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [folder, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return folder


@pytest.fixture
def eager_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery task runs in this process when enqueued, so the test sees when that happens."""
    monkeypatch.setitem(deliver_notifications.app.conf, "task_always_eager", True)


def event(**overrides: Any) -> list[Notification]:
    arguments: dict[str, Any] = {
        "kind": "test_event",
        "key": "test:1",
        "recipients": [],
        "subject": "Något hände",
        "template": "test_event.txt",
        "context": {"thing": "Konto 1"},
        "url": "/begaranden/12/",
    }
    arguments.update(overrides)
    return notify(**arguments)


class StateChangeFailedError(Exception):
    pass


def event_then_failure(**overrides: Any) -> None:
    """A service that writes its notifications and then fails: its transaction rolls back."""
    with transaction.atomic():
        assert event(**overrides)
        raise StateChangeFailedError


def addresses(count: int, start: int = 0) -> list[str]:
    return [f"mottagare{n}@example.se" for n in range(start, start + count)]


# --- Writing -------------------------------------------------------------------------------------------


def test_one_row_per_recipient_with_the_rendered_body(cast: Cast, email_templates: Path) -> None:
    with translation.override("sv"):
        rows = event(recipients=[cast["communicator"], cast["deputy"]])

    assert [(row.key, row.recipient, row.email) for row in rows] == [
        (f"test:1:{cast['communicator'].pk}", cast["communicator"], "communicator@example.se"),
        (f"test:1:{cast['deputy'].pk}", cast["deputy"], "deputy@example.se"),
    ]
    row = Notification.objects.get(recipient=cast["communicator"])
    assert row.kind == "test_event"
    assert row.subject == "Något hände"
    assert row.body == "Ja, communicator: Konto 1 <&>.\n\nOpen it:"
    assert row.url == "/begaranden/12/"
    assert row.sent_at is None
    assert row.attempts == 0


def test_mail_is_written_in_the_institutions_language_whatever_the_sender_uses(
    cast: Cast, email_templates: Path, settings: Any
) -> None:
    """The person who caused the event may use English; the e-mail is for someone else."""
    with translation.override("en"):
        (swedish,) = event(recipients=[cast["communicator"]])
    settings.LANGUAGE_CODE = "en"
    (english,) = event(recipients=[cast["deputy"]])

    assert swedish.body.startswith("Ja, communicator:")
    assert english.body.startswith("Yes, deputy:")


def test_rows_roll_back_with_the_callers_transaction(cast: Cast, email_templates: Path) -> None:
    with pytest.raises(StateChangeFailedError):
        event_then_failure(recipients=[cast["communicator"], "sakerhet@example.se"])

    assert not Notification.objects.exists()


def test_notifying_the_same_event_again_changes_nothing(cast: Cast, email_templates: Path) -> None:
    first = event(recipients=[cast["communicator"], "sakerhet@example.se"])

    again = event(recipients=[cast["communicator"], "sakerhet@example.se"], context={"thing": "Annat"})

    assert len(first) == 2
    assert again == []
    assert Notification.objects.count() == 2
    assert set(Notification.objects.values_list("body", flat=True)) == {
        "Ja, communicator: Konto 1 <&>.\n\nOpen it:",
        "Ja, sakerhet@example.se: Konto 1 <&>.\n\nOpen it:",
    }


def test_a_new_recipient_of_a_notified_event_is_still_notified(cast: Cast, email_templates: Path) -> None:
    event(recipients=[cast["communicator"]])

    rows = event(recipients=[cast["communicator"], cast["deputy"]])

    assert [row.recipient for row in rows] == [cast["deputy"]]


def test_inactive_users_and_users_without_email_are_skipped(cast: Cast, email_templates: Path) -> None:
    gone, silent = cast["deputy"], cast["outsider"]
    gone.is_active = False
    gone.save()
    silent.email = ""
    silent.save()

    rows = event(recipients=[gone, silent, cast["communicator"], ""])

    assert [row.recipient for row in rows] == [cast["communicator"]]


def test_plain_addresses_are_notified_without_a_user(cast: Cast, email_templates: Path) -> None:
    (row,) = event(recipients=["Sakerhet@Example.se"])

    assert row.recipient is None
    assert row.email == "Sakerhet@Example.se"
    assert row.key == "test:1:sakerhet@example.se"
    assert row.body.startswith("Ja, Sakerhet@Example.se:")


def test_each_address_is_notified_once(cast: Cast, email_templates: Path) -> None:
    communicator = cast["communicator"]

    rows = event(
        recipients=["communicator@example.se", communicator, communicator, "a@example.se", "A@example.se"]
    )

    # The user rather than the plain address of the same mailbox: the notification is theirs.
    assert [(row.recipient, row.email) for row in rows] == [
        (communicator, "communicator@example.se"),
        (None, "a@example.se"),
    ]


def test_no_recipients_writes_nothing(
    cast: Cast, email_templates: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert event(recipients=[]) == []

    assert callbacks == []


def test_a_long_key_is_shortened_to_fit_and_stays_unique(cast: Cast, email_templates: Path) -> None:
    long_address = f"{'a' * 60}@{'b' * 60}.{'c' * 60}.se"
    key = "k" * 150

    (row,) = event(key=key, recipients=[long_address])

    assert len(row.key) <= 255
    assert row.key.startswith(f"{key}:sha256:")
    assert event(key=key, recipients=[long_address]) == []


def test_the_subject_is_one_line(cast: Cast, email_templates: Path) -> None:
    (row,) = event(recipients=[cast["communicator"]], subject="Rad ett\nBcc: någon@example.se")

    assert row.subject == "Rad ett Bcc: någon@example.se"


# --- Enqueueing after commit ---------------------------------------------------------------------------


def test_delivery_is_enqueued_once_per_transaction(
    cast: Cast, email_templates: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        event(key="test:1", recipients=[cast["communicator"]])
        event(key="test:2", recipients=[cast["deputy"], "sakerhet@example.se"])
        event(key="test:3", recipients=[cast["communicator"]])

    assert len(callbacks) == 1


def test_a_rolled_back_savepoint_does_not_take_the_enqueue_with_it(
    cast: Cast, email_templates: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(StateChangeFailedError):
            event_then_failure(key="test:1", recipients=[cast["communicator"]])
        event(key="test:2", recipients=[cast["communicator"]])

    assert len(callbacks) == 1


def test_the_enqueued_task_delivers(
    cast: Cast,
    email_templates: Path,
    eager_delivery: None,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event(recipients=[cast["communicator"]])
        assert mailoutbox == []

    assert [message.to for message in mailoutbox] == [["communicator@example.se"]]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_delivered_before_the_commit_or_after_a_rollback(
    cast: Cast, email_templates: Path, eager_delivery: None, mailoutbox: list[EmailMessage]
) -> None:
    with pytest.raises(StateChangeFailedError):
        event_then_failure(key="test:rolled-back", recipients=[cast["communicator"]])
    assert mailoutbox == []

    with transaction.atomic():
        event(key="test:committed", recipients=[cast["communicator"]])
        assert mailoutbox == []  # the task was not enqueued inside the transaction

    assert [message.to for message in mailoutbox] == [["communicator@example.se"]]
    assert Notification.objects.get().sent_at is not None


# --- Delivering ----------------------------------------------------------------------------------------


def test_delivery_sends_each_notification_once_with_message_id_and_link(
    cast: Cast, email_templates: Path, mailoutbox: list[EmailMessage], settings: Any
) -> None:
    settings.KANALVAKT_BASE_URL = "https://kanalvakt.example.se/"
    settings.DEFAULT_FROM_EMAIL = "Kanalvakt <kanalvakt@kau.example.se>"
    rows = event(recipients=[cast["communicator"], "sakerhet@example.se"])

    assert deliver_pending(now=NOW) == 2
    assert deliver_pending(now=NOW) == 0

    assert len(mailoutbox) == 2
    sent = {message.to[0]: message for message in mailoutbox}
    message = sent["communicator@example.se"]
    assert message.subject == "Något hände"
    assert message.from_email == "Kanalvakt <kanalvakt@kau.example.se>"
    assert message.message()["Message-ID"] == f"<kanalvakt-notification-{rows[0].pk}@kau.example.se>"
    text, _separator, footer = message.body.partition("\n\n-- \n")
    assert text == ("Ja, communicator: Konto 1 <&>.\n\nOpen it:\nhttps://kanalvakt.example.se/begaranden/12/")
    assert "Det här meddelandet skickades av Kanalvakt." in footer
    assert "This message was sent by Kanalvakt." in footer
    assert sent["sakerhet@example.se"].extra_headers["Message-ID"] == (
        f"<kanalvakt-notification-{rows[1].pk}@kau.example.se>"
    )
    assert list(Notification.objects.values_list("sent_at", "attempts", "last_error")) == [(NOW, 0, "")] * 2


def test_delivery_without_a_link_ends_with_the_body(
    cast: Cast, email_templates: Path, mailoutbox: list[EmailMessage]
) -> None:
    event(recipients=["sakerhet@example.se"], url="")

    deliver_pending(now=NOW)

    (message,) = mailoutbox
    assert message.body.partition("\n\n-- \n")[0] == "Ja, sakerhet@example.se: Konto 1 <&>.\n\nOpen it:"


def test_delivery_takes_the_oldest_first_in_batches(
    cast: Cast, email_templates: Path, mailoutbox: list[EmailMessage]
) -> None:
    event(key="test:later", recipients=addresses(3))
    Notification.objects.update(created_at=NOW)
    event(key="test:earlier", recipients=addresses(2, start=3))
    Notification.objects.filter(key__startswith="test:earlier").update(
        created_at=datetime(2026, 3, 1, tzinfo=UTC)
    )

    assert deliver_pending(now=NOW, batch=2) == 5

    assert [message.to[0] for message in mailoutbox][:2] == addresses(2, start=3)


def test_a_refused_message_stays_unsent_and_counts_the_attempt(
    cast: Cast, email_templates: Path, settings: Any, mailoutbox: list[EmailMessage]
) -> None:
    event(recipients=[cast["communicator"], "sakerhet@example.se", "registrator@example.se"])
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    assert deliver_pending(now=NOW, batch=2) == 0

    rows = list(Notification.objects.all())
    assert [(row.sent_at, row.attempts) for row in rows] == [(None, 1)] * 3  # each tried once, no more
    assert all(row.last_error.startswith("SMTPDataError: (451") for row in rows)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending(now=NOW) == 3  # the next run retries
    assert len(mailoutbox) == 3
    assert list(Notification.objects.values_list("sent_at", "attempts")) == [(NOW, 1)] * 3


class UnparseableAddressBackend(BaseEmailBackend):
    """Like the SMTP backend facing an address it cannot parse: ValueError for that message only."""

    def send_messages(self, email_messages: Any) -> int:
        for email in email_messages:
            if "@" in email.to[0].split("@", 1)[1]:
                raise ValueError(f"Invalid address {email.to[0]!r}")
        return len(email_messages)


def test_one_bad_address_does_not_stop_the_rest_of_the_outbox(
    cast: Cast, email_templates: Path, settings: Any
) -> None:
    event(recipients=["a@b@example.se", "sakerhet@example.se"])
    settings.EMAIL_BACKEND = f"{__name__}.UnparseableAddressBackend"

    assert deliver_pending(now=NOW) == 1

    bad = Notification.objects.get(email="a@b@example.se")
    assert (bad.sent_at, bad.attempts) == (None, 1)
    assert "Invalid address" in bad.last_error
    assert Notification.objects.get(email="sakerhet@example.se").sent_at == NOW


def test_an_unreachable_mail_server_ends_the_run(cast: Cast, email_templates: Path, settings: Any) -> None:
    event(recipients=addresses(5))
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"

    assert deliver_pending(now=NOW, batch=2) == 0

    attempts = list(Notification.objects.order_by("created_at", "pk").values_list("attempts", flat=True))
    assert attempts == [1, 1, 0, 0, 0]
    assert Notification.objects.filter(last_error__startswith="ConnectionRefusedError").count() == 2
    assert not Notification.objects.exclude(sent_at=None).exists()


def test_delivery_query_count_does_not_grow_with_the_outbox(
    cast: Cast, email_templates: Path, mailoutbox: list[EmailMessage]
) -> None:
    def queries_to_deliver(count: int, start: int) -> int:
        event(key=f"test:{start}", recipients=addresses(count, start=start))
        with CaptureQueriesContext(connection) as queries:
            assert deliver_pending(now=NOW) == count
        return len(queries)

    assert queries_to_deliver(3, start=0) == queries_to_deliver(9, start=100)


def test_the_task_delivers_what_is_pending(
    cast: Cast, email_templates: Path, mailoutbox: list[EmailMessage]
) -> None:
    event(recipients=[cast["communicator"]])

    assert deliver_notifications() == 1
    assert len(mailoutbox) == 1


# --- Two at once, on real PostgreSQL ---------------------------------------------------------------------


@pytest.fixture
def counting_backend(settings: Any) -> Iterator[Counter[str]]:
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    SENT.clear()
    yield SENT
    SENT.clear()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_send_each_notification_once(counting_backend: Counter[str]) -> None:
    Notification.objects.bulk_create(
        Notification(
            key=f"test:{n}", kind="test_event", email=email, subject="Något hände", body="Hej", created_at=NOW
        )
        for n, email in enumerate(addresses(50))
    )

    results = run_in_threads(*[lambda: deliver_pending(now=NOW, batch=5)] * 2)

    assert sum(results) == 50
    assert len(counting_backend) == 50
    assert set(counting_backend.values()) == {1}
    assert not Notification.objects.filter(sent_at=None).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transactions_notifying_the_same_event_write_it_once(
    cast: Cast, email_templates: Path, eager_delivery: None, mailoutbox: list[EmailMessage]
) -> None:
    first_written = threading.Event()
    recipients = [cast["communicator"], "sakerhet@example.se"]

    def first() -> list[Notification]:
        with transaction.atomic():
            rows = event(recipients=recipients)
            first_written.set()
            time.sleep(0.5)  # the second transaction's insert waits on the unique key meanwhile
            return rows

    def second() -> list[Notification]:
        assert first_written.wait(timeout=10)
        with transaction.atomic():
            return event(recipients=recipients)

    results = run_in_threads(first, second)

    assert sorted(len(rows) for rows in results) == [0, 2]
    assert Notification.objects.count() == 2
    assert sorted(message.to[0] for message in mailoutbox) == [
        "communicator@example.se",
        "sakerhet@example.se",
    ]


# --- A real worker ---------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_outbox(tmp_path: Path) -> None:
    """The task travels through the broker; the worker process sends the e-mail (to files here)."""
    (row,) = Notification.objects.bulk_create(
        [
            Notification(
                key="test:worker", kind="test_event", email="sakerhet@example.se", subject="Hej", body="Hej"
            )
        ]
    )
    options = filesystem_options(tmp_path)
    with worker("filesystem://", tmp_path, EMAIL_HOST=""):
        client("filesystem://", options).send_task("core.tasks.deliver_notifications")
        deadline = time.monotonic() + 60
        while Notification.objects.filter(pk=row.pk, sent_at=None).exists():
            if time.monotonic() > deadline:
                log = (tmp_path / "worker.log").read_text()
                raise AssertionError(f"the worker never delivered; its log:\n{log[-4000:]}")
            time.sleep(0.25)

    (sent,) = (tmp_path / "mail").iterdir()
    assert f"Message-ID: <kanalvakt-notification-{row.pk}@" in sent.read_text()
