"""The forms of the connection page. connectors.services checks the rest (the token against the Graph
API) and saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from connectors.adapters import Adapter
from connectors.meta.oauth import NUMERIC_ID
from connectors.services import MAX_TOKEN


class _TokenField(forms.CharField):
    """An access token: never shown again, not even back in a refused form."""

    def __init__(self, *, required: bool = True) -> None:
        super().__init__(
            label=_("Access token"),
            required=required,
            max_length=MAX_TOKEN,
            strip=True,
            widget=forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "off", "spellcheck": "false", "size": "60"}
            ),
            help_text=_(
                "A system user's token from Meta Business Manager (Business settings > Users > System "
                "users > Generate new token), with the permissions listed below. Kanalvakt checks it "
                "with Meta, keeps it encrypted and never shows it again."
            ),
        )


class ConnectForm(forms.Form):
    """Connect by pasting a token: the page's or Instagram account's id, and the token. For a polled
    platform (``adapter``), its own identity, secret and, where it has many, the server."""

    server_url = forms.URLField(
        label=_("Server"),
        required=False,
        max_length=200,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )
    external_id = forms.CharField(
        label=_("Id on the platform"),
        max_length=200,
        strip=True,
        help_text=_(
            "The Facebook page's id (the page's About > Page transparency, or Business Manager), or the "
            "Instagram professional account's id: digits only."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    token = _TokenField(required=False)

    def __init__(self, *args: Any, adapter: Adapter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.adapter = adapter
        if adapter is None:
            del self.fields["server_url"]
            return
        external, token = self.fields["external_id"], self.fields["token"]
        external.label, external.help_text = adapter.identity_label, adapter.identity_help
        external.widget.attrs.pop("inputmode", None)
        token.label, token.help_text, token.required = adapter.secret_label, adapter.secret_help, True
        if adapter.needs_server:
            self.fields["server_url"].help_text = _(
                "The address of the account's server, e.g. %(example)s."
            ) % {"example": adapter.default_server or "https://mastodon.social"}
        else:
            del self.fields["server_url"]

    def clean_server_url(self) -> str:
        value = str(self.cleaned_data.get("server_url") or "").rstrip("/")
        if value and not value.startswith("https://") and not settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS:
            raise forms.ValidationError(_("Give the server's https address."))
        return value

    def clean_external_id(self) -> str:
        value = str(self.cleaned_data["external_id"])
        if self.adapter is not None:
            if not self.adapter.identity_pattern.fullmatch(value):
                raise forms.ValidationError(str(self.adapter.identity_help))
            return value
        if not NUMERIC_ID.fullmatch(value):
            raise forms.ValidationError(_("Give the page's or account's id on the platform: digits only."))
        return value


class TokenForm(forms.Form):
    """Replace the token of a live connection."""

    token = _TokenField()

    def __init__(self, *args: Any, adapter: Adapter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if adapter is not None:
            self.fields["token"].label = adapter.secret_label
            self.fields["token"].help_text = adapter.secret_help


class ChooseForm(forms.Form):
    """Which of the pages the Facebook user manages is the account (after Facebook Login)."""

    page = forms.ChoiceField(label=_("Page or account"), widget=forms.RadioSelect)

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["page"].choices = choices  # type: ignore[attr-defined]
