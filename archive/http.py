"""What the archive's pages share."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from archive.models import CaptureAttempt
from archive.services import CaptureRefused


def capture_refused(
    request: HttpRequest, exc: CaptureRefused, page: Callable[[int], HttpResponse]
) -> HttpResponse:
    """A capture the service did not start, and so stored nothing: its reason said on ``page``, with
    429 and Retry-After when too many were asked for, 409 when the page is being captured now."""
    messages.error(request, exc.reason)
    response = page(429 if exc.code == "rate" else 409)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def say_capture_outcome(request: HttpRequest, attempt: CaptureAttempt, *, captured: str, failed: str) -> None:
    """A capture that ran, said to the person who asked: ``captured`` when it was kept, else ``failed``
    (the attempt and its reason are recorded either way, never silent)."""
    if attempt.outcome == CaptureAttempt.Outcome.CAPTURED:
        messages.success(request, captured)
    else:
        messages.error(request, failed)
