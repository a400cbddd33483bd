"""Diary packages in the browser (KAU-DIARY-ACTION, KAU-PROHIBITED-EVIDENCE): build one from the item
page, see it, download it, record its registration number or correct it, and the registrar's queue.

Who sees a package: whoever may see its item (moderation.selectors), and the registrar, who registers
every package (archive.registration.packages_visible_to); nobody else learns that it exists (404).
Seeing a package does not open its item page to the registrar: the package page shows the cover's
fields. Each change: the object (or 404), the role (or 403), the form (or 400 with the field named),
one service call, redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from archive import diary_numbers, registration
from archive.diary_forms import CorrectionForm, PackageForm, RegisterForm
from archive.models import DiaryPackage
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User
from core.roles import Role, has_role
from moderation.models import Item
from moderation.selectors import item_or_404, items_visible_to

QUEUE_PAGE_SIZE = 25


def _package_or_404(user: User, pk: int) -> DiaryPackage:
    return get_object_or_404(
        registration.with_delivery(
            registration.packages_visible_to(user).select_related(
                "item", "item__account", "item__account__unit", "built_by", "registered_by"
            )
        ),
        pk=pk,
    )


def register_form(package: DiaryPackage, data: Any = None) -> RegisterForm:
    """The number form of one package; ids carry the package's id, as the queue shows many."""
    return RegisterForm(data, auto_id=f"id_%s_{package.pk}")


# --- Building ---------------------------------------------------------------------------------------------


@require_POST
def package_build(request: HttpRequest, item_id: int) -> HttpResponse:
    """Build the item's diary package and send it to the registry (KAU-DIARY-ACTION). The owner and the
    deputies build it; others who see the item get 403."""
    user = signed_in(request)
    item = item_or_404(user, item_id)
    if not registration.may_build(user, item):
        raise PermissionDenied
    form = PackageForm(request.POST, prefix="package")
    if form.is_valid():
        try:
            package = registration.build_package(
                item,
                subject=form.cleaned_data["subject"],
                secrecy=form.cleaned_data["secrecy"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The diary package is built and sent to the registry."))
            return redirect("archive:package", pk=package.pk)
    return render(request, "archive/diarypackage_build.html", {"item": item, "form": form}, status=400)


# --- One package ------------------------------------------------------------------------------------------


def correction_form(package: DiaryPackage, data: Any = None) -> CorrectionForm:
    return CorrectionForm(data, auto_id=f"id_correction_%s_{package.pk}")


def _render_package(
    request: HttpRequest,
    package: DiaryPackage,
    *,
    form: RegisterForm | None = None,
    correction: CorrectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in(request)
    registrar = registration.may_register(user)
    may_register = registrar and package.registered_at is None
    may_correct = registrar and package.registered_at is not None
    context = {
        "package": package,
        "rows": package.fields.get("rows", []),
        "screenshots": list(package.screenshots.select_related("taken_by").order_by("taken_at", "pk")),
        "versions": list(
            DiaryPackage.objects.filter(item_id=package.item_id)
            .order_by("built_at", "pk")
            .only("pk", "built_at", "registered_at", "diary_number")
        ),
        "may_register": may_register,
        "register_form": form or (register_form(package) if may_register else None),
        "correction_form": correction or (correction_form(package) if may_correct else None),
        "corrections": list(package.number_corrections.select_related("corrected_by")),
        "sharing": diary_numbers.packages_sharing(package.diary_number, besides=package),
        "may_see_item": item_visible(user, package.item),
    }
    return render(request, "archive/diarypackage_detail.html", context, status=status)


def item_visible(user: User, item: Item) -> bool:
    return items_visible_to(user).filter(pk=item.pk).exists()


@require_GET
def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A package: its registry fields as on the cover, its screenshots, whether it was sent and
    registered, the download, and for the registrar the number form."""
    return _render_package(request, _package_or_404(signed_in(request), pk))


@require_GET
def package_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The PDF/A as it was sent (``?format=csv`` or ``json`` for the fields, with the registration
    number once recorded)."""
    package = _package_or_404(signed_in(request), pk)
    kind = request.GET.get("format", "pdf")
    if kind == "csv":
        return _attachment(
            registration.package_fields_csv(package), package, "csv", "text/csv; charset=utf-8"
        )
    if kind == "json":
        return _attachment(registration.package_fields_json(package), package, "json", "application/json")
    if package.disposed_at:  # destroyed under a disposal decision; the fields above stay
        raise Http404
    response = FileResponse(
        package.pdf.open("rb"),
        as_attachment=True,
        filename=registration.package_file_name(package, "pdf"),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _attachment(data: bytes, package: DiaryPackage, extension: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    name = registration.package_file_name(package, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def package_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the registration number (KAU-DIARY-ACTION): the registrar only (403 for others who see
    the package). Back to the queue when the form was sent from there."""
    user = signed_in(request)
    package = _package_or_404(user, pk)
    if not registration.may_register(user):
        raise PermissionDenied
    form = register_form(package, request.POST)
    if form.is_valid():
        try:
            diary_numbers.register_package(
                package,
                diary_number=form.cleaned_data["diary_number"],
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Registration number %(number)s recorded.") % {"number": form.cleaned_data["diary_number"]},
            )
            if request.POST.get("from") == "queue":
                return redirect("archive:registry_queue")
            return redirect("archive:package", pk=package.pk)
    return _render_package(request, package, form=form, status=400)


@require_POST
def package_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a wrongly entered registration number, with the reason (KAU-DIARY-ACTION): the
    registrar only (403 for others who see the package, 404 for those who do not)."""
    user = signed_in(request)
    package = _package_or_404(user, pk)
    if not registration.may_register(user):
        raise PermissionDenied
    form = correction_form(package, request.POST)
    if form.is_valid():
        try:
            correction = diary_numbers.correct_diary_number(
                package,
                diary_number=form.cleaned_data["diary_number"],
                reason=form.cleaned_data["reason"],
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The registration number is corrected from %(old)s to %(new)s.")
                % {"old": correction.old_number, "new": correction.new_number},
            )
            return redirect("archive:package", pk=package.pk)
    return _render_package(request, package, correction=form, status=400)


# --- The registrar's queue ------------------------------------------------------------------------------


@require_GET
def registry_queue(request: HttpRequest) -> HttpResponse:
    """The registrar's queue (KAU-DIARY-ACTION): packages awaiting a registration number, oldest
    first, or the registered ones, newest first. The registrar only; a fixed number of queries per
    page however many packages there are."""
    user = signed_in(request)
    if not (has_role(user, Role.REGISTRAR) or registration.may_register(user)):
        raise PermissionDenied
    show = "registered" if request.GET.get("show") == "registered" else "awaiting"
    if show == "registered":
        packages = DiaryPackage.objects.filter(registered_at__isnull=False).order_by("-registered_at", "-pk")
    else:
        packages = registration.awaiting_registration()
    packages = registration.with_delivery(
        packages.select_related("item", "item__account", "built_by", "registered_by")
    ).annotate(shares_number=diary_numbers.shares_number())
    page = Paginator(packages, QUEUE_PAGE_SIZE).get_page(request.GET.get("sida"))
    rows = [(package, register_form(package)) for package in page.object_list]
    return render(request, "archive/registry_queue.html", {"page": page, "rows": rows, "show": show})
