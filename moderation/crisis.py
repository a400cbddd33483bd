"""Crisis mode (KAU-CRISIS, KAU-ACCESS, KTH-COMPLEMENT): the one write path and the reads.

In a crisis the social channels are part of the crisis communication, always as a complement to the
intranet, the website and the press releases (KAU-CRISIS). So a crisis is declared with the link to
the information on the university's own website, which is required (KTH-COMPLEMENT, KAU-ACCESS:
third-party platforms cannot be controlled, so what matters is always on the website), and every
owner and deputy of an active account is told at once. While it is active, every signed-in page
carries its banner (``crisis_banner``, registered in core.banners), every queue its link, and its own
saved replies come first on every item. What each account published is logged; the crisis is ended
with a summary and stays as a record, never deleted.

The social media lead and the communications department hold ``moderation.declare_crisis``
(core.roles). The active crisis is read once per page at most: it is kept in Django's cache, emptied
when a crisis is declared or ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from accounts.selectors import is_owner_or_deputy
from core.banners import Banner
from core.history import record
from core.models import User
from core.notifications import Event, notify_many
from moderation.models import Crisis, CrisisLogEntry, SavedReply

PERMISSION = "moderation.declare_crisis"
CACHE_KEY = "moderation:active-crisis:1"
CACHE_SECONDS = 300  # a safety net: declaring and ending empty the cache at once
NO_CRISIS = "none"  # cached "no crisis", since the cache answers None for a missing key
_https_only = URLValidator(schemes=["https"])


@dataclass(frozen=True)
class ActiveCrisis:
    """What every page shows of the active crisis, as kept in the cache."""

    pk: int
    title: str
    what_happened: str
    website_url: str
    intranet_url: str
    declared_at: datetime


# --- Reads -----------------------------------------------------------------------------------------------


def may_declare(user: Any) -> bool:
    """The social media lead and the communications department declare and end a crisis (KAU-CRISIS)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(PERMISSION))


def may_log_for(user: Any, account: Account) -> bool:
    """An account's owner and deputies log what their account published; the lead and the
    communications department log for any account (KAU-CRISIS)."""
    return may_declare(user) or is_owner_or_deputy(user, account)


def loggable_accounts(user: Any) -> list[Account]:
    """The active accounts ``user`` may log a publication for, in one query."""
    accounts = Account.objects.filter(status=Account.Status.ACTIVE)
    if not may_declare(user):
        accounts = accounts.kept_by(user)
    return list(accounts.select_related("unit").order_by("name", "pk"))


def active_crisis() -> ActiveCrisis | None:
    """The active crisis, from the cache; on a miss one query, then kept (KAU-CRISIS banner)."""
    cached = cache.get(CACHE_KEY)
    if cached == NO_CRISIS:
        return None
    if isinstance(cached, ActiveCrisis):
        return cached
    row = Crisis.objects.active().first()
    found = (
        ActiveCrisis(
            pk=row.pk,
            title=row.title,
            what_happened=row.what_happened,
            website_url=row.website_url,
            intranet_url=row.intranet_url,
            declared_at=row.declared_at,
        )
        if row is not None
        else None
    )
    cache.set(CACHE_KEY, found or NO_CRISIS, CACHE_SECONDS)
    return found


