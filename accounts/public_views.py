"""The public list of the university's official accounts (KTH-PRIVATE).

Open to everyone, without signing in, so that the public and the press can check whether an account
speaking in the university's name is official. Only active accounts are listed, and only what the
accounts themselves show publicly: unit, platform, name, address and handle. Nothing internal: no
owners, deputies, flags or people's ids.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from accounts.models import Account, Platform
from governance.models import InstitutionSettings, OrgUnit

CACHE_SECONDS = 300


def _official_accounts() -> list[Account]:
    """Every active account with its unit, in tree order: one query. Paused, closing and closed
    accounts are not listed (KTH-PRIVATE: only what speaks in the university's name today)."""
    return list(
        Account.objects.filter(status=Account.Status.ACTIVE)
        .select_related("unit")
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


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


@login_not_required
@require_GET
def official_accounts(request: HttpRequest) -> HttpResponse:
    """The page: grouped by unit, filterable by unit (with the units below it) and by platform."""
    institution = InstitutionSettings.objects.get_solo()
    accounts = _official_accounts()
    # The unit filter offers every unit that has an official account, and the units above them.
    unit_ids = {unit_id for account in accounts for unit_id in _path_ids(account.unit.path)}
    units = list(
        OrgUnit.objects.filter(pk__in=unit_ids).only("pk", "name", "name_en", "path").order_by("path")
    )
    platforms = sorted(
        {(account.platform, account.platform_label) for account in accounts}, key=lambda p: str(p[1]).lower()
    )
    chosen_unit = next((unit for unit in units if str(unit.pk) == request.GET.get("enhet", "")), None)
    chosen_platform = request.GET.get("plattform", "")
    if chosen_platform not in Platform.values:
        chosen_platform = ""
    shown = [
        account
        for account in accounts
        if (chosen_unit is None or account.unit.path.startswith(chosen_unit.path))
        and (not chosen_platform or account.platform == chosen_platform)
    ]
    context: dict[str, Any] = {
        "institution": institution.institution_name,
        "accounts": shown,
        "total": len(accounts),
        "unit_options": [
            {"pk": unit.pk, "label": f"{'– ' * unit.depth}{unit.display_name}"} for unit in units
        ],
        "platforms": platforms,
        "chosen_unit": chosen_unit,
        "chosen_platform": chosen_platform,
        "filtered": chosen_unit is not None or bool(chosen_platform),
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
            for account in _official_accounts()
        ],
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    response["Access-Control-Allow-Origin"] = "*"
    return response
