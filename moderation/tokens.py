"""The connectors' API tokens: issuing, revoking, and recognising a secret.

A token is shown once, when issued, and stored only as the SHA-256 of its secret, so a copy of the
database gives nobody a working key. The social media lead issues and revokes tokens; every change
is recorded in the token's history with who and why. A token is never deleted: the items a
connector brought in keep their provenance.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core.history import record
from core.models import User
from moderation.models import ApiToken

SECRET_PREFIX = "kv_"  # noqa: S105 (a marker that names the kind of secret, not a secret)
PREFIX_LENGTH = len(SECRET_PREFIX) + 8  # what the list shows to tell tokens apart; fits ApiToken.prefix
# A secret longer than this is not ours; refuse it before hashing anything an attacker sends.
MAX_SECRET_LENGTH = 200
# last_used_at is bookkeeping, not history: written at most this often, without a history row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored for ``secret``. A secret from token_urlsafe(32) has 256 bits of
    entropy, so a plain (unsalted, fast) hash is enough: there is nothing to guess."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(
    *,
    name: str,
    accounts: Iterable[Account] = (),
    all_accounts: bool = False,
    by: User | None,
    now: datetime,
) -> tuple[ApiToken, str]:
    """Issue a connector's token that writes to ``accounts``, or to every account with ``all_accounts``.

    Returns the token and its secret. The secret is not stored (only its SHA-256) and cannot be shown
    again: the caller shows it once.
    """
    name = name.strip()
    chosen = list(accounts)
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the connector it is for.")})
    if all_accounts and chosen:
        raise ValidationError({"accounts": _("Choose accounts or every account, not both.")})
    if not all_accounts and not chosen:
        raise ValidationError({"accounts": _("Choose at least one account, or every account.")})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        all_accounts=all_accounts,
        created_at=now,
        created_by=by,
    )
    token.full_clean()
    record(token, by=by, reason="issued")
    token.save()
    if chosen:
        token.accounts.set(chosen)
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User | None, now: datetime) -> ApiToken:
    """Revoke a token: from now on it is refused (401). A token already revoked keeps its first
    revocation; revoking it again changes nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = now
    locked.revoked_by = by
    record(locked, by=by, reason="revoked")
    locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def authenticate(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token whose secret is ``secret``, or None.

    The lookup is by the secret's SHA-256 in a unique index: what the database compares is a hash the
    caller cannot steer byte by byte, so the lookup's timing reveals nothing about a stored secret;
    the final comparison is constant-time as well. ``last_used_at`` is updated at most once a minute,
    with a plain UPDATE (no history row).
    """
    if not secret or len(secret) > MAX_SECRET_LENGTH or not secret.isascii():
        return None
    digest = hash_secret(secret)
    token = ApiToken.objects.filter(secret_hash=digest, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return None
    now = now or timezone.now()
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def may_write(token: ApiToken, account: Account) -> bool:
    """Whether ``token`` may send items to (and read items of) ``account``."""
    if not token.is_active:
        return False
    if token.all_accounts:
        return True
    return ApiToken.accounts.through.objects.filter(apitoken_id=token.pk, account_id=account.pk).exists()
