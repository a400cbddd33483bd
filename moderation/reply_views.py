"""The saved replies' pages (*svarsmallar*): the communications department and the social media lead
list, add, change and retire them (KAU-RESPONSE-TONE). Anyone else is refused (403). A reply is
retired, never deleted: it leaves the item pages and stays in the list and its history.

Each view: the keeper (or 403), the reply (or 404), the form, one service call, redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import add_service_errors
from core.http import signed_in
from core.models import User
from moderation import replies
from moderation.models import SavedReply
from moderation.reply_forms import SavedReplyForm

FORM_TEMPLATE = "moderation/savedreply_form.html"


def _keeper(request: HttpRequest) -> User:
    user = signed_in(request)
    if not replies.may_keep_replies(user):
        raise PermissionDenied
    return user


@require_GET
def reply_list(request: HttpRequest) -> HttpResponse:
    """Every saved reply, in use first, with its unit and who changed it last: one query."""
    _keeper(request)
    rows = SavedReply.objects.select_related("unit", "updated_by").order_by("-active", "title", "pk")
    return render(request, "moderation/savedreply_list.html", {"replies": list(rows)})


@require_http_methods(["GET", "POST"])
def reply_add(request: HttpRequest) -> HttpResponse:
    user = _keeper(request)
    if request.method != "POST":
        return render(request, FORM_TEMPLATE, {"form": SavedReplyForm()})
    form = SavedReplyForm(request.POST)
    if form.is_valid():
        try:
            replies.add_saved_reply(**form.cleaned_data, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The saved reply is added."))
            return redirect("moderation:replies")
    return render(request, FORM_TEMPLATE, {"form": form}, status=400)


@require_http_methods(["GET", "POST"])
def reply_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _keeper(request)
    reply = get_object_or_404(SavedReply, pk=pk)
    if request.method != "POST":
        return render(request, FORM_TEMPLATE, {"form": SavedReplyForm.for_reply(reply), "reply": reply})
    form = SavedReplyForm(request.POST)
    if form.is_valid():
        try:
            replies.change_saved_reply(reply, **form.cleaned_data, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The saved reply is saved."))
            return redirect("moderation:replies")
    return render(request, FORM_TEMPLATE, {"form": form, "reply": reply}, status=400)


@require_POST
def reply_retire(request: HttpRequest, pk: int) -> HttpResponse:
    """Retire a reply, or take a retired one back into use ("active" in the form). Never deleted."""
    user = _keeper(request)
    reply = get_object_or_404(SavedReply, pk=pk)
    active = request.POST.get("active") == "1"
    replies.set_saved_reply_active(reply, active=active, by=user)
    if active:
        messages.success(request, _("The saved reply is in use again."))
    else:
        messages.success(request, _("The saved reply is retired. It is no longer offered."))
    return redirect("moderation:replies")
