"""The e-mail outbox: write notifications with the state change, deliver them after commit.

``notify`` is called by a service inside its transaction and writes one ``Notification`` row per
person; the rows commit with the change they report, or vanish with it. After the commit a Celery
task runs ``deliver_pending``, which claims unsent rows, sends them and marks them sent. Beat runs
the same task every minute as a safety net, so a lost task message or a mail server that was down
only delays an e-mail.

A row for a person who chose a digest for its kind waits for it (``digest_at``, core.digests), and
is sent with the others of that digest, not by ``deliver_pending``.

Delivery is at least once: a crash between handing a message to the mail server and committing
``sent_at`` sends that message again on the next run. The Message-ID is the same both times, so
mail clients show one message.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise

from core.bulk import insert_rows
from core.digests import digest_times
from core.models import Notification, User

logger = logging.getLogger(__name__)

KEY_MAX_LENGTH = 255
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@transaction.atomic
def notify(
    *,
    kind: str,
    key: str,
    recipients: Iterable[User | str],
    subject: str | Promise,
    template: str,
    context: dict[str, Any],
    url: str = "",
    subject_params: dict[str, Any] | None = None,
    attachments: Sequence[str] = (),
) -> list[Notification]:
    """Write one notification per recipient, in the caller's transaction, and deliver after commit.

    ``key`` names the event (``"request:12:approved"``); each row's key adds the person (user id, or
    the address for a plain address), and the database keeps that key unique, so reporting the same
    event twice, or from two processes at once, notifies nobody twice. Inactive users and users
    without an e-mail address are skipped, and each address gets one e-mail.

    ``template`` is a plain-text template under ``templates/emails/`` (``"request_approved.txt"``
    or ``"emails/request_approved.txt"``), rendered in the active language with ``context`` plus
    ``recipient`` (the user, or None) and ``email``. ``subject`` is a lazy translation, formatted
    with ``subject_params``. Subject and body are written in the institution's language
    (``LANGUAGE_CODE``), whatever language the person who caused the event was using: the e-mail
    is for someone else. ``url`` is the absolute path of the page to act on; delivery appends it
    as a full link. ``attachments`` are names of files in the default storage, sent with the
    e-mail (a diary package to the registry); they are read when the e-mail is delivered, so they
    must be written before the transaction commits and never removed.

    Returns the rows created now (not those that existed already).
    """
    event = Event(
        kind=kind,
        key=key,
        recipients=list(recipients),
        subject=subject,
        template=template,
        context=context,
        url=url,
        subject_params=subject_params,
        attachments=tuple(attachments),
    )
    created: list[Notification] = []
    for row in _untold_rows([event]):
        try:
            # A savepoint, so that losing the race for the key leaves the caller's transaction usable.
            with transaction.atomic():
                created.append(Notification.objects.create(**row))
        except IntegrityError:
            continue  # written by a concurrent transaction that has committed meanwhile: already notified
    if created:
        deliver_after_commit()
    return created


@dataclass(frozen=True)
class Event:
    """One event for ``notify_many``: the arguments ``notify`` takes, with the subject already
    formatted (a lazy translation is rendered in the institution's language when written)."""

    kind: str
    key: str
    recipients: Sequence[User | str]
    subject: str | Promise
    template: str
    context: dict[str, Any]
    url: str = ""
    subject_params: dict[str, Any] | None = None
    attachments: Sequence[str] = field(default_factory=tuple)
    # The body, when the caller writes it itself (the sweep writes thousands a second, and a plain
    # format string is a hundred times cheaper than a template); otherwise ``template`` renders it.
    body: str | None = None


# A template that names neither ``recipient`` nor ``email`` in a tag or variable reads the same for
# every person: it is rendered once per event.
_PERSONAL = re.compile(r"\{[{%][^}]*\b(recipient|email)\b")
_personal_templates: dict[str, bool] = {}


def _is_personal(template_name: str) -> bool:
    if template_name not in _personal_templates:
        source = getattr(getattr(get_template(template_name), "template", None), "source", None)
        _personal_templates[template_name] = source is None or bool(_PERSONAL.search(source))
    return _personal_templates[template_name]


def notify_many(events: Sequence[Event], *, now: datetime | None = None) -> int:
    """``notify`` for many events at once, for the jobs that report thousands in one transaction (the
    deadline sweep): one multi-row insert per thousand rows (core.bulk), and a body that reads the
    same for everyone is rendered once per event, or not at all when the caller wrote it. The same
    unique key decides "once": a row that exists already is left out before anything is rendered,
    and one written meanwhile by a concurrent transaction is skipped by the insert
    (``ON CONFLICT DO NOTHING``). ``now`` is the caller's clock (the sweep's), for the rows' time and
    their digest time. Returns how many rows were new when it looked."""
    rows = _untold_rows(events, now=now)
    if rows:
        insert_rows(Notification, rows, ignore_conflicts=True)
        deliver_after_commit()
    return len(rows)


def _untold_rows(events: Sequence[Event], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The notification rows for ``events`` that nobody has been sent yet: one per distinct address,
    written in the institution's language; the keys already told are read in one query."""
    planned = [(event, _addressees(event.recipients, key=event.key)) for event in events]
    keys = [row_key for _event, addressees in planned for row_key, _user, _email in addressees]
    told = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True)) if keys else set()
    rows: list[dict[str, Any]] = []
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        for event, addressees in planned:
            addressees = [entry for entry in addressees if entry[0] not in told]
            if not addressees:
                continue
            template_name = _template_name(event.template)
            subject = _subject(event.subject, event.subject_params)
            shared = event.body
            if shared is None and not _is_personal(template_name):
                shared = render_to_string(template_name, event.context).strip()
            for row_key, user, email in addressees:
                body = shared
                if body is None:
                    context = {**event.context, "recipient": user, "email": email}
                    body = render_to_string(template_name, context).strip()
                rows.append(
                    {
                        "key": row_key,
                        "kind": event.kind,
                        "recipient_id": user.pk if user is not None else None,
                        "email": email,
                        "subject": subject,
                        "body": body,
                        "url": event.url,
                        "attachments": list(event.attachments),
                        "created_at": now,
                        "digest_at": None,
                    }
                )
    digest_times(rows, now=now)  # rows a person wants in a digest wait for it (core.digests)
    return rows


