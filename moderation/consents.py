"""The consent register for images and film (KAU-CONSENT, KAU-CREDIT): who may see it, and the one write
path of its records.

**Who.** Consents, crowd situations and photographer credits hold personal data, so they are seen only
by the people who need them (``*_visible_to``, one filter each): the owner and deputies of the accounts
a record is for, or of the accounts of its unit; the person who recorded it; and the communications
department and the social media lead (``moderation.view_all_consents``). Anyone else is told that the
record does not exist (404). The register's pages are for communicators, heads of unit, the
communications department and the social media lead (``may_use_register``).

**Never deleted.** A consent is withdrawn (a state, with who, when and how); the withdrawal lists the
posts that used it (``AffectedPost``), tells their account owner and deputies by e-mail and puts them
on their start page until each post is marked handled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from core.calendar import local_today
from core.history import record
from core.models import OrgUnit, User
from core.notifications import notify
from core.roles import Role, has_role
from core.todo import TodoSection
from moderation.consent_files import CleanFile, FileRefused, clean_file
from moderation.consent_models import ConsentQuerySet
from moderation.models import (
    AffectedPost,
    Consent,
    CrowdSituation,
    PhotographerCredit,
    PlannedPost,
    PostLink,
    Publication,
)

ALL = "moderation.view_all_consents"
NOTE_MAX = 5000
R = TypeVar("R", Consent, CrowdSituation, PhotographerCredit)

# --- Reads ---------------------------------------------------------------------------------------------


def may_use_register(user: Any) -> bool:
    """The register's pages: communicators, heads of unit, the communications department and the
    social media lead (KAU-CONSENT); not the registrar or the security officer as such."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(ALL) or has_role(user, Role.COMMUNICATOR, Role.HEAD_OF_UNIT)


def sees_everything(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.has_perm(ALL))


def _visible(queryset: QuerySet[R], user: Any) -> QuerySet[R]:
    """One filter: recorded by the person, for an account they keep, or of the unit of such an account."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.has_perm(ALL):
        return queryset
    kept = Account.objects.kept_by(user)
    through = queryset.model.accounts.through
    return queryset.filter(
        Q(recorded_by=user)
        | Q(pk__in=through.objects.filter(account__in=kept.values("pk")).values(_through_fk(queryset.model)))
        | Q(unit__in=kept.values("unit_id"))
    )


def _through_fk(model: type[models.Model]) -> str:
    return f"{model._meta.model_name}_id"


def consents_visible_to(user: Any) -> ConsentQuerySet:
    """The consents ``user`` may see (KAU-CONSENT): the register's one gate, for lists and pages."""
    return _visible(Consent.objects.all(), user)  # type: ignore[return-value]


def crowds_visible_to(user: Any) -> QuerySet[CrowdSituation]:
    return _visible(CrowdSituation.objects.all(), user)


def credits_visible_to(user: Any) -> QuerySet[PhotographerCredit]:
    return _visible(PhotographerCredit.objects.all(), user)


def accounts_for(user: Any) -> QuerySet[Account]:
    """The accounts ``user`` may record for, plan posts on and link: every account not closed for the
    communications department and the lead, otherwise the ones they keep (KAU-RESP-OWNER)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Account.objects.none()
    accounts = Account.objects.exclude(status=Account.Status.CLOSED)
    return (
        accounts if user.has_perm(ALL) else accounts.filter(pk__in=Account.objects.kept_by(user).values("pk"))
    )


def publications_visible_to(user: Any) -> QuerySet[Publication]:
    """The account's posts whose links ``user`` may see and change: those of ``accounts_for``."""
    return Publication.objects.filter(account__in=accounts_for(user).values("pk"))


def planned_visible_to(user: Any) -> QuerySet[PlannedPost]:
    return PlannedPost.objects.filter(account__in=accounts_for(user).values("pk"))


def or_404(queryset: QuerySet[Any], pk: int) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def links_of(*, publication: Publication | None = None, planned: PlannedPost | None = None) -> list[PostLink]:
    """The links of a post: a publication's own and those of the planned post it was published from."""
    condition = Q(pk__in=[])
    if publication is not None:
        condition |= Q(publication=publication) | Q(planned__publication=publication)
    if planned is not None:
        condition |= Q(planned=planned)
        if planned.publication_id:
            condition |= Q(publication_id=planned.publication_id)
    return list(PostLink.objects.filter(condition).select_related("consent", "crowd", "credit", "linked_by"))


def needs_credit(links: Iterable[PostLink], *, has_image: bool) -> bool:
    """KAU-CREDIT: a post with a photo (people in it, or a planned post said to have one) and no
    photographer credit or agreement linked."""
    links = list(links)
    pictured = has_image or any(link.consent_id or link.crowd_id for link in links)
    return pictured and not any(link.credit_id for link in links)


