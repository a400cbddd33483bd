"""The threat cases (KAU-THREAT): the list of open and closed cases and one case, with its item, its
record and the form to add a note or record an action. For the security officer and the social media
lead (moderation.cases.may_handle_cases); to anyone else neither the pages nor a case exist (404).

The list is short (threats are rare) but still paged by key (opened_at, id), newest first, open
cases in their own table above the closed ones; a page costs the same few queries however many
cases there are.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.forms import add_service_errors
from core.http import signed_in
from moderation.cases import (
    ACTIONS,
    NOTE_MAX,
    case_or_404,
    cases_visible_to,
    may_handle_cases,
    record_case_entry,
)
from moderation.models import ThreatCase, ThreatCaseEntry

CASES_SHOWN = 100


class CaseEntryForm(forms.Form):
    """A note or an action on a threat case; moderation.cases.record_case_entry decides."""

    kind = forms.ChoiceField(
        label=gettext_lazy("What to record"),
        widget=forms.RadioSelect,
        initial=ThreatCaseEntry.Kind.NOTE,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Required for a note; optional with an action. Kept with your name and the time."
        ),
    )

    def __init__(self, *args: Any, case: ThreatCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ThreatCaseEntry.Kind.choices)
        offered = (
            [ThreatCaseEntry.Kind.REOPENED]
            if case.closed_at is not None
            else [kind for kind in ACTIONS if kind != ThreatCaseEntry.Kind.REOPENED]
        )
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(kind.value, labels[kind]) for kind in offered]
        self.fields["kind"].initial = offered[0].value


def _case_page(
    request: HttpRequest, case: ThreatCase, form: CaseEntryForm, *, status: int = 200
) -> HttpResponse:
    entries = list(case.entries.select_related("by").order_by("at", "pk"))
    steps = [
        (kind, ThreatCaseEntry.Kind(kind).label, next((e for e in reversed(entries) if e.kind == kind), None))
        for kind in (
            ThreatCaseEntry.Kind.POLICE_REPORT,
            ThreatCaseEntry.Kind.RISK_ASSESSMENT,
            ThreatCaseEntry.Kind.TARGET_INFORMED,
        )
    ]
    alerts = list(case.item.alerts.select_related("acknowledged_by").order_by("created_at", "pk"))
    context = {
        "case": case,
        "item": case.item,
        "entries": entries,
        "steps": steps,
        "alerts": alerts,
        "form": form,
    }
    return render(request, "moderation/threatcase_detail.html", context, status=status)


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """Every threat case, open ones first (KAU-THREAT)."""
    user = signed_in(request)
    if not may_handle_cases(user):
        raise Http404
    cases = cases_visible_to(user).order_by("-opened_at", "-pk")
    open_cases = list(cases.filter(closed_at__isnull=True)[:CASES_SHOWN])
    closed_cases = list(cases.filter(closed_at__isnull=False)[:CASES_SHOWN])
    return render(
        request,
        "moderation/threatcase_list.html",
        {"open_cases": open_cases, "closed_cases": closed_cases, "shown": CASES_SHOWN},
    )


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: the item as written, who handles it, what has been done, and the form."""
    case = case_or_404(signed_in(request), pk)
    return _case_page(request, case, CaseEntryForm(case=case))


@require_POST
def case_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a note or record an action; a refusal is shown on the field it names and nothing changes."""
    user = signed_in(request)
    case = case_or_404(user, pk)
    form = CaseEntryForm(request.POST, case=case)
    if not form.is_valid():
        return _case_page(request, case, form, status=400)
    try:
        entry = record_case_entry(
            case, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"], by=user, now=timezone.now()
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _case_page(request, case, form, status=400)
    messages.success(request, _("Recorded: %(what)s.") % {"what": entry.get_kind_display()})
    return redirect("moderation:case", pk=case.pk)
