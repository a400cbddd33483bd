"""The e-mail settings page: each person chooses, per kind of e-mail, at once or a digest (core.digests).
Every signed-in person has one, and only their own: there is no id in the address to try."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.digests import ALWAYS_AT_ONCE, KIND_LABELS, choosable_kinds
from core.forms import add_service_errors
from core.http import signed_in
from core.models import NotificationPreference
from core.services import set_email_preferences


class EmailPreferencesForm(forms.Form):
    """One choice per kind a digest may hold; set_email_preferences decides."""

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in choosable_kinds():
            self.fields[kind] = forms.ChoiceField(
                label=KIND_LABELS[kind],
                choices=NotificationPreference.Cadence.choices,
                initial=current.get(kind, NotificationPreference.Cadence.AT_ONCE),
            )


@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    current = dict(NotificationPreference.objects.filter(person=user).values_list("kind", "cadence"))
    form = EmailPreferencesForm(request.POST or None, current=current)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                set_email_preferences(user, choices=dict(form.cleaned_data), now=timezone.now())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your e-mail settings are saved."))
                return redirect("core:email_settings")
        status = 400
    always = [KIND_LABELS[kind] for kind in KIND_LABELS if kind in ALWAYS_AT_ONCE]
    return render(request, "core/email_settings.html", {"form": form, "always": always}, status=status)
