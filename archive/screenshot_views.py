"""Screenshot pages of a moderation item: upload or capture the post and its replies
(KAU-DIARY-ACTION), upload the evidence kept before a removal (KAU-PROHIBITED-EVIDENCE), and a kept
screenshot and its date-stamped copy served as images. Every screenshot of an item is uploaded here.

The item page offers one uploader (item_screenshot), whose "as evidence" box keeps the screenshot as
the item's evidence; item_evidence stays for clients that post the evidence alone, and its refusals
are shown in the same uploader on the item page.

Each view: the item the person may see (or 404, moderation.selectors), the right to moderate its
account (or 403, moderation.selectors.may_moderate), the form, one service call, redirect to the item.
A refused image is shown on the field with the reason (400) and nothing is stored: on the upload page
for a screenshot of the post, on the item page's evidence form for the evidence.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from archive import services
from archive.http import capture_refused, original_image, say_capture_outcome
from archive.models import Screenshot
from archive.screenshot_forms import ItemScreenshotForm
from archive.selectors import may_see_screenshot
from core.forms import add_service_errors
from core.http import signed_in
from core.images import MAX_BYTES, ImageRefused
from core.models import User
from core.uploads import declared_too_large, image_response, too_large_message
from moderation.forms import EvidenceForm, ScreenshotUploadForm
from moderation.models import Item
from moderation.selectors import item_to_moderate
from moderation.views import render_item


def _acting_on(request: HttpRequest, item_id: int) -> tuple[User, Item]:
    user = signed_in(request)
    return user, item_to_moderate(user, item_id)


def _upload_page(request: HttpRequest, item: Item, form: ItemScreenshotForm, *, status: int) -> HttpResponse:
    return render(request, "archive/screenshot_upload.html", {"item": item, "form": form}, status=status)


# What differs between the two uploads of an item: the form, where a refusal is shown, and what is said
# when the screenshot is kept.
_FORMS: dict[str, type[ScreenshotUploadForm]] = {
    Screenshot.Purpose.ITEM: ItemScreenshotForm,
    Screenshot.Purpose.EVIDENCE: EvidenceForm,
}


def _refused(request: HttpRequest, item: Item, form: Any, *, purpose: str, status: int) -> HttpResponse:
    if purpose == Screenshot.Purpose.EVIDENCE:
        return render_item(request, item, status=status, evidence_form=form)
    return _upload_page(request, item, form, status=status)


def _too_large(request: HttpRequest, item: Item, *, purpose: str) -> HttpResponse:
    form = _FORMS[purpose]()
    form.cleaned_data = {}  # add_error expects a cleaned form; this one has no data to drop
    form.add_error("image", too_large_message())
    return _refused(request, item, form, purpose=purpose, status=413)


@csrf_exempt
@require_POST
def item_screenshot(request: HttpRequest, item_id: int) -> HttpResponse:
    """Keep an uploaded screenshot of the item's post and replies (KAU-DIARY-ACTION)."""
    return _upload(request, item_id, purpose=Screenshot.Purpose.ITEM)


@csrf_exempt
@require_POST
def item_evidence(request: HttpRequest, item_id: int) -> HttpResponse:
    """Keep the screenshot required before prohibited content is removed (KAU-PROHIBITED-EVIDENCE)."""
    return _upload(request, item_id, purpose=Screenshot.Purpose.EVIDENCE)


def _upload(request: HttpRequest, item_id: int, *, purpose: str) -> HttpResponse:
    """Refuse an oversized body (413) before anything reads it, else keep the upload (``_store``).

    The upload views are exempt from the CSRF middleware only for that refusal; the token is checked
    by ``_store`` (csrf_protect) before the upload is parsed.
    """
    _user, item = _acting_on(request, item_id)
    if declared_too_large(request):
        return _too_large(request, item, purpose=purpose)
    return _store(request, item_id, purpose=purpose)


