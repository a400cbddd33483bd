"""Validating a consent's or an agreement's file: a signed form scanned as PDF, or a photo or screenshot
of it (KAU-CONSENT, KAU-CREDIT). Pure: bytes in, bytes out, no ORM.

An image goes through core.images (decoded, re-encoded, EXIF and everything else dropped). A PDF is
opened with pikepdf and must be a whole, unencrypted document with at least one page; what could run
when it is opened (document JavaScript, open actions, additional actions, embedded files) is removed
before it is kept. The file's name and declared type are never trusted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from django.utils.translation import gettext as _

from core.images import MAX_BYTES, ImageRefused, normalise, sha256

PDF_TYPE = "application/pdf"
ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"


class FileRefused(ValueError):
    """The upload is not a file the register keeps; the message says why, for the person."""


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    content_type: str
    extension: str
    sha256: str


def clean_file(data: bytes) -> CleanFile:
    """A clean copy of an uploaded PDF or image, or FileRefused with the reason."""
    if not data:
        raise FileRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than %(limit)d MB.") % {"limit": MAX_BYTES // (1024 * 1024)})
    if data.lstrip()[:5] == b"%PDF-":
        clean = _clean_pdf(data)
        return CleanFile(data=clean, content_type=PDF_TYPE, extension="pdf", sha256=sha256(clean))
    try:
        image = normalise(data)
    except ImageRefused as exc:
        raise FileRefused(
            _("Only a PDF or a PNG, JPEG or WebP image is accepted. %(reason)s") % {"reason": exc}
        ) from exc
    return CleanFile(
        data=image.data, content_type=image.content_type, extension=image.extension, sha256=image.sha256
    )


def _clean_pdf(data: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise FileRefused(_("The PDF is protected by a password."))
            if len(pdf.pages) < 1:
                raise FileRefused(_("The PDF has no pages."))
            root = pdf.Root
            for key in ("/OpenAction", "/AA"):
                if key in root:
                    del root[key]
            names = root.get("/Names")
            if names is not None:
                for key in ("/JavaScript", "/EmbeddedFiles"):
                    if key in names:
                        del names[key]
            for page in pdf.pages:
                if "/AA" in page.obj:
                    del page.obj["/AA"]
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()
    except pikepdf.PasswordError as exc:
        raise FileRefused(_("The PDF is protected by a password.")) from exc
    except pikepdf.PdfError as exc:
        raise FileRefused(_("The PDF is damaged or incomplete.")) from exc