def affected_open_for(user: Any) -> QuerySet[AffectedPost]:
    """The posts affected by a withdrawal that ``user`` must act on: on the accounts they keep."""
    return AffectedPost.objects.filter(
        handled_at__isnull=True, account__in=Account.objects.kept_by(user).values("pk")
    ).select_related("consent", "account", "publication", "planned")


def affected_todo(user: Any, now: datetime) -> TodoSection | None:
    """The start page's posts to act on after a withdrawn consent (KAU-CONSENT); absent when none.
    One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    rows = list(affected_open_for(user).order_by("listed_at", "pk")[:50])
    if not rows:
        return None
    return TodoSection(
        key="consents",
        title=gettext_lazy("Posts affected by a withdrawn consent"),
        empty=gettext_lazy("No post waits for a decision after a withdrawn consent."),
        template="moderation/consent_todo.html",
        rows=rows,
        extra={"outcomes": AffectedPost.Outcome.choices},
    )


def consents_expiring(now: datetime) -> int:
    """Live figure (KAU-CONSENT): consents in force whose last day is within the next 30 days."""
    return Consent.objects.expiring(local_today(now)).count()


def withdrawn_unhandled(now: datetime) -> int:
    """Live figure (KAU-CONSENT): withdrawn consents with posts not yet marked handled."""
    return Consent.objects.filter(affected_posts__handled_at__isnull=True).distinct().count()


# --- Writes --------------------------------------------------------------------------------------------


def _check_where(user: User, *, unit: OrgUnit | None, accounts: list[Account]) -> None:
    if unit is None and not accounts:
        raise ValidationError({"accounts": _("Choose the accounts or the unit the record is for.")})
    allowed = set(accounts_for(user).values_list("pk", flat=True))
    if any(account.pk not in allowed for account in accounts):
        raise ValidationError({"accounts": _("Choose among the accounts you keep.")})
    if unit is not None and not sees_everything(user):
        units = set(Account.objects.kept_by(user).values_list("unit_id", flat=True))
        if unit.pk not in units:
            raise ValidationError({"unit": _("Choose the unit of an account you keep.")})


def _file(data: bytes | None, *, field: str) -> CleanFile:
    try:
        return clean_file(data or b"")
    except FileRefused as exc:
        raise ValidationError({field: str(exc)}) from exc


def _store(obj: Any, clean: CleanFile) -> None:
    obj.file_type, obj.file_extension, obj.file_sha256 = clean.content_type, clean.extension, clean.sha256
    name = obj.file.field.upload_to(obj, "upload")
    storage = obj.file.storage
    # Named by content: the same bytes are the same file. Written only once the file passed.
    obj.file.name = name if storage.exists(name) else storage.save(name, ContentFile(clean.data))


@transaction.atomic
def record_consent(
    *,
    person_name: str,
    material: str,
    social_media: bool,
    form: str,
    data: bytes | None,
    given_on: date,
    valid_until: date | None,
    unit: OrgUnit | None,
    accounts: list[Account],
    by: User,
    now: datetime,
) -> Consent:
    """Record a person's consent to publication in social media, with its signed form or digital
    confirmation (KAU-CONSENT). A file that is refused stores nothing."""
    if not may_use_register(by):
        raise Http404
    if not social_media:
        raise ValidationError({"social_media": _("The consent must cover publication in social media.")})
    if form not in Consent.Form.values:
        raise ValidationError({"form": _("Choose how the consent was given.")})
    if valid_until is not None and valid_until < given_on:
        raise ValidationError({"valid_until": _("The last day cannot be before the consent was given.")})
    _check_where(by, unit=unit, accounts=accounts)
    clean = _file(data, field="file")
    consent = Consent(
        person_name=person_name.strip(),
        material=material.strip(),
        social_media=True,
        form=form,
        given_on=given_on,
        valid_until=valid_until,
        unit=unit,
        recorded_at=now,
        recorded_by=by,
    )
    _store(consent, clean)
    record(consent, by=by, reason="consent recorded")
    consent.save()
    consent.accounts.set(accounts)
    return consent


@transaction.atomic
def change_consent(
    consent: Consent,
    *,
    person_name: str,
    material: str,
    valid_until: date | None,
    unit: OrgUnit | None,
    accounts: list[Account],
    by: User,
) -> Consent:
    """Correct a consent's particulars (KAU-CONSENT); the history keeps what it said before. A
    withdrawn consent is kept as it was."""
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("A withdrawn consent is kept as it was."))
    if valid_until is not None and valid_until < locked.given_on:
        raise ValidationError({"valid_until": _("The last day cannot be before the consent was given.")})
    _check_where(by, unit=unit, accounts=accounts)
    locked.person_name, locked.material = person_name.strip(), material.strip()
    locked.valid_until, locked.unit = valid_until, unit
    record(locked, by=by, reason="consent changed")
    locked.save()
    locked.accounts.set(accounts)
    return locked


@transaction.atomic
def withdraw_consent(consent: Consent, *, note: str, by: User, now: datetime) -> list[AffectedPost]:
    """Record that a consent was withdrawn (KAU-CONSENT): a state, never a deletion. Every post that
    used it is listed, and its account owner and deputies are told by e-mail and on their start page
    until they mark it handled (removed, image replaced, or kept with a reason)."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say how and when the consent was withdrawn.")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep the note under %(max)s characters.") % {"max": NOTE_MAX}})
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError(_("The consent is withdrawn already."))
    locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_note = now, by, note
    record(locked, by=by, reason="consent withdrawn")
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    affected: list[AffectedPost] = []
    seen: set[tuple[str, int]] = set()
    for link in locked.links.select_related("publication", "planned__publication").order_by("pk"):
        publication = link.publication or (link.planned.publication if link.planned else None)
        planned = None if publication else link.planned
        post_key = ("publication", publication.pk) if publication else ("planned", planned.pk)  # type: ignore[union-attr]
        if post_key in seen:
            continue
        seen.add(post_key)
        account_id = publication.account_id if publication else planned.account_id  # type: ignore[union-attr]
        row = AffectedPost(
            consent=locked, account_id=account_id, publication=publication, planned=planned, listed_at=now
        )
        record(row, by=by, reason="listed by a withdrawal")
        row.save()
        affected.append(row)
    by_account: dict[int, list[AffectedPost]] = {}
    for row in affected:
        by_account.setdefault(row.account_id, []).append(row)
    accounts = Account.objects.filter(pk__in=by_account).select_related("owner").prefetch_related("deputies")
    for account in accounts:
        notify(
            kind="consent_withdrawn",
            key=f"consent:{locked.pk}:withdrawn:account:{account.pk}",
            recipients=[account.owner, *account.deputies.all()],
            subject=gettext_lazy("A consent used on %(name)s is withdrawn"),
            subject_params={"name": account.name},
            template="emails/consent_withdrawn.txt",
            context={"account": account, "posts": by_account[account.pk]},
            url=reverse("core:home"),
        )
    return affected


