"""The form to issue a connector's token. moderation.tokens enforces the rules and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class IssueTokenForm(forms.Form):
    """A name and a scope: some accounts, or every account."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the connector and the platform."),
    )
    every_account = forms.BooleanField(
        label=_("Every account"),
        required=False,
        help_text=_("The token may send items to every account, also accounts registered later."),
    )
    accounts = forms.ModelMultipleChoiceField(
        label=_("Accounts"),
        queryset=Account.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "The accounts the token may send items to. Hold Ctrl (⌘ on a Mac) to choose more than one."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = (  # type: ignore[attr-defined]
            Account.objects.exclude(status=Account.Status.CLOSED).order_by("name", "pk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        every, chosen = data.get("every_account"), data.get("accounts")
        if every and chosen:
            self.add_error("accounts", _("Choose accounts or every account, not both."))
        elif not every and not chosen and "accounts" not in self.errors:
            self.add_error("accounts", _("Choose at least one account, or every account."))
        return data
