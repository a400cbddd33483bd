"""Forms of the bulk import: the file to read, and the confirmation of the preview it gave."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moderation.imports import MAX_BYTES, MAX_ROWS


class ImportUploadForm(forms.Form):
    """The file of items. Its size is checked before it is read; its content by moderation.imports."""

    file = forms.FileField(
        label=_("File of items"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,.txt,text/csv,application/json"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "A CSV file (comma or semicolon) or a JSON file, UTF-8, "
            "at most %(megabytes)s MB and %(rows)s items."
        ) % {"megabytes": MAX_BYTES // (1024 * 1024), "rows": MAX_ROWS}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB: split it and import the parts one at a time."),
                params={"limit": MAX_BYTES // (1024 * 1024)},
            )
        return upload


class ImportConfirmForm(forms.Form):
    """Confirms one preview: the file's SHA-256 must match the preview kept in the session."""

    digest = forms.CharField(widget=forms.HiddenInput, min_length=64, max_length=64)
