"""What the archive does about the policy's rules, for the policy page (core.policy). Registered from
ArchiveConfig.ready()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from archive.models import DiaryPackage
from archive.secrecy import may_review
from archive.secrecy_models import SecrecyReview
from core.policy import Figure, register

APP = "archive"


def packages_waiting_for_number(now: datetime) -> int:
    """KAU-DIARY-ACTION: diary packages the registry has not yet given a registration number."""
    return DiaryPackage.objects.filter(registered_at__isnull=True).count()


def open_secrecy_reviews(now: datetime) -> int:
    """KAU-PUBLIC-RECORD: requests for public records under secrecy review, not yet released."""
    return SecrecyReview.objects.filter(status=SecrecyReview.Status.OPEN).count()


def _reviews(user: Any) -> bool:
    """Requests for public records are the registrar's and the social media lead's business."""
    return may_review(user)


def register_rules() -> None:
    register(
        "KAU-PROHIBITED-EVIDENCE",
        app=APP,
        what=_(
            "An item cannot be removed until a screenshot of it is kept: the database refuses it. The "
            "screenshot is date-stamped and kept in the archive, and can be sent to the registry."
        ),
        where=("archive:search",),
    )
    register(
        "KAU-DIARY-ACTION",
        app=APP,
        what=_(
            "An item that needs registration gets a diary package: a PDF/A with date-stamped "
            "screenshots of the post and its replies, sent to the registry. The registrar records the "
            "registration number; Kanalvakt never invents one."
        ),
        where=("archive:registry_queue",),
        figures=(
            Figure(
                _("Diary packages waiting for a registration number"),
                packages_waiting_for_number,
                url="archive:registry_queue",
            ),
        ),
    )
    register(
        "KAU-STARTPAGE",
        app=APP,
        what=_(
            "Every day Kanalvakt takes the start-page screenshot itself where the platform allows it; "
            "otherwise it reminds the owner, and after the grace period the deputies and the head of "
            "unit. Each screenshot is kept in the archive."
        ),
        where=("accounts:list",),
    )
    register(
        "KAU-PUBLIC-RECORD",
        app=APP,
        what=_(
            "The archive can be searched and exported (BagIt or E-ARK). A request for public records "
            "is answered after a secrecy review, and records are disposed of only by an approved "
            "disposal list."
        ),
        where=("archive:search", "archive:secrecy_reviews", "archive:exports", "archive:retention"),
        figures=(
            Figure(
                _("Secrecy reviews under way"),
                open_secrecy_reviews,
                url="archive:secrecy_reviews",
                visible=_reviews,
            ),
        ),
    )
    register(
        "KAU-DIARY-NONE",
        app=APP,
        what=_(
            "The archive search finds items that need no registration by the same words as registered "
            "ones, filters by the registration decision and shows where each item is found; exports "
            "carry the decision."
        ),
        where=("archive:search",),
    )
