"""Every change to the archive goes through here."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from archive import ledger
from archive.capture import CaptureFailed, capture_page
from archive.models import CaptureAttempt, LedgerEntry, Screenshot, screenshot_path
from archive.stamp import stamp
from core import ratelimit
from core.images import ImageRefused, normalise
from core.images import sha256 as sha256_of
from core.models import User
from core.notifications import notify
from moderation import services as moderation_services
from moderation.models import Item

logger = logging.getLogger(__name__)


def _account_label(account: Account) -> str:
    # The stamp is written in the institution's language whoever keeps the screenshot (archive.stamp).
    with translation.override(settings.LANGUAGE_CODE):
        label = f"{account.name} ({account.platform_label}"
    return f"{label}, {account.handle})" if account.handle else f"{label})"


def _write(storage: Storage, name: str, data: bytes) -> str:
    """Write ``data`` under ``name`` unless a file of that name (hence that content) is there already.

    Names are content hashes, so an existing file is the same bytes: a second upload of the same image
    reuses it. The file is written before the row commits; should the transaction roll back, the
    orphan is named by its hash and harmless.
    """
    if storage.exists(name):
        return name
    return storage.save(name, ContentFile(data))


@transaction.atomic
def store_screenshot(
    account: Account,
    *,
    data: bytes,
    purpose: str,
    by: User | None,
    now: datetime,
    item: object | None = None,
    taken_at: datetime | None = None,
    source: str = Screenshot.Source.UPLOAD,
    source_url: str = "",
    taken_from: str = "",
) -> Screenshot:
    """Keep a screenshot as a public record (KAU-PROHIBITED-EVIDENCE, KAU-DIARY-ACTION, KAU-STARTPAGE).

    The image is validated and cleaned first (core.images.normalise raises ImageRefused with the
    reason); a refused upload stores nothing: no row, no file, no ledger entry. The SHA-256 is
    computed here, when the image arrives, with who, when and from where. The original is never
    altered; the date stamp goes on a derived copy (KAU-DIARY-ACTION: "marked with the date"), and
    both files are appended to the fixity ledger in this same transaction.
    """
    clean = normalise(data)
    url = source_url or str(getattr(item, "url", "") or "")
    shot = Screenshot(
        account=account,
        item=item,  # type: ignore[misc]
        purpose=purpose,
        source=source,
        source_url=source_url,
        content_type=clean.content_type,
        extension=clean.extension,
        width=clean.width,
        height=clean.height,
        size=len(clean.data),
        sha256=clean.sha256,
        received_sha256=clean.received_sha256,
        taken_at=taken_at or now,
        taken_by=by,
        taken_from=taken_from[:100],
    )
    stamped = stamp(
        clean.data,
        taken_at=shot.taken_at,
        account_label=_account_label(account),
        url=url,
        sha256=clean.sha256,
    )
    stamped_sha256 = sha256_of(stamped)
    storage = shot.image.storage
    shot.image.name = _write(storage, screenshot_path(shot, "upload"), clean.data)
    shot.stamped.name = _write(storage, f"stamped/{stamped_sha256[:2]}/{stamped_sha256}.png", stamped)
    shot.stamped_sha256 = stamped_sha256
    shot.save()
    ledger.append(
        kind=LedgerEntry.Kind.ORIGINAL,
        path=shot.image.name,
        data_or_size_and_hash=(len(clean.data), clean.sha256),
        by=by,
        now=now,
    )
    ledger.append(
        kind=LedgerEntry.Kind.STAMPED,
        path=shot.stamped.name,
        data_or_size_and_hash=(len(stamped), stamped_sha256),
        by=by,
        now=now,
    )
    return shot


@transaction.atomic
def store_evidence(
    item: Item,
    *,
    data: bytes,
    by: User,
    now: datetime,
    taken_at: datetime | None = None,
    taken_from: str = "",
) -> Screenshot:
    """Keep a screenshot of the item before it is removed and make it the item's evidence
    (KAU-PROHIBITED-EVIDENCE), through the same path as every screenshot. Only the account owner and
    the deputies keep one, refused before anything is written; a refused image (core.images
    .ImageRefused) stores nothing and leaves the item as it was."""
    moderation_services.require_moderator(by, item)
    shot = store_screenshot(
        item.account,
        data=data,
        purpose=Screenshot.Purpose.EVIDENCE,
        item=item,
        by=by,
        now=now,
        taken_at=taken_at,
        source_url=item.url,
        taken_from=taken_from,
    )
    moderation_services.attach_evidence(item, shot, by=by, now=now)
    return shot


# --- Capture -------------------------------------------------------------------------------------------

CAPTURE_FAILED_SUBJECT = gettext_lazy("A page of %(account)s could not be captured")
CAPTURE_TIMEOUT_MS = 20000
# A capture still pending this long after it started died with its process: Chromium's own time-out,
# plus starting the browser, resolving the address and storing the picture.
CAPTURE_GRACE = timedelta(seconds=60)
_UNITS = {
    1: gettext_lazy("second"),
    60: gettext_lazy("minute"),
    3600: gettext_lazy("hour"),
    86400: gettext_lazy("day"),
}


class CaptureRefused(Exception):
    """A capture that is not started, and leaves no trace: the person or the account has asked for
    as many as the rate allows (``code`` "rate", ``retry_after`` in seconds), or the same page is
    being captured now (``code`` "running")."""

    def __init__(self, reason: str, *, code: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retry_after = retry_after


def capture_screenshot(
    account: Account,
    *,
    url: str,
    purpose: str,
    by: User | None,
    now: datetime,
    item: object | None = None,
    block_other_origins: bool = True,
    timeout_ms: int = CAPTURE_TIMEOUT_MS,
) -> CaptureAttempt:
    """Capture ``url`` with headless Chromium and keep it as a screenshot (KAU-STARTPAGE,
    KAU-DIARY-ACTION); a failure is recorded on the attempt and reported to the account owner, never
    silent.

    The browser reaches only public addresses on ports 80 and 443 (archive.capture, core.outbound): a
    page, a redirect or an address that leads inside is a failed attempt whose reason names the
    address, and keeps no file.

    A capture costs seconds of a browser, so it is refused before anything is written
    (CaptureRefused) when the person, or everyone together on the account, has asked for as many as
    CAPTURE_RATE_PER_PERSON and CAPTURE_RATE_PER_ACCOUNT allow; the daily job (``by`` None) is not
    counted. The same page (the item, or the account's start page) is captured once at a time, by
    anyone, the daily job included: the database holds one pending attempt per page.

    Must be called outside any transaction (it refuses otherwise): Chromium takes seconds, and no
    row may stay locked meanwhile. The attempt is committed first, so that even a crash mid-capture
    leaves a trace; the screenshot and the outcome are then written in a transaction of their own.
    ``now`` is when the capture starts; the finish and the moment the picture was taken follow from
    the time the browser took.
    """
    if by is not None:
        _count_against_rates(account, by=by, now=now)
    attempt = _begin_capture(
        account, url=url, purpose=purpose, by=by, now=now, item=item, timeout_ms=timeout_ms
    )
    started = time.monotonic()
    try:
        result = capture_page(url, block_other_origins=block_other_origins, timeout_ms=timeout_ms)
    except CaptureFailed as exc:
        return _capture_failed(attempt, reason=exc.reason, status=exc.status, now=_later(now, started))
    except Exception as exc:  # anything else the browser throws is still a failure someone must hear of
        logger.exception("Capturing %s failed", url)
        reason = _("The page could not be captured: %(error)s") % {"error": type(exc).__name__}
        return _capture_failed(attempt, reason=reason, status=None, now=_later(now, started))
    finished = _later(now, started)
    try:
        with transaction.atomic(durable=True):
            shot = store_screenshot(
                account,
                data=result.png,
                purpose=purpose,
                by=by,
                now=finished,
                item=item,
                taken_at=finished,
                source=Screenshot.Source.CAPTURE,
                source_url=url,
                taken_from=_("Kanalvakt (headless Chromium)"),
            )
            attempt.outcome = CaptureAttempt.Outcome.CAPTURED
            attempt.finished_at = finished
            attempt.http_status = result.status
            attempt.screenshot = shot
            attempt.save(update_fields=["outcome", "finished_at", "http_status", "screenshot"])
    except ImageRefused as exc:  # a page too long to keep (over the pixel limit), say
        return _capture_failed(attempt, reason=str(exc), status=result.status, now=finished)
    return attempt


def _count_against_rates(account: Account, *, by: User, now: datetime) -> None:
    """Count the request against the person's rate, then the account's; CaptureRefused over either.

    Counted in the shared cache (core.ratelimit), so that the limits hold across processes.
    """
    _count_against(
        f"capture:person:{by.pk}",
        settings.CAPTURE_RATE_PER_PERSON,
        now=now,
        refusal=gettext_lazy(
            "You may ask for at most %(count)d captures per %(unit)s. Try again in %(seconds)d "
            "seconds, or upload a screenshot instead."
        ),
    )
    _count_against(
        f"capture:account:{account.pk}",
        settings.CAPTURE_RATE_PER_ACCOUNT,
        now=now,
        refusal=gettext_lazy(
            "This account's pages may be captured at most %(count)d times per %(unit)s. Try again "
            "in %(seconds)d seconds, or upload a screenshot instead."
        ),
    )


def _count_against(key: str, setting: str, *, now: datetime, refusal: Promise) -> None:
    """One hit on the rate ``setting`` under ``key``; CaptureRefused, saying ``refusal``, when over."""
    rate = ratelimit.parse_rate(setting)
    wait = ratelimit.hit(key, rate, now=now)
    if wait is not None:
        raise CaptureRefused(
            str(refusal) % {"count": rate.count, "unit": _UNITS.get(rate.seconds, ""), "seconds": wait},
            code="rate",
            retry_after=wait,
        )


def _begin_capture(
    account: Account,
    *,
    url: str,
    purpose: str,
    by: User | None,
    now: datetime,
    item: object | None,
    timeout_ms: int,
) -> CaptureAttempt:
    """Commit the pending attempt, unless the same page is being captured now (CaptureRefused).

    "Once at a time" is the database's: a partial unique constraint allows one pending attempt per
    item and one per account's start page, so that two processes asking at once cannot both start
    (the second insert waits for the first and fails). A pending attempt older than the capture's
    time-out and CAPTURE_GRACE died with its process; it is closed as failed, and told, first.
    """
    same_page = CaptureAttempt.objects.filter(
        account=account,
        purpose=purpose,
        item=item,  # type: ignore[misc]
        outcome=CaptureAttempt.Outcome.PENDING,
    )
    running_since = now - timedelta(milliseconds=max(timeout_ms, CAPTURE_TIMEOUT_MS)) - CAPTURE_GRACE
    running = CaptureRefused(
        _("This page is being captured right now. Wait for that capture to finish, then look again."),
        code="running",
    )
    try:
        # durable: refuses to run inside another transaction (a test's own wrapper excepted).
        with transaction.atomic(durable=True):
            for abandoned in same_page.filter(started_at__lte=running_since).select_for_update():
                _capture_failed(
                    abandoned,
                    reason=_("The capture did not finish: the process running it stopped."),
                    status=None,
                    now=now,
                )
            if same_page.exists():
                raise running
            return CaptureAttempt.objects.create(
                account=account,
                item=item,  # type: ignore[misc]
                purpose=purpose,
                url=url,
                requested_by=by,
                started_at=now,
            )
    except IntegrityError as exc:  # another process began the same page's capture at this moment
        raise running from exc


def _later(now: datetime, started: float) -> datetime:
    return now + timedelta(seconds=time.monotonic() - started)


@transaction.atomic
def _capture_failed(
    attempt: CaptureAttempt, *, reason: str, status: int | None, now: datetime
) -> CaptureAttempt:
    """Record why the capture failed and tell the account owner, once per attempt (the notification
    key names the attempt)."""
    attempt.outcome = CaptureAttempt.Outcome.FAILED
    attempt.finished_at = now
    attempt.http_status = status
    attempt.error = reason
    attempt.save(update_fields=["outcome", "finished_at", "http_status", "error"])
    account = Account.objects.select_related("owner").get(pk=attempt.account_id)
    notify(
        kind="capture_failed",
        key=f"capture:{attempt.pk}:failed",
        recipients=[account.owner],
        subject=CAPTURE_FAILED_SUBJECT,
        subject_params={"account": account.name},
        template="capture_failed.txt",
        context={"account": account, "attempt": attempt, "reason": reason},
        url=reverse("accounts:detail", args=[account.pk]),
    )
    return attempt
