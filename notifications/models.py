"""Notification models arrive with the filing and campaign work."""

from __future__ import annotations

from notifications.campaign_models import *  # noqa: E402, F403
