"""What every screenshot upload shares: the file field, the refusal of a body too large to read, and
the one way a kept image is served back.

Whether a file is an image Kanalvakt keeps is decided by core.images, which decodes it, never by
its name or its declared type; these helpers only keep a person from sending more than can be kept.
The name the person's file had is never used: files are stored under their content hash.
"""

from __future__ import annotations

import unicodedata
from typing import IO, Any

from django import forms
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _

from core.images import ALLOWED, MAX_BYTES

ACCEPT = "image/png,image/jpeg,image/webp"
# What a browser may do with a kept file opened on its own: nothing but show it. No script, style,
# frame, form or plugin runs in it, even if a browser were to read it as a page (KAU-PUBLIC-RECORD:
# evidence of prohibited content is itself hostile).
FILE_CSP = "default-src 'none'; img-src 'self'; frame-ancestors 'none'; sandbox"
SERVED_TYPES = frozenset(content_type for content_type, _extension in ALLOWED.values())
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


def image_response(handle: IO[bytes], *, content_type: str, filename: str) -> FileResponse:
    """A kept image, served as the image type core.images stored and never as anything else.

    ``nosniff`` keeps a browser from guessing another type, the policy sandboxes the file should it be
    opened on its own, and ``inline`` with a name of Kanalvakt's making (a hash, never the uploader's)
    shows it in the page. A type outside the three image types is refused by the caller's 404 and
    never reaches here.
    """
    if content_type not in SERVED_TYPES:
        raise ValueError(f"not an image type Kanalvakt serves: {content_type}")
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def display_name(name: str | None, *, limit: int = 100) -> str:
    """An uploaded file's name as it may be shown back on a page: its last path part, without control
    or format characters (a right-to-left override, U+202E, would make "bild<U+202E>gpj.exe" read as
    "bildexe.jpg"), and at most ``limit`` characters. Only ever shown, never used to store anything."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    shown = "".join(char for char in base if unicodedata.category(char) not in {"Cc", "Cf", "Cs"})
    return shown[:limit]
