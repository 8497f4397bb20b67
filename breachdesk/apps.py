from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BreachdeskConfig(AppConfig):
    name = "breachdesk"
    verbose_name = _("Breach files")
    default_auto_field = "django.db.models.BigAutoField"
