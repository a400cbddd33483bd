"""manage.py revoke_api_token <prefix-or-id>: revoke a connector's token; from then on it gets 401."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from moderation.models import ApiToken
from moderation.tokens import revoke_token


class Command(BaseCommand):
    help = "Revoke an API token, named by its id or by its prefix (as the token list shows it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", help="The token's id, or its prefix (kv_…).")

    def handle(self, *args: Any, **options: Any) -> None:
        key: str = options["token"].strip().rstrip("…")
        if key.isdigit():
            matches = list(ApiToken.objects.filter(pk=int(key)))
        else:
            matches = list(ApiToken.objects.filter(prefix=key)) if key else []
        if not matches:
            raise CommandError(f"No API token with id or prefix {key!r}.")
        if len(matches) > 1:
            raise CommandError(f"More than one token has the prefix {key!r}; give the id instead.")
        token = matches[0]
        if token.revoked_at is not None:
            self.stdout.write(f"Token {token.pk} ({token}) was already revoked.")
            return
        revoke_token(token, by=None, now=timezone.now())
        self.stdout.write(f"Revoked token {token.pk} ({token}).")
