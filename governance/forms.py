from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.models import InstitutionSettings


class InstitutionSettingsForm(forms.ModelForm):
    class Meta:
        model = InstitutionSettings
        fields = [
            "institution_name",
            "social_media_address",
            "security_officer_address",
            "registry_address",
            "response_due_hours",
            "response_limit_hours",
            "startpage_interval_months",
            "followup_interval_months",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        due, limit = data.get("response_due_hours"), data.get("response_limit_hours")
        if due is not None and limit is not None and due > limit:
            self.add_error("response_limit_hours", _("The limit cannot come before the due time."))
        return data
