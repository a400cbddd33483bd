"""Search and exports for requests for public records (KAU-PUBLIC-RECORD).

The registrar/archivist and the social media lead (``archive.export_archive``) search, export and
see every export; anyone else is refused the search and the list (403). An export is seen and
downloaded by the person who asked for it and by those two roles; to anyone else it is not found.
The ExportJob row is the log of who exported what and when; downloading adds nothing to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from archive import exports, search_tables
from archive import search as archive_search
from archive.export_forms import ExportForm, SearchForm
from archive.models import ExportJob
from archive.search import KINDS, Criteria
from core.calendar import STOCKHOLM
from core.downloads import MAX_ROWS, Format, table_response
from core.http import signed_in
from core.models import User

SEARCH_TEMPLATE = "archive/search.html"
LIST_SIZE = 100


def _archivist(request: HttpRequest) -> User:
    """The registrar/archivist or the social media lead; anyone else is refused the page (403)."""
    user = signed_in(request)
    if not archive_search.may_search(user):
        raise PermissionDenied
    return user


def exports_visible_to(user: User) -> QuerySet[ExportJob]:
    """The registrar/archivist and the social media lead see every export; anyone else only their own."""
    jobs = ExportJob.objects.select_related("requested_by")
    return jobs if archive_search.may_search(user) else jobs.filter(requested_by=user)


def _job_or_404(user: User, pk: int) -> ExportJob:
    return get_object_or_404(exports_visible_to(user), pk=pk)


def _hidden_criteria(criteria: Criteria) -> list[tuple[str, str]]:
    """The criteria as the search form's own fields, for the export button's hidden inputs."""
    data = criteria.as_dict()
    pairs = [
        (name, str(data[name]))
        for name in ("text", "account", "unit", "author", "start", "end", "rule", "registration")
    ]
    pairs = [(name, value) for name, value in pairs if value not in ("", "None")]
    if set(data["kinds"]) != set(KINDS):
        pairs += [("kinds", kind) for kind in data["kinds"]]
    return pairs


def _search_context(form: SearchForm, results: Any, export_form: ExportForm | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"form": form, "results": results, "export_form": export_form}
    if results is not None:
        context["hidden_criteria"] = _hidden_criteria(results.criteria)
        context["export_query"] = urlencode(context["hidden_criteria"])
        context["sections"] = {kind: results.sections.get(kind) for kind in KINDS}
    return context


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Find items, log entries, decisions and screenshots for a request for public records; a search
    with nothing filled in, or a bad date, answers 400 with the field named."""
    user = _archivist(request)
    if not request.GET:
        return render(request, SEARCH_TEMPLATE, _search_context(SearchForm(), None))
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, SEARCH_TEMPLATE, _search_context(form, None), status=400)
    results = archive_search.search_by(user, form.criteria())
    return render(request, SEARCH_TEMPLATE, _search_context(form, results, ExportForm()))


@require_GET
def search_export(request: HttpRequest, fmt: Format = "csv") -> HttpResponse:
    """One kind of the records a search finds (``?kind=items`` beside the search's own fields), as CSV
    or an Excel workbook: what the page shows, without its cap of 200 but with the downloads' cap
    (core.downloads.MAX_ROWS; the bag export holds everything). The same person, the same criteria and
    the same querysets as the page (KAU-PUBLIC-RECORD); bad criteria or a kind not searched answer 400."""
    user = _archivist(request)
    form = SearchForm(request.GET)
    kind = request.GET.get("kind", "")
    found = archive_search.querysets(user, form.criteria()) if form.is_valid() else {}
    if form.is_valid() and kind not in found:
        form.add_error("kinds", _("Search among these records to export them."))
    if not form.is_valid():
        return render(request, SEARCH_TEMPLATE, _search_context(form, None), status=400)
    rows = search_tables.table_rows(kind, found[kind][:MAX_ROWS])
    today = timezone.localtime(timezone.now(), STOCKHOLM).date()
    return table_response(
        rows,
        fmt=fmt,
        filename=f"sokning-{kind}-{today.isoformat()}",
        title=str(archive_search.KIND_LABELS[kind]),
    )


