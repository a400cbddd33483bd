"""The registration decision on the item page (KAU-DIARY-NONE, KAU-DIARY-ACTION): the item the person
moderates (else 404, or 403 for those who only read it), the form, one service call, back to the
item. The one-click "Needs no registration" posts only the decision: the where-found note is then
the item's link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from moderation import registration
from moderation.forms import RegistrationForm
from moderation.views import _act


@require_POST
def item_registration(request: HttpRequest, pk: int) -> HttpResponse:
    """Decide whether the item is registered: needs no registration (KAU-DIARY-NONE), with where it is
    found, or requires registration after all (KAU-DIARY-ACTION). Either is one line in its log."""
    return _act(
        request,
        pk,
        RegistrationForm,
        "registration_form",
        lambda user, item, data: registration.decide_registration(
            item,
            decision=data["decision"],
            reason=data.get("reason") or "",
            found_at=data.get("found_at") or "",
            by=user,
            now=timezone.now(),
        ),
        _("The registration decision is saved."),
    )
