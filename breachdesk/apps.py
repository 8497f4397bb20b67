from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BreachdeskConfig(AppConfig):
    name = "breachdesk"
    verbose_name = _("Breach files")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from breachdesk import panels
        from breachdesk.audit_trail.labels import register_object_types
        from breachdesk.models import AuditObject
        from breachdesk.signin import lockout, signals  # noqa: F401  (signal receivers)
        from breachdesk.signin.audit import SignInAudit

        register_object_types(AuditObject)
        register_object_types(SignInAudit)

        panels.register_tab(key="risk", label=_("Risk and decisions"), url_name="risk", order=10)
        panels.register_panel(template="breachdesk/_import_panel.html", order=10)
        panels.register_panel(template="breachdesk/_obligations_panel.html", order=15)