@csrf_protect
def _store(request: HttpRequest, item_id: int, *, purpose: str) -> HttpResponse:
    user, item = _acting_on(request, item_id)
    form = _FORMS[purpose](request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, item, form, purpose=purpose, status=400)
    # core.images decodes the bytes: a refused upload stores no row, no file, no ledger entry.
    data = form.cleaned_data["image"].read(MAX_BYTES + 1)
    taken_at = form.cleaned_data.get("taken_at")
    taken_from = request.META.get("REMOTE_ADDR", "")
    # The item page has one uploader: a screenshot of the post ticked "as evidence" is kept as the
    # evidence a removal needs (KAU-PROHIBITED-EVIDENCE), through the same path as the evidence upload.
    as_evidence = purpose == Screenshot.Purpose.EVIDENCE or bool(form.cleaned_data.get("as_evidence"))
    try:
        if as_evidence:
            services.store_evidence(
                item, data=data, by=user, now=timezone.now(), taken_at=taken_at, taken_from=taken_from
            )
            kept = _("The screenshot is kept as evidence.")
        else:
            services.store_screenshot(
                item.account,
                data=data,
                purpose=purpose,
                item=item,
                by=user,
                now=timezone.now(),
                taken_at=taken_at,
                source_url=item.url,
                taken_from=taken_from,
            )
            kept = _("The screenshot is kept, with a date-stamped copy.")
    except ImageRefused as exc:
        form.add_error("image", str(exc))
        return _refused(request, item, form, purpose=purpose, status=400)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, item, form, purpose=purpose, status=400)
    messages.success(request, kept)
    return redirect("moderation:item", pk=item.pk)


@require_POST
def item_capture(request: HttpRequest, item_id: int) -> HttpResponse:
    """Capture the item's address with headless Chromium and keep it (KAU-DIARY-ACTION).

    Runs while the person waits (a few seconds for one page); the service records the attempt and,
    on failure, tells the account owner why. A capture the service does not start (too many asked
    for: 429 with Retry-After; the item is being captured now: 409) is said on the upload page.
    """
    user, item = _acting_on(request, item_id)
    if not item.url:
        messages.error(request, _("The item has no address to capture. Upload a screenshot instead."))
        return redirect("moderation:item", pk=item.pk)
    try:
        attempt = services.capture_screenshot(
            item.account,
            url=item.url,
            purpose=Screenshot.Purpose.ITEM,
            item=item,
            by=user,
            now=timezone.now(),
        )
    except services.CaptureRefused as exc:
        # Said on the page where a screenshot can be uploaded.
        return capture_refused(
            request, exc, lambda status: _upload_page(request, item, ItemScreenshotForm(), status=status)
        )
    say_capture_outcome(
        request,
        attempt,
        captured=_("The page was captured and kept, with a date-stamped copy."),
        failed=_("The page could not be captured: %(reason)s Upload a screenshot instead.")
        % {"reason": attempt.error},
    )
    return redirect("moderation:item", pk=item.pk)


@require_GET
def screenshot_image(request: HttpRequest, pk: int) -> FileResponse:
    """A kept screenshot as it arrived (cleaned), for the people who may see it (may_see_screenshot).

    Always served as the image type core.images stored, never sniffed and never as a page: the
    file was decoded and re-encoded when it arrived, and nosniff keeps a browser from reading it as
    anything else (KAU-PROHIBITED-EVIDENCE).
    """
    shot = get_object_or_404(Screenshot.objects.select_related("account", "account__unit"), pk=pk)
    if not may_see_screenshot(signed_in(request), shot):
        raise Http404
    return original_image(shot)


@require_GET
def stamped_image(request: HttpRequest, pk: int) -> FileResponse:
    """The date-stamped copy of a kept screenshot, for the people who may see the original.

    Always a PNG written by archive.stamp, served inline as that type and never sniffed
    (KAU-DIARY-ACTION, KAU-PUBLIC-RECORD).
    """
    shot = get_object_or_404(Screenshot.objects.select_related("account", "account__unit"), pk=pk)
    if not may_see_screenshot(signed_in(request), shot) or not shot.stamped:
        raise Http404
    try:
        handle = shot.stamped.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return image_response(handle, content_type="image/png", filename=f"{shot.sha256[:16]}-stamped.png")
