"""Build the 2021 demo scenario: python manage.py seed_demo [--subjects N] [--seed S] [--if-empty]."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from breachdesk.demo import seed_demo
from breachdesk.models import Incident
from notifications.services.demo import seed_demo_filings


class Command(BaseCommand):
    help = "Build the 2021 scenario: one processor, 27 labs, a breach file each, synthetic patients, one user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subjects", type=int, default=1350, help="synthetic patients in all (default 1350)")
        parser.add_argument("--seed", type=int, default=2021, help="random seed (same seed, same people)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when an incident exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo writes well-known passwords: it refuses to run in production.")
        if options["subjects"] < 0:
            raise CommandError("--subjects must be 0 or more.")
        if options["if_empty"] and Incident.objects.exists():
            self.stdout.write("Data already present: demo not seeded.")
            return
        now = timezone.now()
        result = seed_demo(
            subjects=options["subjects"],
            seed=options["seed"],
            now=now,
            on_lab_imported=lambda code, stored: self.stdout.write(f"  {code}: {stored} data subjects imported"),
        )
        filings = seed_demo_filings(incident=result.incident, now=now)
        self.stdout.write(
            f"Seeded {result.incident.reference}: {len(result.breach_files)} breach files, "
            f"{result.subjects} data subjects, {len(filings)} initial notification(s) filed."
        )
        self.stdout.write("Demo users (development only):")
        for username, password, role in result.credentials:
            self.stdout.write(f"  {username:<12} {password:<22} {role}")
