"""The work around the items rather than on one: acknowledging alerts (one, or all but the threats),
"I'm handling this" and the bulk actions of "my queue". Every view gates on the same selectors as
the pages the forms are on: an alert or item the person may not act on is not found."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Account
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User
from moderation import handling, registration, services
from moderation.forms import BulkCloseForm
from moderation.models import Item
from moderation.routing import acknowledge_alert, acknowledge_alerts
from moderation.selectors import item_to_moderate, open_alerts_for

# --- The alerts ---------------------------------------------------------------------------------------


@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an alert off the start page. Only someone it reached may (the same gate as their start
    page: selectors.open_alerts_for); any other alert is not found."""
    user = signed_in(request)
    alert = get_object_or_404(open_alerts_for(user), pk=pk)
    acknowledge_alert(alert, by=user, now=timezone.now())
    messages.success(request, _("The alert is acknowledged."))
    return redirect(_safe_next(request) or "core:home")


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` page the form names, if it is on this site; else empty."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_POST
def alerts_acknowledge_all(request: HttpRequest) -> HttpResponse:
    """ "Acknowledge all": every open alert on the person's start page but the threats, which are
    acknowledged one by one (KAU-THREAT). The same gate as the start page (open_alerts_for)."""
    user = signed_in(request)
    done = acknowledge_alerts(list(open_alerts_for(user)), by=user, now=timezone.now())
    messages.success(
        request,
        ngettext("%(count)d alert is acknowledged.", "%(count)d alerts are acknowledged.", done)
        % {"count": done},
    )
    return redirect("core:home")


# --- "I'm handling this" and the bulk actions of the queue -------------------------------------------


def _handle(request: HttpRequest, pk: int, act: Callable[..., Item], done: str) -> HttpResponse:
    user = signed_in(request)
    item = item_to_moderate(user, pk)
    try:
        act(item, by=user, now=timezone.now())
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(_safe_next(request) or reverse("moderation:item", args=[item.pk]))


@require_POST
def item_take(request: HttpRequest, pk: int) -> HttpResponse:
    """ "I'm handling this": the others on the account see who has the item in hand, until it is
    answered, closed, removed or released, or the take lapses."""
    return _handle(request, pk, handling.take_item, _("You are handling the item."))


@require_POST
def item_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Nobody is handling the item any more: it is free for the others on the account."""
    return _handle(request, pk, handling.release_item, _("The item is released."))


BULK_ACTIONS = {"close", "take", "no_registration"}
BULK_MOST = 200  # four pages of the queue: more in one go is a slip, and one long transaction


def _chosen_items(request: HttpRequest, user: User) -> list[Item]:
    """The items chosen in the queue, every one on an account the person moderates, or 404: an item
    they may not moderate is refused as not found, and nothing is changed."""
    try:
        ids = {int(value) for value in request.POST.getlist("items")}
    except ValueError:
        raise Http404 from None
    items = list(
        Item.objects.filter(pk__in=ids, account__in=Account.objects.kept_by(user).values("pk"))
        .select_related("account", "taken_by")
        .order_by("due_at", "pk")
    )
    if len(items) != len(ids):
        raise Http404
    return items


@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Close the chosen items as needing no answer, take them, or decide that they need no
    registration (KAU-DIARY-NONE), after one confirmation page that lists them (no script needed).
    Every item or none, each in the item's own log."""
    user = signed_in(request)
    action = request.POST.get("action", "")
    back = _safe_next(request) or reverse("moderation:queue")
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose what to do with the chosen items."))
        return redirect(back)
    if len(request.POST.getlist("items")) > BULK_MOST:
        messages.error(request, _("Choose at most %(most)d items at a time.") % {"most": BULK_MOST})
        return redirect(back)
    items = _chosen_items(request, user)
    if not items:
        messages.error(request, _("Choose at least one item in the list."))
        return redirect(back)
    form = BulkCloseForm(request.POST if "confirm" in request.POST else None)
    if action == "close" and form.is_bound is False:
        form = BulkCloseForm(initial={"reason": _("Needs no answer.")})
    context = {"items": items, "action": action, "form": form, "next": back, "now": timezone.now()}
    if "confirm" not in request.POST:
        return render(request, "moderation/bulk_confirm.html", context)
    try:
        if action == "close":
            if not form.is_valid():
                return render(request, "moderation/bulk_confirm.html", context, status=400)
            handling.close_items(items, reason=form.cleaned_data["reason"], by=user, now=timezone.now())
            done = ngettext(
                "%(count)d item is closed without an answer.",
                "%(count)d items are closed without an answer.",
                len(items),
            )
        elif action == "no_registration":
            # KAU-DIARY-NONE: each item with its own link as where it is found.
            registration.decide_no_registration_items(items, by=user, now=timezone.now())
            done = ngettext(
                "%(count)d item is decided as needing no registration.",
                "%(count)d items are decided as needing no registration.",
                len(items),
            )
        else:
            handling.take_items(items, by=user, now=timezone.now())
            done = ngettext(
                "You are handling %(count)d item.", "You are handling %(count)d items.", len(items)
            )
    except ValidationError as exc:
        if action == "no_registration":
            context["refused"] = exc.messages
            return render(request, "moderation/bulk_confirm.html", context, status=400)
        if isinstance(exc, services.ItemNotOpen):
            context["refused"] = exc.messages
            return render(request, "moderation/bulk_confirm.html", context, status=409)
        add_service_errors(form, exc)
        return render(request, "moderation/bulk_confirm.html", context, status=400)
    messages.success(request, done % {"count": len(items)})
    return redirect(back)
