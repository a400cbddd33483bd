"""Registration numbers (*diarienummer*) of diary packages (KAU-DIARY-ACTION; offentlighets- och
sekretesslagen 5 kap.): the registrar records the number the registry gave a package, and corrects a
wrongly entered one with its reason; the same number on two packages is never silent. The decisions
behind them (the PDF is never rewritten, corrections are append-only rows) are in archive.registration.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from archive.models import DiaryNumberCorrection, DiaryPackage
from archive.registration import may_register, newer_version_exists
from core.history import record
from core.models import User

DIARY_NUMBER_MAX = 60
CORRECTION_REASON_MAX = 1000


def _checked_number(diary_number: str) -> str:
    """The registration number as stored: its spaces collapsed; required, at most 60 characters
    (ValidationError naming ``diary_number``). Kanalvakt never invents one."""
    number = " ".join(diary_number.split())
    if not number:
        raise ValidationError({"diary_number": _("Write the registration number the registry gave.")})
    if len(number) > DIARY_NUMBER_MAX:
        raise ValidationError(
            {
                "diary_number": _("A registration number has at most %(max)s characters.")
                % {"max": DIARY_NUMBER_MAX}
            }
        )
    return number


def packages_sharing(number: str, *, besides: DiaryPackage) -> list[DiaryPackage]:
    """The other packages that have ``number`` as their registration number (the index
    diary_number_idx)."""
    if not number:
        return []
    return list(DiaryPackage.objects.filter(diary_number=number).exclude(pk=besides.pk).order_by("pk"))


def shares_number() -> Exists:
    """Annotation: another package has the same registration number (the queue's warning badge)."""
    return Exists(
        DiaryPackage.objects.filter(diary_number=OuterRef("diary_number"))
        .exclude(diary_number="")
        .exclude(pk=OuterRef("pk"))
    )


def _refuse_unconfirmed_duplicate(number: str, package: DiaryPackage, *, confirmed: bool) -> None:
    """The same number on two packages is never silent (KAU-DIARY-ACTION): it may be right (two
    documents of one case), or a slip of the keyboard, so the registrar confirms it explicitly
    (ValidationError naming ``confirm_duplicate`` until then)."""
    others = packages_sharing(number, besides=package)
    if others and not confirmed:
        raise ValidationError(
            {
                "confirm_duplicate": _(
                    "Diary package %(packages)s already has the registration number %(number)s. Check "
                    "the number; if it is right, tick the box to confirm that the packages share it."
                )
                % {"packages": ", ".join(str(other.pk) for other in others), "number": number}
            }
        )


@transaction.atomic
def register_package(
    package: DiaryPackage,
    *,
    diary_number: str,
    by: User,
    now: datetime,
    confirm_duplicate: bool = False,
) -> DiaryPackage:
    """Record the registration number the registry gave the package (KAU-DIARY-ACTION).

    Only the registrar (archive.register_package; PermissionDenied otherwise). Kanalvakt never
    invents a number: it is required, at most 60 characters. Recording the same number again
    changes nothing; a different number for a registered package is refused (``correct_diary_number``
    corrects it, with a reason), as is registering a package a newer version of the same item has
    replaced. A number another package has already is refused unless ``confirm_duplicate``. The PDF
    is not rewritten (see the module's docstring); the number goes on the row and into the CSV and
    JSON.
    """
    if not may_register(by):
        raise PermissionDenied(_("Only the registrar records registration numbers."))
    locked = DiaryPackage.objects.select_for_update().get(pk=package.pk)
    number = _checked_number(diary_number)
    if locked.registered_at is not None:
        if locked.diary_number == number:
            return locked
        raise ValidationError(
            {
                "diary_number": _("The package is registered already, as %(number)s.")
                % {"number": locked.diary_number}
            }
        )
    if DiaryPackage.objects.filter(pk=locked.pk).filter(newer_version_exists()).exists():
        raise ValidationError(
            {"diary_number": _("A newer version of this package exists: register that one instead.")}
        )
    _refuse_unconfirmed_duplicate(number, locked, confirmed=confirm_duplicate)
    locked.diary_number, locked.registered_at, locked.registered_by = number, now, by
    record(locked, by=by, reason="registered")
    locked.save(update_fields=["diary_number", "registered_at", "registered_by"])
    return locked


@transaction.atomic
def correct_diary_number(
    package: DiaryPackage,
    *,
    diary_number: str,
    reason: str,
    by: User,
    now: datetime,
    confirm_duplicate: bool = False,
) -> DiaryNumberCorrection:
    """Correct a wrongly entered registration number (KAU-DIARY-ACTION), with the reason.

    Only the registrar (PermissionDenied otherwise), only for a registered package. The new number
    follows the rules of ``register_package`` and must differ from the current one; the reason is
    required. A number another package has is refused unless ``confirm_duplicate``. Every refusal
    names its field and changes nothing. The correction is an append-only row beside the package
    (DiaryNumberCorrection); the package's number changes, its PDF does not: the PDF is the record
    as sent, and the package page and the CSV and JSON show the current number and its corrections.
    """
    if not may_register(by):
        raise PermissionDenied(_("Only the registrar corrects registration numbers."))
    locked = DiaryPackage.objects.select_for_update().get(pk=package.pk)
    if locked.registered_at is None:
        raise ValidationError(
            {"diary_number": _("The package is not registered yet: record its registration number instead.")}
        )
    number = _checked_number(diary_number)
    errors: dict[str, str] = {}
    if number == locked.diary_number:
        errors["diary_number"] = _("The package has the registration number %(number)s already.") % {
            "number": number
        }
    reason = reason.strip()
    if not reason:
        errors["reason"] = _("Say why the registration number is corrected.")
    elif len(reason) > CORRECTION_REASON_MAX:
        errors["reason"] = _("Keep the reason within %(max)s characters.") % {"max": CORRECTION_REASON_MAX}
    if errors:
        raise ValidationError(errors)
    _refuse_unconfirmed_duplicate(number, locked, confirmed=confirm_duplicate)
    correction = DiaryNumberCorrection.objects.create(
        package=locked,
        old_number=locked.diary_number,
        new_number=number,
        reason=reason,
        corrected_by=by,
        corrected_at=now,
    )
    locked.diary_number = number
    record(locked, by=by, reason="registration number corrected")
    locked.save(update_fields=["diary_number"])
    return correction
