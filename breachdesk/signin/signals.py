"""Sign-in reactions: start the session clock at login, end the sessions of a disabled account."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from breachdesk.models import User
from breachdesk.signin.sessions import end_sessions_of_disabled_account, start_session_clock


@receiver(user_logged_in)
def start_clock_at_login(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)


@receiver(post_save, sender=User)
def end_sessions_when_disabled(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    end_sessions_of_disabled_account(user=instance)
