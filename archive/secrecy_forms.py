"""Forms of the secrecy review (*sekretessprövning*, KAU-PUBLIC-RECORD). Forms validate;
archive.secrecy saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from archive.export_forms import SearchForm
from archive.models import Screenshot
from archive.secrecy import GROUND_MAX, GROUNDS, ITEM_FIELDS, NOTE_MAX, TEXT_MAX, WHOLE
from core.forms import DayField
from moderation.models import Item

OTHER = "other"


class OpenReviewForm(SearchForm):
    """The search's criteria (hidden, carried from the search page) and the request: who asked, when
    and its reference. The requester may be anonymous (TF 2 kap. 18 §)."""

    requester = forms.CharField(
        label=_("Requester"),
        required=False,
        max_length=TEXT_MAX,
        help_text=_(
            "Name or contact as given. Leave empty when the requester is anonymous: nobody has to "
            "say who they are or why they ask."
        ),
    )
    requested_on = DayField(
        label=_("Date of the request"),
        help_text=_("The day the request came in."),
        error_messages={"required": _("Enter the day the request came in.")},
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("The request's registration number, if it was registered."),
    )


def _item_label(item: Item) -> str:
    return str(_("Item %(number)s: %(author)s, %(account)s")) % {
        "number": item.pk,
        "author": item.author,
        "account": item.account.name,
    }


def _screenshot_label(shot: Screenshot) -> str:
    return str(_("Screenshot %(number)s: %(purpose)s, %(account)s")) % {
        "number": shot.pk,
        "purpose": shot.get_purpose_display(),
        "account": shot.account.name,
    }


class MarkForm(forms.Form):
    """One part not to be released (*Röjs ej*): a record of the review, the whole of it or one field
    of an item, and its legal ground from the list or written in."""

    record = forms.ChoiceField(label=_("Record"), help_text=_("An item or a screenshot of this review."))
    field = forms.ChoiceField(
        label=_("Part"),
        required=False,
        choices=[(WHOLE, _("The whole record")), *ITEM_FIELDS],
        help_text=_("A screenshot is withheld whole: parts of an image are not masked."),
    )
    ground = forms.ChoiceField(
        label=_("Legal ground"),
        choices=[
            ("", _("Choose a ground")),
            *[(value, format_lazy("{} – {}", value, label)) for value, label in GROUNDS],
            (OTHER, _("Another provision (write it below)")),
        ],
    )
    ground_other = forms.CharField(
        label=_("Other provision"),
        required=False,
        max_length=GROUND_MAX,
        help_text=_("For example “OSL 21 kap. 3 §”. Only when you chose another provision."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the ground applies, for the review's log. Not in the copy."),
    )

    def __init__(self, *args: Any, items: list[Item], screenshots: list[Screenshot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record = self.fields["record"]
        assert isinstance(record, forms.ChoiceField)
        record.choices = [
            ("", _("Choose a record")),
            *[(f"item:{item.pk}", _item_label(item)) for item in items],
            *[(f"screenshot:{shot.pk}", _screenshot_label(shot)) for shot in screenshots],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ground") == OTHER:
            other = " ".join((data.get("ground_other") or "").split())
            if not other:
                self.add_error("ground_other", _("Write the provision, or choose a ground from the list."))
            data["provision"] = other
        else:
            data["provision"] = data.get("ground") or ""
        record = data.get("record") or ""
        if record.startswith("screenshot:") and data.get("field"):
            self.add_error("field", _("A screenshot is withheld whole: choose “The whole record”."))
        return data

    def target(self) -> tuple[str, int]:
        """("item" or "screenshot", id) of the valid form."""
        kind, _sep, pk = self.cleaned_data["record"].partition(":")
        if kind not in {"item", "screenshot"} or not pk.isdigit():
            raise ValidationError({"record": _("Choose an item or screenshot of this review.")})
        return kind, int(pk)


class ReleaseForm(forms.Form):
    """To whom the copy goes, and the reviewer's confirmation."""

    recipient = forms.CharField(
        label=_("Released to"),
        max_length=TEXT_MAX,
        help_text=_(
            "To whom the copy is released, as it is sent: for example “Anna Andersson by e-mail” or "
            "“anonymous requester by e-mail”."
        ),
        error_messages={"required": _("Say to whom the copy is released.")},
    )
    confirm = forms.BooleanField(
        label=_("I have reviewed every record, and the marked parts are all that must be withheld."),
        error_messages={"required": _("Confirm the review before the release.")},
    )
