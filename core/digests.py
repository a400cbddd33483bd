"""E-mail digests: a person may have a kind of e-mail gathered into one e-mail an hour, or one a day,
instead of one e-mail per event.

Each person chooses per kind (``core.NotificationPreference``; no row means at once). When the outbox
writes a row for a person whose choice for its kind is a digest (``core.notifications``, and the
deadline sweep's statement in ``moderation.sweep_sql``), the row gets ``digest_at``: the next digest
time, in working hours (``next_digest_at``): an hourly digest on the hour from 08:00 to 17:00 on
working days, a daily one at 08:00 on the next working day. The outbox's delivery leaves such rows
alone; ``send_digests``, run by beat a minute past every hour, sends each person the rows that have
come due, in one e-mail listing them with their links, and marks them sent.

Threats, pile-ons and escalations are always sent at once, whatever a row says (KAU-THREAT,
KAU-DREV: ``ALWAYS_AT_ONCE``); so are e-mails to a function address (no person chose anything).

Delivery is at least once, like the rest of the outbox: each person's rows are claimed with ``FOR
UPDATE SKIP LOCKED`` and marked sent in the same transaction once the mail server has accepted the
e-mail. A crash between the two sends that digest again with the same Message-ID (made from the
rows' ids), so mail clients show one message; two runs at once never take the same rows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.calendar import STOCKHOLM, WorkingCalendar
from core.models import InstitutionSettings, Notification, NotificationPreference

logger = logging.getLogger(__name__)

Cadence = NotificationPreference.Cadence

# Working hours for digests: on the hour from the first to the last, on working days.
FIRST_HOUR = 8
LAST_HOUR = 17

# KAU-THREAT, KAU-DREV, escalations and a declared crisis (KAU-CRISIS): never held back for a digest.
ALWAYS_AT_ONCE = frozenset(
    {"item_threat", "item_threat_unack", "item_pile_on", "item_escalation", "item_limit", "crisis"}
)

# Every kind of e-mail a person can receive, with the words the settings page uses; the kinds of
# ALWAYS_AT_ONCE are listed there too, without a choice. Keep in step with the ``kind=`` of every
# notify() and Event (git grep -n "kind=f\?\"" -- '*.py').
KIND_LABELS: dict[str, Any] = {
    "item_due": _("Reminders of items due for an answer on your accounts"),
    "item_criticism": _("Criticism on the accounts of your unit"),
    "item_limit": _("Items unanswered past the outer limit"),
    "item_threat": _("Threats"),
    "item_threat_unack": _("Threats nobody has acknowledged"),
    "item_pile_on": _("Risks of a pile-on"),
    "item_escalation": _("Items escalated to you"),
    "answer_failed": _("Answers and removals not done on the platform"),
    "answer_unknown": _("Answers and removals to check on the platform"),
    "connection_attention": _("Platform connections that need attention"),
    "request_submitted": _("New-account requests submitted"),
    "request_returned": _("New-account requests returned"),
    "request_reviewed": _("New-account requests reviewed and waiting for a decision"),
    "request_approved": _("New-account requests approved"),
    "request_rejected": _("New-account requests rejected"),
    "request_commented": _("Comments on new-account requests"),
    "coverage_gap": _("Accounts that will have nobody to watch them"),
    "followup_due": _("Follow-ups coming due"),
    "followup_overdue": _("Follow-ups overdue"),
    "startpage_due": _("Start-page screenshots due"),
    "startpage_overdue": _("Start-page screenshots overdue"),
    "capture_failed": _("Screenshots that could not be taken"),
    "person_deactivated": _("People who have left and the accounts they held"),
    "consent_withdrawn": _("Withdrawn consents that affect posts on your accounts"),
    "crisis": _("A crisis declared"),  # KAU-CRISIS: always at once
    "campaign_submitted": _("Paid campaigns submitted for approval"),
    "campaign_decided": _("Paid campaigns approved or refused"),
    "ambassador_proposed": _("Ambassadors and bloggers proposed for your approval"),
    "ambassador_decided": _("Ambassadors and bloggers approved or refused"),
}


def choosable_kinds() -> list[str]:
    """The kinds a person may have in a digest, in the settings page's order."""
    return [kind for kind in KIND_LABELS if kind not in ALWAYS_AT_ONCE]


# --- When (pure) ----------------------------------------------------------------------------------------


