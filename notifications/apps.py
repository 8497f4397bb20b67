from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from breachdesk import keyring, panels
        from breachdesk.models import Role
        from notifications import (
            checks,  # noqa: F401  (registers the system checks)
            storage,
        )
        from notifications.obligations import register_sources
        from notifications.selectors.files import rendered_batch_files
        from notifications.timeline import register_sentences

        register_sentences()
        register_sources()
        keyring.register_files(
            keyring.EncryptedFiles(
                kind="print batch",
                paths=rendered_batch_files,
                tokens=storage.whole_file_tokens,
                rewrite=storage.rewrite_whole_file,
            )
        )

        panels.register_tab(key="filings", label=_("CNIL filings"), url_name="notifications:filings", order=20)
        panels.register_tab(
            key="campaign", label=_("Informing data subjects"), url_name="notifications:campaign", order=30
        )
        panels.register_panel(template="notifications/_breach_file_panel.html", order=20)
        panels.register_panel(template="notifications/_campaign_panel.html", order=30)
        panels.register_home(role=Role.MAILROOM, url_name="notifications:mailroom")
