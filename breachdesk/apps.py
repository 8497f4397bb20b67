from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BreachdeskConfig(AppConfig):
    name = "breachdesk"
    verbose_name = _("Breach files")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        from breachdesk import crypto, keyring, panels
        from breachdesk.audit_trail.labels import register_object_types

        # Refuse to start (web, worker, beat, every command) with keys that would fail at the first encryption.
        problems = crypto.key_problems(
            settings.DATA_ENCRYPTION_KEYS,
            blind_index_key=settings.BLIND_INDEX_KEY,
            audit_key=settings.AUDIT_CHAIN_KEY,
        )
        if problems:
            raise ImproperlyConfigured("; ".join(problems))
        from breachdesk.importing.selectors import waiting_uploads
        from breachdesk.importing.storage import rewrite_upload, upload_tokens
        from breachdesk.models import AuditObject, DataSubject, ExposureSummary, SubjectImport
        from breachdesk.signin import lockout, signals  # noqa: F401  (signal receivers)
        from breachdesk.signin.audit import SignInAudit

        register_object_types(AuditObject)
        register_object_types(SignInAudit)

        keyring.register_column(DataSubject, "personal_token")
        keyring.register_column(SubjectImport, "original_name_token")
        keyring.register_column(ExposureSummary, "token")
        keyring.register_files(
            keyring.EncryptedFiles(
                kind="import upload", names=waiting_uploads, tokens=upload_tokens, rewrite=rewrite_upload
            )
        )

        panels.register_tab(key="risk", label=_("Risk and decisions"), url_name="risk", order=10)
        panels.register_panel(template="breachdesk/_import_panel.html", order=10)
        panels.register_panel(template="breachdesk/_obligations_panel.html", order=15)