def next_digest_at(cadence: str, now: datetime, calendar: WorkingCalendar) -> datetime | None:
    """When a row written at ``now`` goes out for ``cadence``: None for at once; for the hourly digest
    the next full hour from 08:00 to 17:00 on a working day; for the daily digest 08:00 on the next
    working day (today's, if it is a working day and 08:00 has not come yet). Europe/Stockholm."""
    if cadence == Cadence.HOURLY:
        local = now.astimezone(STOCKHOLM)
        hour = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        day = hour.date()
        if calendar.is_working_day(day) and FIRST_HOUR <= hour.hour <= LAST_HOUR:
            return hour.astimezone(now.tzinfo)
        if calendar.is_working_day(day) and hour.hour < FIRST_HOUR:
            return _at(day, FIRST_HOUR, now)
        return _at(calendar.next_working_day(local.date()), FIRST_HOUR, now)
    if cadence == Cadence.DAILY:
        local = now.astimezone(STOCKHOLM)
        day = local.date()
        if calendar.is_working_day(day) and local.time() < time(FIRST_HOUR):
            return _at(day, FIRST_HOUR, now)
        return _at(calendar.next_working_day(day), FIRST_HOUR, now)
    return None


def _at(day: Any, hour: int, now: datetime) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(now.tzinfo)


# --- Writing: which rows wait ---------------------------------------------------------------------------


def digest_times(rows: Iterable[dict[str, Any]], *, now: datetime) -> None:
    """Set ``digest_at`` on the outbox rows (dicts about to be inserted) whose person chose a digest
    for their kind: one query for the choices, one for the calendar when any is a digest."""
    wanted = [row for row in rows if row.get("recipient_id") and row["kind"] not in ALWAYS_AT_ONCE]
    if not wanted:
        return
    choices = {
        (person_id, kind): cadence
        for person_id, kind, cadence in NotificationPreference.objects.filter(
            person_id__in={row["recipient_id"] for row in wanted},
            kind__in={row["kind"] for row in wanted},
        )
        .exclude(cadence=Cadence.AT_ONCE)
        .values_list("person_id", "kind", "cadence")
    }
    if not choices:
        return
    times = digest_schedule(now)
    for row in wanted:
        cadence = choices.get((row["recipient_id"], row["kind"]))
        if cadence:
            row["digest_at"] = times[cadence]


def digest_schedule(now: datetime) -> dict[str, datetime | None]:
    """The next digest time of each cadence at ``now``, on the institution's working days."""
    calendar = InstitutionSettings.objects.get_solo().working_calendar()
    return {cadence: next_digest_at(cadence, now, calendar) for cadence in Cadence.values}


# --- Sending --------------------------------------------------------------------------------------------


def send_digests(*, now: datetime) -> int:
    """Send every person the rows of theirs whose digest has come due, one e-mail each; returns how
    many e-mails were sent. A person whose e-mail fails keeps their rows for the next run."""
    sent = 0
    failed: set[int] = set()
    mail = get_connection()
    try:
        while True:
            with transaction.atomic():
                first = (
                    Notification.objects.digest_due(now)
                    .exclude(recipient_id__in=failed)
                    .select_for_update(skip_locked=True)
                    .order_by("digest_at", "pk")
                    .values_list("recipient_id", flat=True)
                    .first()
                )
                if first is None:
                    return sent
                rows = list(
                    Notification.objects.digest_due(now)
                    .filter(recipient_id=first)
                    .select_for_update(skip_locked=True)
                    .order_by("created_at", "pk")
                )
                if not rows:
                    continue
                try:
                    accepted = digest_message(rows, mail=mail).send()
                except (OSError, ValueError) as exc:
                    logger.warning("The digest to %s was not sent: %s", rows[0].email, exc)
                    accepted = 0
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                else:
                    error = "The mail backend sent nothing."
                if accepted:
                    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(sent_at=now)
                    sent += 1
                else:
                    for row in rows:
                        row.attempts += 1
                        row.last_error = error
                    Notification.objects.bulk_update(rows, ["attempts", "last_error"])
                    failed.add(first)
    finally:
        try:
            mail.close()
        except OSError:
            logger.debug("Closing the mail connection failed", exc_info=True)


def digest_message(rows: list[Notification], *, mail: Any = None) -> EmailMessage:
    """One e-mail listing the rows (subject and link of each), in the institution's language."""
    from core.notifications import _mail_domain, absolute_url

    with translation.override(settings.LANGUAGE_CODE):
        count = len(rows)
        subject = ngettext("Kanalvakt: %(count)d event", "Kanalvakt: %(count)d events", count) % {
            "count": count
        }
        body = render_to_string(
            "emails/digest.txt",
            {"rows": [(row, absolute_url(row.url) if row.url else "") for row in rows], "count": count},
        ).strip()
        footer = render_to_string("emails/base_footer.txt").strip()
    ids = ",".join(str(row.pk) for row in rows)
    digest = hashlib.sha256(ids.encode()).hexdigest()[:24]
    return EmailMessage(
        subject=subject,
        body=f"{body}\n\n-- \n{footer}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[rows[0].email],
        headers={"Message-ID": f"<kanalvakt-digest-{digest}@{_mail_domain()}>"},
        connection=mail,
    )
