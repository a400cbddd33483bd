"""Forms of the moderation pages. Forms validate input; moderation.services saves.

Times are entered on the Stockholm wall clock (datetime-local inputs carry no zone), whatever the
server's or the browser's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.calendar import STOCKHOLM
from core.images import MAX_BYTES
from core.outbound import validate_public_url
from core.uploads import screenshot_field
from moderation.models import Alert, Classification, Item, Prohibited
from moderation.registration_models import Registration
from moderation.services import Triage, proposes_registration

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class StockholmDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as Europe/Stockholm, and shown on the same clock.

    Every such input is a time something happened (received, answered, taken): it is held to
    core.bounds, from 1990 up to five minutes from now (KAU-RESPONSE-DEADLINE).
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        # A nonexistent or ambiguous wall-clock time (the DST change) is refused by Django here.
        with timezone.override(STOCKHOLM):
            return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, datetime):
            bounds.check_time(value, now=timezone.now())

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, STOCKHOLM).replace(tzinfo=None, second=0, microsecond=0)
        return value


def time_done_field(label: Any) -> StockholmDateTimeField:
    """An optional time something was done (answered, taken); empty means now."""
    return StockholmDateTimeField(
        label=label, required=False, help_text=_("Swedish time. Leave empty for now.")
    )


def log_note_field() -> forms.CharField:
    """An optional note kept with the action in the item's log."""
    return forms.CharField(
        label=_("Note for the log"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _now_in_stockholm() -> datetime:
    return timezone.localtime(timezone.now(), STOCKHOLM).replace(second=0, microsecond=0)


class TriageFields(forms.Form):
    """How the moderator reads an item (KAU-PROHIBITED 1–6, KAU-DREV, KAU-THREAT, KAU-DIARY-ACTION).

    "Requires registration" is proposed for criticism and for prohibited content (KAU-DIARY-ACTION):
    the initial value comes from services.proposes_registration, and static/js/moderation.js ticks
    the box as soon as such a reading is chosen. The moderator decides.
    """

    classification = forms.ChoiceField(
        label=_("Classification"),
        required=False,
        choices=[("", _("Not classified yet")), *Classification.choices],
    )
    prohibited = forms.TypedMultipleChoiceField(
        label=_("Prohibited content (KAU-PROHIBITED)"),
        required=False,
        coerce=int,
        choices=[(code, f"{code}. {label}") for code, label in Prohibited.choices],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Content the university removes on discovery, after keeping a screenshot of it."),
    )
    pile_on_risk = forms.BooleanField(
        label=_("Risk of a pile-on (KAU-DREV)"),
        required=False,
        help_text=_("The central social media address is told at once."),
    )
    threat = forms.BooleanField(
        label=_("Threat (KAU-THREAT)"),
        required=False,
        help_text=_("The security officer is told at once."),
    )
    requires_registration = forms.BooleanField(
        label=_("Requires registration (KAU-DIARY-ACTION)"),
        required=False,
        help_text=_("Proposed for criticism and for posts that break laws or rules."),
    )

    TRIAGE_FIELDS = ("classification", "prohibited", "pile_on_risk", "threat", "requires_registration")

    def triage(self) -> Triage:
        data = self.cleaned_data
        return Triage(
            classification=data.get("classification") or "",
            prohibited=tuple(data.get("prohibited") or ()),
            pile_on_risk=bool(data.get("pile_on_risk")),
            threat=bool(data.get("threat")),
            requires_registration=bool(data.get("requires_registration")),
        )

    def has_triage(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.TRIAGE_FIELDS)


class ItemForm(TriageFields):
    """An item logged by hand, with its triage at once if the moderator already knows it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Item.Kind.choices, initial=Item.Kind.COMMENT)
    author = forms.CharField(
        label=_("Author"),
        max_length=200,
        help_text=_("The handle or name shown on the platform."),
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}))
    url = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("The address of the post or comment on the platform, starting with https://."),
        validators=[validate_public_url],  # an address Kanalvakt could never capture is refused here
    )
    platform_id = forms.CharField(
        label=_("Platform id"),
        required=False,
        max_length=200,
        help_text=_("Optional: the platform's own id, which keeps the same item from being logged twice."),
    )
    received_at = StockholmDateTimeField(
        label=_("Received"),
        help_text=_("When it was written or sent, Swedish time. The deadline counts from here."),
    )

    field_order = ["kind", "author", "text", "url", "platform_id", "received_at", *TriageFields.TRIAGE_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_at", _now_in_stockholm())

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "author": data["author"].strip(),
            "text": data["text"].strip(),
            "url": data.get("url") or "",
            "platform_id": (data.get("platform_id") or "").strip(),
            "received_at": data["received_at"],
            "triage": self.triage() if self.has_triage() else None,
        }


class TriageForm(TriageFields):
    """Classify an item already logged; a note is kept in the log."""

    prefix = "triage"

    note = log_note_field()

    @classmethod
    def for_item(cls, item: Item, **kwargs: Any) -> TriageForm:
        initial = {
            "classification": item.classification,
            "prohibited": list(item.prohibited),
            "pile_on_risk": item.pile_on_risk,
            "threat": item.threat,
            # KAU-DIARY-ACTION: proposed for criticism and prohibited content; the moderator decides.
            "requires_registration": item.requires_registration
            or proposes_registration(item.classification, item.prohibited),
        }
        return cls(initial=initial, **kwargs)


class AnswerForm(forms.Form):
    """The answer given on the platform: its text, and when (KAU-RESPONSE-TONE)."""

    prefix = "answer"

    answer = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        # KAU-RESPONSE-TONE, said where the answer is written.
        help_text=_("Professional, factual and open (KAU-RESPONSE-TONE)."),
    )
    answered_at = time_done_field(_("Answered"))


class CloseForm(forms.Form):
    """Close an item that needs no answer; the reason is kept."""

    prefix = "close"

    reason = forms.CharField(
        label=_("Why no answer is needed"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def screenshot_upload_field(*, label: Any, help_text: Any) -> forms.FileField:
    """A screenshot's file field, whose ``help_text`` names the largest size as %(limit)d MB."""
    return screenshot_field(label=label, help_text=help_text % {"limit": MAX_BYTES // (1024 * 1024)})


class ScreenshotUploadForm(forms.Form):
    """A screenshot and when it was taken; the subclass names the image field for what it shows.

    A plain file field: whether it is an image, and of which type, is decided by core.images, which
    decodes it, never by its name or its declared type.
    """

    field_order = ["image", "taken_at"]

    image: forms.FileField
    taken_at = time_done_field(_("Taken"))


class EvidenceForm(ScreenshotUploadForm):
    """A screenshot of the item, kept before it is removed (KAU-PROHIBITED-EVIDENCE)."""

    prefix = "evidence"

    image = screenshot_upload_field(
        label=_("Screenshot"),
        help_text=_("A PNG, JPEG or WebP image of the post as it appears, at most %(limit)d MB."),
    )


class RemoveForm(forms.Form):
    """Record that prohibited content was removed from the platform (KAU-PROHIBITED)."""

    prefix = "remove"

    note = log_note_field()


class EscalateForm(forms.Form):
    """Send the item to someone who must know, with the reason."""

    prefix = "escalate"

    target = forms.ChoiceField(
        label=_("Escalate to"),
        choices=[
            (Alert.Target.HEAD, Alert.Target.HEAD.label),
            (Alert.Target.CENTRAL, Alert.Target.CENTRAL.label),
            (Alert.Target.SECURITY, Alert.Target.SECURITY.label),
        ],
    )
    note = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class InboxFilterForm(forms.Form):
    """The inbox's status filter and search (GET). A value that is not valid is ignored."""

    STATUS_CHOICES = [
        ("open", _("Open")),
        ("done", _("Dealt with")),
        ("all", _("All")),
    ]

    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Author or text."),
    )

    def values(self) -> tuple[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("status") or "open", (data.get("q") or "").strip()


class QueueFilterForm(forms.Form):
    """The filters of "my queue" (GET): one of the person's accounts, a kind, a flag, overdue only.
    A value that is not valid is ignored, as in the inbox."""

    FLAG_CHOICES = [
        ("", _("Any")),
        ("any", _("Any flag")),
        ("threat", _("Threat")),
        ("pile_on", _("Pile-on risk")),
        ("prohibited", _("Prohibited content")),
    ]

    account = forms.TypedChoiceField(label=_("Account"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Item.Kind.choices])
    flag = forms.ChoiceField(label=_("Flagged"), required=False, choices=FLAG_CHOICES)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, accounts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", _("All your accounts")), *((a.pk, a.name) for a in accounts)]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The valid filters; a field whose value is not valid counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}


class BulkCloseForm(forms.Form):
    """The reason given for closing the chosen items as needing no answer; proposed, and editable."""

    prefix = "bulk"

    reason = forms.CharField(
        label=_("Why no answer is needed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RegistrationForm(forms.Form):
    """The registration decision of an item (KAU-DIARY-NONE, KAU-DIARY-ACTION): needs no registration,
    or requires it after all; why, and where the item is found on the platform. Left empty, the
    where-found note is the item's link (or, without one, its account, author and time)."""

    prefix = "registration"

    decision = forms.ChoiceField(
        label=_("Registration"),
        choices=[
            (Registration.NOT_NEEDED, _("Needs no registration (KAU-DIARY-NONE)")),
            (Registration.REQUIRED, _("Requires registration (KAU-DIARY-ACTION)")),
        ],
        initial=Registration.NOT_NEEDED,
        widget=forms.RadioSelect,
    )
    found_at = forms.CharField(
        label=_("Where it is found on the platform"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty for the item's link, or its account, author and time when it has none."),
    )
    reason = forms.CharField(
        label=_("Why (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    @classmethod
    def for_item(cls, item: Item, **kwargs: Any) -> RegistrationForm:
        """The form as the item's decision stands: its where-found note and reason to be changed."""
        initial = {"found_at": item.registration_found_at, "reason": item.registration_reason}
        if item.registration == Registration.REQUIRED:
            initial["decision"] = Registration.REQUIRED
        return cls(initial=initial, **kwargs)
