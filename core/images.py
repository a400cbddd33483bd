"""Validating and normalising an uploaded screenshot. Pure: bytes in, bytes out, no ORM.

An upload is trusted for nothing its name or its declared type says. Pillow decodes it fully; only a
real PNG, JPEG or WebP within the size and pixel limits passes. A decompression bomb, a truncated
file and anything else (SVG, HTML, PDF renamed .jpg) is refused with a reason a person can act on.
An animated image is refused too: a screenshot is one still picture, and keeping only its first frame
would silently keep less than the person meant to keep.
What passes is re-encoded from its pixels alone, into a new image that carries nothing else: EXIF
(with any GPS position), XMP, PNG text chunks, JPEG comments and anything appended after the image
(an HTML page, a ZIP archive, a PDF) are dropped. An embedded colour profile is applied (converted to
sRGB) and then dropped too; CMYK, 16-bit and palette images become 8-bit RGB, transparency is
flattened onto white. The stored file is therefore always a clean image that a browser shows as an
image and nothing else.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a full-page capture of a long feed, at most about 1,600 by 25,000 pixels
ALLOWED = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}


class ImageRefused(ValueError):
    """The upload is not an image Kanalvakt keeps; the message says why, for the person."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    received_sha256: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalise(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """A clean, re-encoded copy of an uploaded image, or ImageRefused with the reason."""
    if not data:
        raise ImageRefused(_("The file is empty."))
    if len(data) > max_bytes:
        raise ImageRefused(_("The file is larger than %(limit)d MB.") % {"limit": max_bytes // (1024 * 1024)})
    try:
        with warnings.catch_warnings():
            # Pillow warns before it refuses; a bomb must be an error at any size over the limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in ALLOWED:
                    raise ImageRefused(_("Only PNG, JPEG and WebP images are accepted."))
                if probe.width * probe.height > max_pixels:
                    raise ImageRefused(_("The image has too many pixels."))
                if getattr(probe, "is_animated", False):
                    raise ImageRefused(_("Animated images are not accepted: upload a still screenshot."))
                probe.load()  # decodes every byte: a truncated file fails here
                image = ImageOps.exif_transpose(probe)  # keep what the person saw, then drop EXIF
                image = _to_srgb(image)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(_("The image has too many pixels.")) from exc
    except UnidentifiedImageError as exc:
        raise ImageRefused(
            _("The file is not an image. Only PNG, JPEG and WebP images are accepted.")
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(_("The image is damaged or incomplete.")) from exc
    image = _pixels_only(_flatten(image))
    content_type, extension = ALLOWED[kind]
    out = io.BytesIO()
    if kind == "JPEG":
        image.save(out, "JPEG", quality=92, optimize=True)
    elif kind == "WEBP":
        image.save(out, "WEBP", lossless=True)
    else:
        image.save(out, "PNG", optimize=True)
    clean = out.getvalue()
    return CleanImage(
        data=clean,
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
        sha256=sha256(clean),
        received_sha256=sha256(data),
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """The image in sRGB when it carries a colour profile, so that dropping the profile keeps its colours.
    A profile that cannot be read is ignored (and dropped with the rest of the metadata)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in {"RGB", "RGBA", "CMYK"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image with the same pixels and nothing else: no EXIF, XMP, ICC, text or comment can ride
    along into the saved file (Pillow writes some of ``info`` back when it saves, e.g. a JPEG comment)."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _flatten(image: Image.Image) -> Image.Image:
    """8-bit RGB with no alpha: transparency onto white, CMYK, 16-bit and palettes converted."""
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N"}:
        # Pillow clips 16-bit values when converting straight to RGB (a 16-bit grey screenshot would be
        # all white): scale to 8 bits first.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    if image.mode != "RGB":
        return image.convert("RGB")
    return image.copy()
