"""Start-up checks of what PDF rendering needs from the system."""

from __future__ import annotations

import ctypes.util
from typing import Any

from django.core.checks import CheckMessage, Warning, register


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