@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    """GET: the person's own exports and every export. POST: export the records a search finds (the
    search page's "Export these results"), then show the export's progress."""
    user = _archivist(request)
    if request.method == "POST":
        form = ExportForm(request.POST)
        if not form.is_valid():
            return render(request, SEARCH_TEMPLATE, _search_context(form, None, form), status=400)
        try:
            job = exports.request_export(
                by=user,
                now=timezone.now(),
                criteria=form.criteria().as_dict(),
                description=form.cleaned_data.get("description") or "",
                package_format=form.cleaned_data["package_format"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return render(request, SEARCH_TEMPLATE, _search_context(form, None, form), status=400)
        messages.success(request, _("The export has started. It is listed here while it runs."))
        return redirect("archive:export", pk=job.pk)
    jobs = ExportJob.objects.select_related("requested_by")
    return render(
        request,
        "archive/exportjob_list.html",
        {
            "own": list(jobs.filter(requested_by=user)[:LIST_SIZE]),
            "everyone": list(jobs[:LIST_SIZE]),
            "limit": LIST_SIZE,
        },
    )


def _status(job: ExportJob) -> dict[str, Any]:
    finished = job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "finished": finished,
        "message": _progress_message(job),
        "error": job.error if job.status == ExportJob.Status.FAILED else "",
        "download_url": reverse("archive:export_download", args=[job.pk])
        if job.status == ExportJob.Status.DONE
        else None,
        "size": job.size,
        "sha256": job.sha256,
        "package_format": job.package_format,
    }


def _progress_message(job: ExportJob) -> str:
    if job.status == ExportJob.Status.DONE and job.package_format == ExportJob.PackageFormat.FGS:
        return _("Done: the delivery package is ready to download.")
    if job.status == ExportJob.Status.DONE:
        return _("Done: the bag is ready to download.")
    if job.status == ExportJob.Status.FAILED:
        return _("The export failed.")
    if job.status == ExportJob.Status.QUEUED:
        return _("Waiting to start.")
    return _("%(percent)s %% done (%(done)s of %(total)s files).") % {
        "percent": job.percent,
        "done": job.done,
        "total": job.total,
    }


def _criteria_display(criteria: Criteria) -> list[tuple[str, str]]:
    """The criteria of an export as the page shows them: a label and a value for each one used."""
    lines = []
    if criteria.text:
        lines.append((_("Text"), criteria.text))
    if criteria.account:
        lines.append((_("Account"), criteria.account.name))
    lines.extend((_("Account"), account.name) for account in criteria.accounts)
    if criteria.unit:
        lines.append((_("Unit"), criteria.unit.display_name))
    if criteria.author:
        lines.append((_("Author"), criteria.author))
    if criteria.start:
        lines.append((_("From"), criteria.start.isoformat()))
    if criteria.end:
        lines.append((_("To"), criteria.end.isoformat()))
    if criteria.rule:
        lines.append((_("Policy rule"), criteria.rule))
    if criteria.registration:
        labels_of = dict(archive_search.REGISTRATION_FILTERS)
        lines.append((_("Registration"), str(labels_of[criteria.registration])))
    labels = [str(archive_search.KIND_LABELS[kind]) for kind in KINDS if kind in criteria.kinds]
    lines.append((_("Searched among"), ", ".join(labels)))
    return lines


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", "")


@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An export's status and progress; as JSON with ``?format=json`` or ``Accept: application/json``
    (static/js/archive-export.js polls it and reads the progress out in a polite live region)."""
    job = _job_or_404(signed_in(request), pk)
    status = _status(job)
    if _wants_json(request):
        return JsonResponse(status)
    try:
        criteria_lines = _criteria_display(Criteria.from_dict(job.criteria))
    except ValidationError:
        criteria_lines = [(_("Search"), str(job.criteria))]
    return render(
        request,
        "archive/exportjob_detail.html",
        {"job": job, "status": status, "criteria_lines": criteria_lines},
    )


@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The zipped bag or delivery package, to the person who asked for it, the registrar/archivist and
    the social media lead. The job row already records the export; the download adds nothing to the
    log."""
    job = _job_or_404(signed_in(request), pk)
    if job.status != ExportJob.Status.DONE or not job.file or job.disposed_at:  # disposed: the bag is gone
        raise Http404
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.download_name,  # says which package format it holds
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Public records and personal data: kept by no cache, not even the browser's (KAU-PUBLIC-RECORD).
    response["Cache-Control"] = "private, no-store"
    return response
