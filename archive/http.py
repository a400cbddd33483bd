"""What the archive's pages share."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from archive.models import CaptureAttempt, Screenshot
from archive.services import CaptureRefused
from core.uploads import SERVED_TYPES, image_response


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


def original_image(shot: Screenshot) -> FileResponse:
    """A kept screenshot as it arrived (cleaned), to someone the caller has let see it: always as the
    image type core.images stored, never sniffed and never as a page; 404 when its type is not one
    served or its file is gone (disposed of) (KAU-PROHIBITED-EVIDENCE)."""
    if shot.content_type not in SERVED_TYPES:
        raise Http404
    try:
        handle = shot.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return image_response(
        handle, content_type=shot.content_type, filename=f"{shot.sha256[:16]}.{shot.extension}"
    )
