"""What every screenshot upload shares: the file field, and the refusal of a body too large to read.

Whether a file is an image Kanalvakt keeps is decided by archive.images, which decodes it, never by
its name or its declared type; these helpers only keep a person from sending more than can be kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _

from archive.images import MAX_BYTES

ACCEPT = "image/png,image/jpeg,image/webp"
# The image itself may be MAX_BYTES; the multipart envelope and the other fields need a little more.
UPLOAD_LIMIT = MAX_BYTES + 256 * 1024


def screenshot_field(*, label: Any, help_text: Any) -> forms.FileField:
    """A file field for a screenshot: the browser offers only images, the server trusts nothing."""
    return forms.FileField(
        label=label, help_text=help_text, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )


def too_large_message() -> str:
    return _("The file is larger than %(limit)d MB.") % {"limit": MAX_BYTES // (1024 * 1024)}


def declared_too_large(request: HttpRequest) -> bool:
    """Whether the request says it is larger than any screenshot: refused before its body is read."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > UPLOAD_LIMIT
    except ValueError:
        return False
