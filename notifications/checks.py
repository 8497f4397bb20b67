"""Start-up checks of what PDF rendering needs from the system and of the bounds the email sending relies on."""

from __future__ import annotations

import ctypes.util
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def harfbuzz_subset_is_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when libharfbuzz-subset is missing: WeasyPrint then silently costs about 4x more per PDF."""
    if ctypes.util.find_library("harfbuzz-subset"):
        return []
    return [
        Warning(
            "libharfbuzz-subset is not installed: every PDF will take about four times longer to render.",
            hint="apt-get install libharfbuzz-subset0 (make run and make test install it when run as root).",
            id="notifications.W001",
        )
    ]


@register()
def smtp_operations_are_bounded_under_the_claim_heartbeat(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse an SMTP timeout that a stalled server could stretch past the claim heartbeat timeout."""
    timeout = settings.EMAIL_TIMEOUT
    limit = settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS
    if timeout and 0 < timeout * 3 <= limit and 0 < settings.NOTICE_CLAIM_HEARTBEAT_SECONDS * 3 <= limit:
        return []
    return [
        Error(
            "BREACHDESK_SMTP_TIMEOUT and BREACHDESK_NOTICE_CLAIM_HEARTBEAT must each be at most a third of "
            "BREACHDESK_NOTICE_CLAIM_HEARTBEAT_TIMEOUT: a worker stalled on a server could outlive its claim.",
            hint=f"now SMTP timeout {timeout!r}s, heartbeat {settings.NOTICE_CLAIM_HEARTBEAT_SECONDS}s, "
            f"heartbeat timeout {limit}s",
            id="notifications.E001",
        )
    ]
