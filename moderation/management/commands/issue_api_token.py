"""manage.py issue_api_token <name> [--account <id> ...]: issue a connector's token and print its secret.

Without --account the token writes to every account. The secret is printed once and never stored
(only its SHA-256), so copy it into the connector's configuration at once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Account
from moderation.tokens import issue_token


class Command(BaseCommand):
    help = "Issue an API token for a connector and print its secret (once). Every account unless --account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the token is for, e.g. the connector's name.")
        parser.add_argument(
            "--account",
            dest="accounts",
            action="append",
            type=int,
            default=[],
            metavar="ID",
            help="An account the token may write to; repeat for more. Without it: every account.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted: list[int] = sorted(set(options["accounts"]))
        accounts = list(Account.objects.filter(pk__in=wanted))
        missing = sorted(set(wanted) - {account.pk for account in accounts})
        if missing:
            raise CommandError(f"No account with id {', '.join(str(pk) for pk in missing)}.")
        try:
            token, secret = issue_token(
                name=options["name"], accounts=accounts, all_accounts=not wanted, by=None, now=timezone.now()
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        scope = "every account" if token.all_accounts else ", ".join(f"{a.pk} {a.name}" for a in accounts)
        self.stderr.write(f"Issued token {token.pk} ({token.prefix}…) for {scope}.")
        self.stderr.write("The secret below is shown only now; Kanalvakt keeps only its hash.")
        self.stdout.write(secret)