def _template_name(template: str) -> str:
    return template if template.startswith("emails/") else f"emails/{template}"


def _subject(subject: str | Promise, params: dict[str, Any] | None) -> str:
    text = str(subject) % params if params else str(subject)
    return " ".join(text.split())[:255]  # a line break in a header is refused when sending


def _addressees(recipients: Iterable[User | str], *, key: str) -> list[tuple[str, User | None, str]]:
    """(row key, user, address) per distinct address: users first, each group in the order given.

    A user is preferred to a plain address of the same mailbox, so that the notification is theirs
    (their list in Kanalvakt shows it).
    """
    wanted: list[tuple[str, User | None, str]] = []
    seen: set[str] = set()
    for recipient in sorted(recipients, key=lambda r: not isinstance(r, User)):
        if isinstance(recipient, User):
            if not recipient.is_active or not recipient.email.strip():
                continue
            user: User | None = recipient
            email = recipient.email.strip()
            row_key = f"{key}:{recipient.pk}"
        else:
            user, email = None, recipient.strip()
            if not email:
                continue  # an unset function address (a setting left empty) notifies nobody
            row_key = f"{key}:{email.lower()}"
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        wanted.append((_fit(row_key, base=key), user, email))
    return wanted


def reachable(people: Iterable[User | None]) -> list[User]:
    """Distinct people who can receive e-mail, in order: ``notify`` skips the others (the rule of
    ``_addressees``), so a caller that looks up who was already told looks up these alone."""
    seen: set[int] = set()
    result = []
    for person in people:
        if person is None or person.pk in seen or not person.is_active or not person.email.strip():
            continue
        seen.add(person.pk)
        result.append(person)
    return result


def _fit(row_key: str, *, base: str) -> str:
    """The row key, shortened to fit the column by hashing its per-person part when it is too long."""
    if len(row_key) <= KEY_MAX_LENGTH:
        return row_key
    digest = hashlib.sha256(row_key.encode()).hexdigest()
    shortened = f"{base}:sha256:{digest}"
    if len(shortened) > KEY_MAX_LENGTH:
        raise ValueError(f"The notification key is too long: {base[:60]}…")
    return shortened


def _enqueue_delivery() -> None:
    from core.tasks import deliver_notifications  # the task module imports this one

    deliver_notifications.delay()


def deliver_after_commit() -> None:
    """Enqueue delivery once the outermost transaction commits; once per transaction, however many
    notify calls it makes. A callback registered in a savepoint that is rolled back is dropped by
    Django, and then the next notify registers it again."""
    # Entries are (savepoint ids, callback, robust).
    if any(entry[1] is _enqueue_delivery for entry in connection.run_on_commit):
        return
    # robust: the rows are committed whatever happens to the message; beat's run delivers them then.
    transaction.on_commit(_enqueue_delivery, robust=True)


