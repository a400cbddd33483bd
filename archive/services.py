"""Every change to the archive goes through here."""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import Account
from archive.images import normalise
from archive.models import Screenshot, screenshot_path
from core.models import User


@transaction.atomic
def store_screenshot(
    account: Account,
    *,
    data: bytes,
    purpose: str,
    by: User | None,
    now: datetime,
    item: object | None = None,
    taken_at: datetime | None = None,
    source: str = Screenshot.Source.UPLOAD,
    source_url: str = "",
    taken_from: str = "",
) -> Screenshot:
    """Keep a screenshot as a public record (KAU-PROHIBITED-EVIDENCE, KAU-DIARY-ACTION, KAU-STARTPAGE).

    The image is validated and cleaned first (archive.images.normalise raises ImageRefused with the
    reason); a refused upload stores nothing, neither a row nor a file. The SHA-256 is computed here,
    when the image arrives, with who, when and from where.
    """
    clean = normalise(data)
    shot = Screenshot(
        account=account,
        item=item,  # type: ignore[misc]
        purpose=purpose,
        source=source,
        source_url=source_url,
        content_type=clean.content_type,
        extension=clean.extension,
        width=clean.width,
        height=clean.height,
        size=len(clean.data),
        sha256=clean.sha256,
        received_sha256=clean.received_sha256,
        taken_at=taken_at or now,
        taken_by=by,
        taken_from=taken_from[:100],
    )
    # The file is written before the row; should the transaction roll back, the orphan file is named
    # by its hash and harmless, and a later upload of the same image reuses it rather than writing a
    # copy under a new name (the content, hence the name, is the same).
    name = screenshot_path(shot, "upload")
    if shot.image.storage.exists(name):
        shot.image.name = name
    else:
        shot.image.save("upload", ContentFile(clean.data), save=False)
    shot.save()
    return shot
