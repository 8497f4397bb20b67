"""Remove a user's second factor, so that they set up a new authenticator at their next login."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk.commands import EXIT_USAGE
from breachdesk.models import User
from breachdesk.signin.mfa import reset_second_factor
from breachdesk.signin.sessions import end_sessions


class Command(BaseCommand):
    help = "Remove USERNAME's authenticator and recovery codes and end their sessions (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']}.", returncode=EXIT_USAGE)
        removed = reset_second_factor(user=user)
        ended = end_sessions(user=user)
        self.stdout.write(
            f"Removed {removed} second-factor devices of user #{user.pk} and ended {ended} sessions; "
            "they set up a new authenticator at their next login."
        )
