"""The secrecy review in the browser (*sekretessprövning*, KAU-PUBLIC-RECORD): open a review from an
archive search, mark what must not be released, release the copy and download it.

Who: those who review (``archive.review_secrecy``: the registrar and the social media lead). Anyone
else is refused the list and the opening page (403) and learns of no review, no release and no
screenshot through these pages (404). Each change: the review (or 404), the form (or 400 with the
field named), one service call, redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive import secrecy
from archive.export_forms import SearchForm
from archive.http import original_image
from archive.models import SecrecyMark, SecrecyReview
from archive.secrecy_forms import MarkForm, OpenReviewForm, ReleaseForm
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User

LIST_SIZE = 100
CRITERIA_FIELDS = ("text", "account", "unit", "author", "start", "end", "rule", "kinds")


def _reviewer(request: HttpRequest) -> User:
    """A person who reviews; anyone else is refused the page (403)."""
    user = signed_in(request)
    if not secrecy.may_review(user):
        raise PermissionDenied
    return user


def _review_or_404(user: User, pk: int) -> SecrecyReview:
    return get_object_or_404(
        secrecy.reviews_visible_to(user).select_related("opened_by", "release", "release__released_by"), pk=pk
    )


# --- The list, and opening a review ----------------------------------------------------------------------


@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """Every review, open ones first, newest first; a fixed number of queries however many."""
    _reviewer(request)
    standing = (
        SecrecyMark.objects.filter(review=OuterRef("pk"), removed_at__isnull=True)
        .values("review")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reviews = list(
        SecrecyReview.objects.select_related("opened_by", "release")
        .annotate(mark_count=Subquery(standing))
        .order_by("status", "-opened_at", "-pk")[:LIST_SIZE]
    )
    # "open" sorts before "released": the open reviews come first.
    return render(request, "archive/secrecy/review_list.html", {"reviews": reviews, "limit": LIST_SIZE})


def _criteria_pairs(data: Any) -> list[tuple[str, str]]:
    """The search's own fields as sent, for the opening form's hidden inputs."""
    return [(name, value) for name in CRITERIA_FIELDS for value in data.getlist(name) if value]


def _render_open(request: HttpRequest, form: OpenReviewForm, data: Any, *, status: int = 200) -> HttpResponse:
    search = SearchForm(data)
    found: tuple[list[int], list[int]] = ([], [])
    lines: list[tuple[str, str]] = []
    if search.is_valid():
        found = secrecy.records_found(signed_in(request), search.criteria())
        lines = secrecy.criteria_lines(search.criteria().as_dict())
    hidden = _criteria_pairs(data)
    context = {
        "form": form,
        "search_form": search,
        "criteria_valid": search.is_valid(),
        "hidden_criteria": hidden,
        "search_query": urlencode(hidden),
        "criteria_lines": lines,
        "item_count": len(found[0]),
        "screenshot_count": len(found[1]),
        "too_many": len(found[0]) + len(found[1]) > secrecy.MAX_RECORDS,
        "max_records": secrecy.MAX_RECORDS,
    }
    return render(request, "archive/secrecy/review_open.html", context, status=status)


@require_http_methods(["GET", "POST"])
def review_open(request: HttpRequest) -> HttpResponse:
    """GET (from the search page, with its criteria): what the review will cover, and the request's
    form; criteria that are not a valid search answer 400. POST: open the review, freezing the
    records found, and go to it."""
    user = _reviewer(request)
    if request.method == "GET":
        if not request.GET:  # nothing searched yet: a review starts from a search
            return redirect("archive:search")
        today = timezone.localdate()
        form = OpenReviewForm(initial={"requested_on": today})
        valid = SearchForm(request.GET).is_valid()
        return _render_open(request, form, request.GET, status=200 if valid else 400)
    form = OpenReviewForm(request.POST)
    if form.is_valid():
        try:
            review = secrecy.open_review(
                criteria=form.criteria(),
                requester=form.cleaned_data["requester"],
                requested_on=form.cleaned_data["requested_on"],
                reference=form.cleaned_data["reference"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The review is open. Mark what must not be released."))
            return redirect("archive:secrecy_review", pk=review.pk)
    return _render_open(request, form, request.POST, status=400)


# --- One review ------------------------------------------------------------------------------------------


def _log(review: SecrecyReview) -> list[dict[str, Any]]:
    """The log of the review: opened, each mark added and removed, released; newest first (two
    queries, whatever their number)."""
    actions = {
        "opened": _("Review opened"),
        "marked": _("Marked: not to be released"),
        "removed": _("Mark removed"),
        "released": _("Copy released"),
    }
    entries: list[dict[str, Any]] = []
    for row in review.history.select_related("history_user").order_by("history_id"):
        entries.append(
            {
                "at": row.history_date,
                "by": row.history_user,
                "action": actions.get(row.history_change_reason or "", row.history_change_reason),
                "detail": "",
            }
        )
    rows = (
        SecrecyMark.history.filter(review_id=review.pk).select_related("history_user").order_by("history_id")
    )
    for row in rows:
        entries.append(
            {
                "at": row.history_date,
                "by": row.history_user,
                "action": actions.get(row.history_change_reason or "", row.history_change_reason),
                "detail": f"{_mark_target(row)}: {row.ground}",
            }
        )
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


def _render_review(
    request: HttpRequest,
    review: SecrecyReview,
    *,
    mark_form: MarkForm | None = None,
    release_form: ReleaseForm | None = None,
    template: str = "archive/secrecy/review_detail.html",
    status: int = 200,
) -> HttpResponse:
    draft = secrecy.draft_of(review)
    marks_by_item: dict[int, list[SecrecyMark]] = {}
    marks_by_shot: dict[int, list[SecrecyMark]] = {}
    for mark in draft.marks:
        if mark.item_id:
            marks_by_item.setdefault(mark.item_id, []).append(mark)
        else:
            marks_by_shot.setdefault(mark.screenshot_id or 0, []).append(mark)
    chosen = request.GET.get("record", "")
    if mark_form is None and review.is_open:
        mark_form = MarkForm(
            items=draft.items, screenshots=draft.screenshots, initial={"record": chosen}, auto_id="mark_%s"
        )
    context = {
        "review": review,
        "release": getattr(review, "release", None) if not review.is_open else None,
        "items": [
            (item, marks_by_item.get(item.pk, []), _fields(item, marks_by_item.get(item.pk, [])))
            for item in draft.items
        ],
        "screenshots": [(shot, marks_by_shot.get(shot.pk, [])) for shot in draft.screenshots],
        "marks": draft.marks,
        "mark_lines": [(mark, _mark_target(mark)) for mark in draft.marks],
        "unsafe": draft.unsafe_screenshots(),
        "withheld_items": draft.withheld_items,
        "mark_form": mark_form,
        "release_form": release_form,
        "log": _log(review),
        "criteria_lines": secrecy.criteria_lines(review.criteria),
    }
    return render(request, template, context, status=status)


def _fields(item: Any, marks: list[SecrecyMark]) -> list[tuple[str, str, str, SecrecyMark | None]]:
    """(key, label, value, mark) of each field of an item that can be masked, as the page shows it."""
    by_field = {mark.field: mark for mark in marks if mark.field}
    return [
        (key, str(label), str(getattr(item, key) or ""), by_field.get(key))
        for key, label in secrecy.ITEM_FIELDS
    ]


def _mark_target(mark: Any) -> str:
    if mark.screenshot_id:
        return _("Screenshot %(number)s") % {"number": mark.screenshot_id}
    if mark.field:
        return _("Item %(number)s, %(field)s") % {
            "number": mark.item_id,
            "field": secrecy.field_label(mark.field).lower(),
        }
    return _("Item %(number)s, in full") % {"number": mark.item_id}


@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The review: the request, the frozen records with their marks, the mark form while it is open,
    the release and its download once released, and the log of the draft."""
    return _render_review(request, _review_or_404(signed_in(request), pk))


