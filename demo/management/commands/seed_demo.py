"""manage.py seed_demo: a believable university to try Kanalvakt on. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from core.roles import sync_roles
from demo.accounts import seed_accounts, seed_registry
from demo.ambassadors import seed_ambassadors
from demo.archive import seed_packages
from demo.campaigns import seed_campaigns
from demo.consents import seed_consents
from demo.crisis import seed_crisis
from demo.governance import PEOPLE, seed_people, seed_requests, seed_units
from demo.moderation import seed_items
from demo.no_registration import seed_no_registration


class Command(BaseCommand):
    help = "Create demo data (units, one person per role, accounts, items). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even under production settings (the demo people have published passwords).",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError("Refusing to create demo people with known passwords in production.")
        now = timezone.now()
        with transaction.atomic():
            sync_roles()
            people = seed_people()
            units = seed_units(people)
            accounts = seed_accounts(people, units)
            items = seed_items(people, accounts, now=now)
            requests = seed_requests(people, units, now=now)
            registry = seed_registry(people, accounts, now=now)
            packages = seed_packages(now=now)
            seed_ambassadors(people, accounts, now=now)
            seed_campaigns(people, units, now=now)
            seed_no_registration(now=now)
            seed_consents(people, accounts, now=now)
            seed_crisis(people, accounts, now=now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(units)} units, {len(people)} people, {len(accounts)} accounts, "
                f"{items} new items, {requests} new requests, {registry} registry entries, "
                f"{packages} new diary packages."
            )
        )
        if not options["quiet_logins"]:
            self.stdout.write("Demo logins (user name / password):")
            for person in PEOPLE:
                self.stdout.write(f"  {person.username:<9} {person.password:<22} {person.description}")