@transaction.atomic
def mark_affected_handled(
    affected: AffectedPost, *, outcome: str, reason: str, by: User, now: datetime
) -> AffectedPost:
    """Record what was done with a post after its consent was withdrawn (KAU-CONSENT): removed on the
    platform, the image replaced, or kept with a reason. Done by the account owner or a deputy."""
    locked = AffectedPost.objects.select_for_update().select_related("account").get(pk=affected.pk)
    if not Account.objects.kept_by(by).filter(pk=locked.account_id).exists() and not sees_everything(by):
        raise Http404
    if locked.handled_at is not None:
        raise ValidationError(_("The post is marked handled already."))
    if outcome not in AffectedPost.Outcome.values:
        raise ValidationError({"outcome": _("Choose what was done with the post.")})
    reason = reason.strip()
    if outcome == AffectedPost.Outcome.KEPT and not reason:
        raise ValidationError({"reason": _("Say why the post is kept.")})
    locked.handled_at, locked.handled_by, locked.outcome, locked.reason = now, by, outcome, reason
    record(locked, by=by, reason="affected post handled")
    locked.save(update_fields=["handled_at", "handled_by", "outcome", "reason"])
    return locked


@transaction.atomic
def record_crowd(
    *,
    place: str,
    occurred_on: date,
    how_informed: str,
    objections: str,
    unit: OrgUnit | None,
    accounts: list[Account],
    by: User,
    now: datetime,
) -> CrowdSituation:
    """Record filming or photographing in a crowd (KAU-CONSENT): where, when, how people were informed,
    and the objections made."""
    if not may_use_register(by):
        raise Http404
    if not how_informed.strip():
        raise ValidationError({"how_informed": _("Say how the people there were informed.")})
    _check_where(by, unit=unit, accounts=accounts)
    crowd = CrowdSituation(
        place=place.strip(),
        occurred_on=occurred_on,
        how_informed=how_informed.strip(),
        objections=objections.strip(),
        unit=unit,
        recorded_at=now,
        recorded_by=by,
    )
    record(crowd, by=by, reason="crowd situation recorded")
    crowd.save()
    crowd.accounts.set(accounts)
    return crowd