def _forget_active() -> None:
    """Empty the cached crisis now (this request reads the change) and again after the commit (a
    page read meanwhile may have cached what was true before the commit)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def accounts_without_entry(crisis: Crisis) -> list[Account]:
    """The active accounts that have logged nothing in ``crisis`` yet, in one query (KAU-CRISIS)."""
    logged = CrisisLogEntry.objects.filter(crisis=crisis, account=OuterRef("pk"))
    return list(
        Account.objects.filter(status=Account.Status.ACTIVE)
        .exclude(Exists(logged))
        .select_related("unit", "owner")
        .order_by("name", "pk")
    )


def crisis_replies(crisis: Crisis) -> list[SavedReply]:
    return list(SavedReply.objects.filter(crisis=crisis).order_by("-active", "title", "pk"))


# --- Live figures for the policy page -------------------------------------------------------------------


def active_crises(now: datetime) -> int:
    """KAU-CRISIS: the crises active now (0 or 1)."""
    return Crisis.objects.filter(declared_at__lte=now, ended_at__isnull=True).count()


def accounts_not_logged_in_active_crisis(now: datetime) -> int:
    """KAU-CRISIS: the active accounts with no log entry in the active crisis (0 when there is none)."""
    crisis = Crisis.objects.filter(declared_at__lte=now, ended_at__isnull=True).first()
    if crisis is None:
        return 0
    logged = CrisisLogEntry.objects.filter(crisis=crisis, account=OuterRef("pk"))
    return Account.objects.filter(status=Account.Status.ACTIVE).exclude(Exists(logged)).count()


# --- Writes ----------------------------------------------------------------------------------------------


def _require_declarer(by: User) -> None:
    if not may_declare(by):
        raise PermissionDenied


def _https_url(value: str, field: str, *, required: bool) -> str:
    """KTH-COMPLEMENT: the crisis points to the university's own pages, over https."""
    value = value.strip()
    if not value:
        if required:
            raise ValidationError(
                {field: _("Give the link to the information on the university's own website.")}
            )
        return ""
    try:
        _https_only(value)
    except ValidationError:
        message = _("Give a full https address, e.g. https://www.kau.se/kris.")
        raise ValidationError({field: message}) from None
    return value


DECLARED_SUBJECT = gettext_lazy("Crisis: %(title)s")


@transaction.atomic
def declare_crisis(
    *,
    title: str,
    what_happened: str,
    website_url: str,
    intranet_url: str = "",
    by: User,
    now: datetime | None = None,
) -> Crisis:
    """Declare a crisis (KAU-CRISIS). The link to the information on the university's own website is
    required (KTH-COMPLEMENT, KAU-ACCESS), the intranet's optional, both https. One crisis is active
    at a time: a second is refused, by the database too (``crisis_one_active``). Every owner and
    deputy of an active account is told at once, in one batch of e-mails sent after the commit."""
    _require_declarer(by)
    now = now or timezone.now()
    title, what_happened = title.strip(), what_happened.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the crisis a title.")
    if not what_happened:
        errors["what_happened"] = _("Say briefly what happened.")
    try:
        website_url = _https_url(website_url, "website_url", required=True)
    except ValidationError as exc:
        errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    try:
        intranet_url = _https_url(intranet_url, "intranet_url", required=False)
    except ValidationError as exc:
        errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    if Crisis.objects.active().exists():
        raise ValidationError(_("A crisis is already active. End it before declaring another."))
    crisis = Crisis(
        title=title,
        what_happened=what_happened,
        website_url=website_url,
        intranet_url=intranet_url,
        declared_at=now,
        declared_by=by,
    )
    record(crisis, by=by, reason="declared")
    try:
        with transaction.atomic():  # a savepoint: losing the race leaves the caller's transaction usable
            crisis.save()
    except IntegrityError:
        raise ValidationError(_("A crisis is already active. End it before declaring another.")) from None
    _tell_owners_and_deputies(crisis, now=now)
    _forget_active()
    return crisis


def _tell_owners_and_deputies(crisis: Crisis, *, now: datetime) -> None:
    """Every owner and deputy of an active account, told once, in a fixed number of queries: the
    people in one query, then core.notifications' batch (the keys told, one insert per thousand)."""
    active = Account.objects.filter(status=Account.Status.ACTIVE)
    people = list(
        User.objects.filter(is_active=True)
        .filter(Q(owned_accounts__in=active) | Q(deputy_accounts__in=active))
        .distinct()
        .order_by("pk")
    )
    if not people:
        return
    event = Event(
        kind="crisis",
        key=f"crisis:{crisis.pk}:declared",
        recipients=people,
        subject=DECLARED_SUBJECT,
        subject_params={"title": crisis.title},
        template="crisis_declared.txt",
        context={"crisis": crisis},
        url=reverse("moderation:crisis", args=[crisis.pk]),
    )
    notify_many([event], now=now)


