"""The item page's actions on the platform: check an outcome that is unknown, try a refusal again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connectors import outgoing as service
from connectors.models import Outgoing
from core.http import signed_in
from moderation.selectors import items_visible_to, may_moderate


def _outgoing_to_act_on(request: HttpRequest, pk: int) -> Outgoing:
    """The row, if its item is visible to the person (else 404) and they moderate it (else 403)."""
    user = signed_in(request)
    outgoing = get_object_or_404(
        Outgoing.objects.select_related("item", "item__account"), pk=pk, item__in=items_visible_to(user)
    )
    if not may_moderate(user, outgoing.item.account):
        raise PermissionDenied
    return outgoing


@require_POST
def outgoing_check(request: HttpRequest, pk: int) -> HttpResponse:
    outgoing = _outgoing_to_act_on(request, pk)
    try:
        status = service.check(outgoing, by=signed_in(request), now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if status == Outgoing.Status.DONE:
            messages.success(request, _("Checked on the platform: it was done."))
        else:
            messages.warning(request, _("Checked on the platform: it was not done. You can try again."))
    return redirect("moderation:item", outgoing.item_id)


@require_POST
def outgoing_retry(request: HttpRequest, pk: int) -> HttpResponse:
    outgoing = _outgoing_to_act_on(request, pk)
    try:
        service.retry(outgoing, by=signed_in(request), now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("It will be sent to the platform again."))
    return redirect("moderation:item", outgoing.item_id)