@require_POST
def review_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a part of a record as not to be released, with its legal ground."""
    user = signed_in(request)
    review = _review_or_404(user, pk)
    draft = secrecy.draft_of(review)
    form = MarkForm(request.POST, items=draft.items, screenshots=draft.screenshots, auto_id="mark_%s")
    if form.is_valid():
        try:
            kind, record_id = form.target()
            common = {
                "ground": form.cleaned_data["provision"],
                "note": form.cleaned_data["note"],
                "by": user,
                "now": timezone.now(),
            }
            if kind == "item":
                secrecy.mark_item(review, item_id=record_id, field=form.cleaned_data["field"], **common)
            else:
                secrecy.mark_screenshot(review, screenshot_id=record_id, **common)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The part is marked: it will not be released."))
            return redirect("archive:secrecy_review", pk=review.pk)
    return _render_review(request, review, mark_form=form, status=400)


@require_POST
def review_unmark(request: HttpRequest, pk: int, mark_id: int) -> HttpResponse:
    """Take a mark off the draft while the review is open (kept in the log)."""
    user = signed_in(request)
    review = _review_or_404(user, pk)
    try:
        secrecy.remove_mark(review, mark_id=mark_id, by=user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_review(request, review, status=400)
    messages.success(request, _("The mark is removed."))
    return redirect("archive:secrecy_review", pk=review.pk)


@require_http_methods(["GET", "POST"])
def review_release(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the copy will hold, and the release form. POST: release the copy and close the
    review. A released review has no release page (404)."""
    user = signed_in(request)
    review = _review_or_404(user, pk)
    if not review.is_open:
        raise Http404
    template = "archive/secrecy/review_release.html"
    if request.method == "GET":
        return _render_review(request, review, release_form=ReleaseForm(), template=template)
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            secrecy.release_review(
                review,
                recipient=form.cleaned_data["recipient"],
                confirmed=form.cleaned_data["confirm"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The copy is released. Download it below and send it."))
            return redirect("archive:secrecy_review", pk=review.pk)
    return _render_review(request, review, release_form=form, template=template, status=400)


# --- Files -----------------------------------------------------------------------------------------------


@require_GET
def release_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The released copy (PDF/A; ``?format=csv`` for its table), to those who review; 404 for anyone
    else and before the release.
    The Release row is the log of the release; downloading adds nothing to it."""
    review = _review_or_404(signed_in(request), pk)
    release = getattr(review, "release", None)
    csv = request.GET.get("format") == "csv"
    file = (release.table if csv else release.file) if release is not None else None
    if release is None or not file:
        raise Http404
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=secrecy.release_file_name(review, release.released_at, "csv" if csv else "pdf"),
        content_type="text/csv; charset=utf-8" if csv else "application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Public records and personal data: kept by no cache, not even the browser's (KAU-PUBLIC-RECORD).
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def review_screenshot(request: HttpRequest, pk: int, shot_id: int) -> FileResponse:
    """A screenshot of the review, for the reviewer to judge it: only those of the review's frozen
    set, only to those who review (404 otherwise), served as every kept image is (core.uploads)."""
    review = _review_or_404(signed_in(request), pk)
    shot = review.screenshots.filter(Q(pk=shot_id)).first()
    if shot is None:
        raise Http404
    return original_image(shot)