def deliver_pending(*, now: datetime, batch: int = 100) -> int:
    """Send every unsent notification, oldest first, and return how many were sent.

    Rows are claimed in batches with ``SELECT … FOR UPDATE SKIP LOCKED``, so two runs at once share
    the work and never send the same row twice; a second run finds nothing left. A row that fails to
    send keeps ``sent_at`` empty, counts the attempt and keeps the error; the next run retries it.
    This run tries each row once, and stops when the mail server cannot be reached at all.

    Each batch commits its ``sent_at`` when it is sent: a process killed mid-batch sends that batch
    again (same Message-IDs). The Celery task uses ``batch=1``, so a kill repeats at most one e-mail;
    one mail connection serves the whole run, so that costs a transaction per e-mail, not a
    connection to the mail server.
    """
    sent = 0
    failed: set[int] = set()
    footer = render_to_string("emails/base_footer.txt").strip()
    mail = None
    try:
        while True:
            with transaction.atomic():
                rows = list(
                    Notification.objects.due_at_once()
                    .exclude(pk__in=failed)
                    .select_for_update(skip_locked=True)
                    .order_by("created_at", "pk")[:batch]
                )
                if not rows:
                    return sent
                unreachable = False
                try:
                    if mail is None:
                        mail = _open_mail()
                    delivered, errors = _send(rows, footer=footer, mail=mail)
                except _MailServerUnreachableError as exc:
                    delivered, errors, unreachable = (
                        [],
                        dict.fromkeys((row.pk for row in rows), exc.error),
                        True,
                    )
                if delivered:
                    Notification.objects.filter(pk__in=delivered).update(sent_at=now)
                if errors:
                    for row in rows:
                        if row.pk in errors:
                            row.attempts += 1
                            row.last_error = errors[row.pk]
                    Notification.objects.bulk_update(
                        [row for row in rows if row.pk in errors], ["attempts", "last_error"]
                    )
            sent += len(delivered)
            failed.update(errors)
            if unreachable:
                return sent
            if errors and mail is not None:
                # The connection may be what failed (the server hung up): the next batch opens another.
                _close(mail)
                mail = None
    finally:
        if mail is not None:
            _close(mail)


def _close(mail: Any) -> None:
    try:
        mail.close()
    except OSError:  # a failed QUIT changes nothing for messages already accepted
        logger.debug("Closing the mail connection failed", exc_info=True)


class _MailServerUnreachableError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _open_mail() -> Any:
    mail = get_connection()
    try:
        mail.open()
    except OSError as exc:  # smtplib.SMTPException is an OSError
        logger.warning("Could not reach the mail server: %s", exc)
        raise _MailServerUnreachableError(_describe(exc)) from exc
    return mail


def _send(rows: list[Notification], *, footer: str, mail: Any) -> tuple[list[int], dict[int, str]]:
    """Send each row over the run's mail connection: the ids sent, and the error per id that was not."""
    delivered: list[int] = []
    errors: dict[int, str] = {}
    for row in rows:
        try:
            accepted = message(row, footer=footer, mail=mail).send()
        except (OSError, ValueError) as exc:  # ValueError: an address the backend cannot parse
            logger.warning("Notification %s to %s was not sent: %s", row.pk, row.email, exc)
            errors[row.pk] = _describe(exc)
        else:
            if accepted:
                delivered.append(row.pk)
            else:
                errors[row.pk] = "The mail backend sent nothing."
    return delivered, errors


def message(notification: Notification, *, footer: str = "", mail: Any = None) -> EmailMessage:
    """The e-mail for one notification: its body, the full link to act on, the footer, and the files
    named in ``attachments`` read from the default storage. A file that cannot be read raises
    ``OSError``, which delivery records as that row's error and retries: the e-mail is not sent
    without what it must carry."""
    parts = [notification.body]
    if notification.url:
        parts.append(absolute_url(notification.url))
    text = "\n".join(parts)
    if footer:
        text = f"{text}\n\n-- \n{footer}"
    email = EmailMessage(
        subject=notification.subject,
        body=f"{text}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
        # Stable per row: a message sent again after a crash is recognised as the same message.
        headers={"Message-ID": f"<kanalvakt-notification-{notification.pk}@{_mail_domain()}>"},
        connection=mail,
    )
    for name in notification.attachments or []:
        with default_storage.open(name, "rb") as handle:
            content = handle.read()
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        email.attach(PurePosixPath(name).name, content, mimetype)
    return email


def absolute_url(path: str) -> str:
    """The full address of a page in Kanalvakt, for e-mail (no request there to build it from)."""
    if path.startswith(("https://", "http://")):
        return path
    base = str(getattr(settings, "KANALVAKT_BASE_URL", DEFAULT_BASE_URL)).rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def _mail_domain() -> str:
    _name, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    domain = address.rpartition("@")[2]
    return domain or "localhost"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
