"""manage.py connect_account <account id> --platform facebook|instagram --external-id <id>
[--token-file F]: connect an account from a script, as the connection page does (connectors.services).

The token is read from a file (``-`` for standard input), never from the command line, where it would
show in the process list and the shell's history. Without a token the connection receives webhooks but
cannot answer. A refusal prints why and exits with 1; nothing is stored.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Account
from connectors.models import Platform
from connectors.services import MAX_TOKEN, connect


class Command(BaseCommand):
    help = "Connect a registered account to its Facebook page or Instagram account (token from a file)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviations: "--token EAA…" must be refused, not read as --token-file (and the token
        # would be in the process list all the same).
        return super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", type=int, help="The account's id in the registry.")
        parser.add_argument("--platform", required=True, choices=Platform.values)
        parser.add_argument("--external-id", required=True, help="The page's or Instagram account's id.")
        parser.add_argument(
            "--token-file",
            default="",
            metavar="F",
            help="A file holding the access token ('-' for standard input). Without it: no token.",
        )

    def _token(self, name: str) -> str:
        if not name:
            return ""
        try:
            raw = sys.stdin.read(MAX_TOKEN + 2) if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"The token file could not be read: {exc.__class__.__name__}.") from None
        token = raw.strip()
        if not token:
            raise CommandError("The token file is empty.")
        return token

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"No account with id {options['account']}.")
        token = self._token(options["token_file"])
        try:
            connection = connect(
                account,
                platform=options["platform"],
                external_id=options["external_id"],
                token=token,
                by=None,
                now=timezone.now(),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Connected {account.name} (account {account.pk}) to {connection.get_platform_display()} "
            f"{connection.external_id}"
            + (f" ({connection.name_on_platform})" if connection.name_on_platform else "")
            + f": {connection.get_health_display()}"
            + (f", {connection.get_cause_display()}." if connection.cause else ".")
        )