@transaction.atomic
def end_crisis(crisis: Crisis, *, summary: str, by: User, now: datetime | None = None) -> Crisis:
    """End the active crisis with a short summary, which is required (KAU-CRISIS). The banner is gone
    after it; the crisis and its log stay as a record, never deleted."""
    _require_declarer(by)
    summary = summary.strip()
    if not summary:
        raise ValidationError({"summary": _("Write a short summary of the crisis and what was done.")})
    crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
    if crisis.ended_at is not None:
        raise ValidationError(_("The crisis has already ended."))
    crisis.ended_at = max(now or timezone.now(), crisis.declared_at)
    crisis.ended_by, crisis.summary = by, summary
    record(crisis, by=by, reason="ended")
    crisis.save()
    _forget_active()
    return crisis


@transaction.atomic
def log_publication(
    crisis: Crisis,
    *,
    account: Account,
    where: str,
    url: str = "",
    text: str,
    published_at: datetime | None = None,
    by: User,
    now: datetime | None = None,
) -> CrisisLogEntry:
    """Log what ``account`` published during the crisis, where and when (KAU-CRISIS: each channel
    adapted to its audience). The account's owner and deputies log for it, the lead and the
    communications department for any; only while the crisis is active. Never changed or deleted."""
    if not may_log_for(by, account):
        raise PermissionDenied
    now = now or timezone.now()
    where, text = where.strip(), text.strip()
    errors: dict[str, str] = {}
    if not where:
        errors["where"] = _("Say where it was published, e.g. a post on Instagram.")
    if not text:
        errors["text"] = _("Say what was published.")
    if url.strip():
        try:
            url = _https_url(url, "url", required=False)
        except ValidationError as exc:
            errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    if published_at is not None and published_at > now:
        errors["published_at"] = _("The time of publishing cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
    if crisis.ended_at is not None:
        raise ValidationError(_("The crisis has ended; its log is closed."))
    entry = CrisisLogEntry(
        crisis=crisis,
        account=account,
        where=where,
        url=url.strip(),
        text=text,
        published_at=published_at or now,
        recorded_by=by,
        recorded_at=now,
    )
    record(entry, by=by, reason="logged")
    entry.save()
    return entry


@transaction.atomic
def add_crisis_reply(
    crisis: Crisis, *, title: str, text: str, by: User, now: datetime | None = None
) -> SavedReply:
    """Add a saved reply of the crisis, offered first on every item while it is active (KAU-CRISIS,
    KAU-RESPONSE-TONE); it should point to the website (KTH-COMPLEMENT)."""
    _require_declarer(by)
    title, text = title.strip(), text.strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the saved reply a title.")
    if not text:
        errors["text"] = _("Write the text of the saved reply.")
    if errors:
        raise ValidationError(errors)
    crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
    if crisis.ended_at is not None:
        raise ValidationError(_("The crisis has ended; its saved replies are no longer offered."))
    now = now or timezone.now()
    reply = SavedReply(
        title=title,
        text=text,
        unit=None,
        crisis=crisis,
        created_by=by,
        created_at=now,
        updated_by=by,
        updated_at=now,
    )
    record(reply, by=by, reason="added for the crisis")
    reply.save()
    return reply


# --- The banner on every page ------------------------------------------------------------------------------


def crisis_banner(request: Any) -> Banner | None:
    """The active crisis on every signed-in page, with the link to the university's website first
    (KAU-CRISIS, KTH-COMPLEMENT): from the cache, so a page pays one query at most."""
    crisis = active_crisis()
    if crisis is None:
        return None
    return Banner(
        key="crisis",
        heading=_("Crisis: %(title)s.") % {"title": crisis.title},
        text=_("The information is on the university's website; the social channels complement it."),
        url=reverse("moderation:crisis", args=[crisis.pk]),
        url_label=_("The crisis page and its log"),
        external_url=crisis.website_url,
        external_label=_("Information on the website"),
        urgent=True,
    )