@transaction.atomic
def add_objection(crowd: CrowdSituation, *, text: str, by: User, now: datetime) -> CrowdSituation:
    """Record an objection made in a crowd situation (KAU-CONSENT), appended with the date and who
    recorded it; the history keeps every version."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the objection.")})
    locked = CrowdSituation.objects.select_for_update().get(pk=crowd.pk)
    line = f"{local_today(now):%Y-%m-%d} ({by.get_full_name() or by.get_username()}): {text}"
    locked.objections = f"{locked.objections}\n{line}".strip()
    record(locked, by=by, reason="objection recorded")
    locked.save(update_fields=["objections"])
    return locked


@transaction.atomic
def record_credit(
    *,
    photographer: str,
    credit_line: str,
    no_credit_agreement: str,
    agreed_social_media: bool,
    agreement_note: str,
    data: bytes | None,
    unit: OrgUnit | None,
    accounts: list[Account],
    by: User,
    now: datetime,
) -> PhotographerCredit:
    """Record a photographer's credit line, or the agreement that replaces it, and their agreement to
    publication in social media with a kept file or a note (KAU-CREDIT)."""
    if not may_use_register(by):
        raise Http404
    if not credit_line.strip() and not no_credit_agreement.strip():
        raise ValidationError({"credit_line": _("Write the credit line, or the agreement not to credit.")})
    if not agreed_social_media:
        raise ValidationError(
            {"agreed_social_media": _("The photographer must have agreed to publication in social media.")}
        )
    if not data and not agreement_note.strip():
        raise ValidationError(
            {"agreement_note": _("Keep the agreement as a file, or describe it in a note.")}
        )
    _check_where(by, unit=unit, accounts=accounts)
    clean = _file(data, field="file") if data else None
    credit = PhotographerCredit(
        photographer=photographer.strip(),
        credit_line=credit_line.strip(),
        no_credit_agreement=no_credit_agreement.strip(),
        agreed_social_media=True,
        agreement_note=agreement_note.strip(),
        unit=unit,
        recorded_at=now,
        recorded_by=by,
    )
    if clean is not None:
        _store(credit, clean)
    record(credit, by=by, reason="photographer credit recorded")
    credit.save()
    credit.accounts.set(accounts)
    return credit


@transaction.atomic
def plan_post(
    account: Account, *, planned_for: date, description: str, has_image: bool, by: User, now: datetime
) -> PlannedPost:
    """A post planned on an account, so that its consents and credit are linked before it is published."""
    if not accounts_for(by).filter(pk=account.pk).exists():
        raise Http404
    post = PlannedPost(
        account=account,
        planned_for=planned_for,
        description=description.strip(),
        has_image=has_image,
        created_at=now,
        created_by=by,
    )
    record(post, by=by, reason="post planned")
    post.save()
    return post


@transaction.atomic
def link_published(planned: PlannedPost, *, publication: Publication, by: User) -> PlannedPost:
    """The planned post is published as ``publication`` (of the same account): its links now show on
    the publication, and a later withdrawal lists the publication."""
    locked = PlannedPost.objects.select_for_update().get(pk=planned.pk)
    if publication.account_id != locked.account_id:
        raise ValidationError({"publication": _("Choose a post of the same account.")})
    if locked.publication_id is not None:
        raise ValidationError({"publication": _("The planned post is linked to its publication already.")})
    if PlannedPost.objects.filter(publication=publication).exists():
        raise ValidationError({"publication": _("That post is linked to another planned post.")})
    locked.publication = publication
    record(locked, by=by, reason="published")
    locked.save(update_fields=["publication"])
    return locked


@transaction.atomic
def link_record(
    *,
    publication: Publication | None = None,
    planned: PlannedPost | None = None,
    consent: Consent | None = None,
    crowd: CrowdSituation | None = None,
    credit: PhotographerCredit | None = None,
    by: User,
    now: datetime,
) -> PostLink:
    """Link a post to a consent, a crowd situation or a photographer credit it relies on (KAU-CONSENT,
    KAU-CREDIT). Linking the same record twice keeps the first link. A withdrawn consent is refused."""
    if consent is not None and consent.withdrawn_at is not None:
        raise ValidationError({"consent": _("The consent is withdrawn and cannot be used.")})
    post = publication if publication is not None else planned
    record_ = consent or crowd or credit
    if post is None or record_ is None:
        raise ValidationError(_("Choose a post and a record to link."))
    account = Account.objects.get(pk=post.account_id)
    # KAU-CONSENT: a consent (or credit) covers the accounts and the unit it was given for, no others.
    covers = record_.unit_id == account.unit_id or record_.accounts.filter(pk=account.pk).exists()
    if not covers:
        raise ValidationError({"record": _("It was not given for this post's account.")})
    if consent is not None and consent.valid_until is not None and consent.valid_until < local_today(now):
        raise ValidationError({"consent": _("The consent is no longer valid.")})
    link, _created = PostLink.objects.get_or_create(
        publication=publication,
        planned=planned,
        consent=consent,
        crowd=crowd,
        credit=credit,
        defaults={"linked_at": now, "linked_by": by},
    )
    return link
