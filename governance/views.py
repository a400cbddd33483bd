"""The organisation tree and the institution settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Account
from core.models import InstitutionSettings, OrgUnit
from core.units import units_in_tree_order
from governance import services
from governance.forms import InstitutionSettingsForm


@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    """Every unit and its head: who is the manager with operational responsibility where."""
    units = (
        units_in_tree_order()
        .filter(is_active=True)
        .annotate(account_count=Count("accounts", filter=~Q(accounts__status="closed")))
    )
    return render(request, "governance/orgunit_list.html", {"units": units})


@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit.objects.select_related("head", "parent"), pk=pk, is_active=True)
    children = unit.children.filter(is_active=True).select_related("head").order_by("name")
    accounts = (
        Account.objects.visible_to(request.user).filter(unit=unit).select_related("owner").order_by("name")
    )
    return render(
        request,
        "governance/orgunit_detail.html",
        {"unit": unit, "ancestors": unit.ancestors(), "children": children, "accounts": accounts},
    )


@permission_required("core.change_institutionsettings", raise_exception=True)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    """The institution's settings, edited by the social media lead."""
    current = InstitutionSettings.objects.get_solo()
    if request.method == "POST":
        # A copy of its own: a refused form changes its instance, and the page still reads the row.
        form = InstitutionSettingsForm(request.POST, instance=InstitutionSettings.objects.get(pk=current.pk))
        if form.is_valid():
            services.update_institution_settings(by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("The settings are saved."))
            return redirect("governance:settings")
        return render(request, "governance/institutionsettings_form.html", {"form": form}, status=400)
    form = InstitutionSettingsForm(instance=current)
    history = current.history.select_related("history_user").order_by("-history_date")[:10]
    return render(request, "governance/institutionsettings_form.html", {"form": form, "history": history})
