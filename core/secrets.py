"""Secrets at rest: the platforms' access tokens are stored encrypted (Fernet: AES-128-CBC with an
HMAC-SHA256, from the cryptography package), with a key from the environment.

``KANALVAKT_SECRETS_KEY`` is one Fernet key, or several separated by commas: the first encrypts, all
of them decrypt, so a key is changed by putting the new one first; a token is encrypted under the new
key when it is next replaced. On a
development machine a key is generated once into ``var/secrets_key`` like the secret key; under
production settings ``manage.py check --deploy`` refuses to pass without one (core.checks).

Losing the key loses the tokens, not the records: each connection is then reconnected.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret that no configured key opens (the key was changed or lost)."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _keys() -> list[str]:
    raw = getattr(settings, "KANALVAKT_SECRETS_KEY", "") or ""
    return [key.strip() for key in raw.split(",") if key.strip()]


def check_keys(raw: str) -> str | None:
    """Why ``raw`` is not a usable key list, or None."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        return "KANALVAKT_SECRETS_KEY is empty."
    for key in keys:
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return (
                "KANALVAKT_SECRETS_KEY must hold Fernet keys (32 bytes in URL-safe base64), separated by "
                "commas; make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
    return None


def _fernet() -> MultiFernet:
    keys = _keys()
    if not keys:
        raise ImproperlyConfigured("KANALVAKT_SECRETS_KEY is not set: secrets cannot be stored.")
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def encrypt(secret: str) -> str:
    """The secret encrypted under the first key, as text; the empty secret stays empty."""
    if not secret:
        return ""
    return _fernet().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    """The secret ``encrypt`` stored; SecretUnreadable when no configured key opens it."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable("no configured key opens this secret") from exc
