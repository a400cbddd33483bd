"""The public list of the university's official accounts (KTH-PRIVATE).

Open to everyone, without signing in, so that the public and the press can check whether an account
speaking in the university's name is official. Only active accounts are listed, and only what the
accounts themselves show publicly: unit, platform, name, address and handle. Nothing internal: no
owners, deputies, flags or people's ids.

Approved student ambassadors and bloggers on assignment whose period includes today are listed in a
section of their own, apart from the official accounts, with the statement that they speak from
their own perspective and are not official spokespersons (KAU-PRIVATE); their e-mail addresses and
assignment texts stay internal.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import Account, AccountQuerySet, Ambassador, Platform
from core.calendar import local_today
from core.models import InstitutionSettings, OrgUnit
from core.units import path_ids

CACHE_SECONDS = 300


PAGE_SIZE = 200
PUBLIC_FIELDS = ("pk", "name", "handle", "url", "platform", "platform_other", "unit__name")


def _official() -> AccountQuerySet:
    """Every active account: paused, closing and closed accounts are not listed (KTH-PRIVATE: only
    what speaks in the university's name today)."""
    return Account.objects.filter(status=Account.Status.ACTIVE)


def _current_ambassadors() -> list[Ambassador]:
    """Approved ambassadors and bloggers whose period includes today (KAU-PRIVATE), in one query."""
    return list(
        Ambassador.objects.current(local_today(timezone.now()))
        .select_related("unit", "account")
        .only(
            "pk",
            "name",
            "kind",
            "starts_on",
            "ends_on",
            "unit__name",
            "unit__name_en",
            "unit__path",
            "account__name",
            "account__url",
            "account__platform",
            "account__platform_other",
        )
        .order_by("unit__path", "name", "pk")
    )


AMBASSADOR_STATEMENT = _(
    "Student ambassadors and bloggers on assignment speak from their own perspective (a student "
    "ambassador from a student's). They are not official spokespersons of the university."
)


@login_not_required
@require_GET
def official_accounts(request: HttpRequest) -> HttpResponse:
    """The page: grouped by unit, filterable by unit (with the units below it) and by platform, and
    paged, so that a shared service's ten thousand accounts cost one page of rows. The filters and
    the page are the database's: a fixed handful of queries whatever the number of accounts."""
    institution = InstitutionSettings.objects.get_solo()
    official = _official()
    # The unit filter offers every unit that has an official account, and the units above them.
    paths = set(official.order_by().values_list("unit__path", flat=True).distinct())
    unit_ids = {unit_id for path in paths for unit_id in path_ids(path)}
    units = list(
        OrgUnit.objects.filter(pk__in=unit_ids).only("pk", "name", "name_en", "path").order_by("path")
    )
    labels = dict(Platform.choices)
    platforms = sorted(
        {
            (platform, other if platform == Platform.OTHER and other else str(labels.get(platform, platform)))
            for platform, other in official.order_by().values_list("platform", "platform_other").distinct()
        },
        key=lambda p: p[1].lower(),
    )
    chosen_unit = next((unit for unit in units if str(unit.pk) == request.GET.get("enhet", "")), None)
    chosen_platform = request.GET.get("plattform", "")
    if chosen_platform not in Platform.values:
        chosen_platform = ""
    shown = official
    if chosen_unit is not None:
        shown = shown.in_subtree(chosen_unit)
    if chosen_platform:
        shown = shown.filter(platform=chosen_platform)
    shown = (
        shown.select_related("unit")
        .only(
            "pk",
            "name",
            "handle",
            "url",
            "platform",
            "platform_other",
            "unit__name",
            "unit__name_en",
            "unit__path",
        )
        .order_by("unit__path", "platform", "name", "pk")
    )
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("sida"))
    rows = list(page.object_list)
    for account in rows:
        # The platform's name from the labels read once, not a translation lookup per row.
        account.platform_text = (
            account.platform_other
            if account.platform == Platform.OTHER and account.platform_other
            else labels.get(account.platform, account.platform)
        )
    filtered = chosen_unit is not None or bool(chosen_platform)
    context: dict[str, Any] = {
        "institution": institution.institution_name,
        "accounts": rows,
        "page": page,
        "total": page.paginator.count if not filtered else official.count(),
        "unit_options": [
            {"pk": unit.pk, "label": f"{'– ' * unit.depth}{unit.display_name}"} for unit in units
        ],
        "platforms": platforms,
        "chosen_unit": chosen_unit,
        "chosen_platform": chosen_platform,
        "filtered": filtered,
        "ambassadors": _current_ambassadors(),
    }
    return render(request, "accounts/official_accounts.html", context)


@login_not_required
@require_GET
def official_accounts_json(request: HttpRequest) -> JsonResponse:
    """The same list as JSON, for anyone to fetch from anywhere (CORS open, cached five minutes)."""
    institution = InstitutionSettings.objects.get_solo()
    payload = {
        "institution": institution.institution_name,
        "generated_at": timezone.localtime(timezone.now()).isoformat(timespec="seconds"),
        "accounts": [
            {
                "id": account.pk,
                "unit": account.unit.name,
                "platform": account.platform,
                "name": account.name,
                "url": account.url,
                "handle": account.handle,
            }
            for account in _official()
            .select_related("unit")
            .only("pk", "name", "handle", "url", "platform", "unit__name")
            .order_by("unit__path", "platform", "name", "pk")
        ],
        # KAU-PRIVATE: apart from the official accounts, and said to speak for themselves.
        "ambassadors_statement": str(AMBASSADOR_STATEMENT),
        "ambassadors": [
            {
                "name": ambassador.name,
                "kind": ambassador.kind,
                "unit": ambassador.unit.name,
                "account": ambassador.account.name if ambassador.account else None,
                "url": ambassador.account.url if ambassador.account else "",
                "from": ambassador.starts_on.isoformat(),
                "to": ambassador.ends_on.isoformat(),
            }
            for ambassador in _current_ambassadors()
        ],
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    response["Access-Control-Allow-Origin"] = "*"
    return response
