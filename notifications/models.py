"""Notification models arrive with the filing and campaign work."""

from __future__ import annotations
