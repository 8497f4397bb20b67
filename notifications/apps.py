from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from breachdesk import keyring, panels, private_storage
        from breachdesk.access import is_processor_side
        from breachdesk.audit_trail.labels import register_object_types
        from breachdesk.importing.storage import rewrite_upload, upload_tokens
        from breachdesk.models import Role
        from notifications import checks  # noqa: F401  (registers the system checks)
        from notifications.models import NotificationAuditObject
        from notifications.obligations import register_sources
        from notifications.selectors import subjects
        from notifications.selectors.files import dossier_files, processor_letter_files, rendered_batch_files
        from notifications.timeline import register_sentences

        register_sentences()
        register_object_types(NotificationAuditObject)
        register_sources()
        keyring.register_files(
            keyring.EncryptedFiles(
                kind="print batch",
                names=rendered_batch_files,
                tokens=private_storage.whole_file_tokens,
                rewrite=private_storage.rewrite_whole_file,
            )
        )
        # Dossiers and processor letters share the chunked format of uploads.
        for kind, names in (("CNIL dossier", dossier_files), ("processor letter", processor_letter_files)):
            keyring.register_files(
                keyring.EncryptedFiles(kind=kind, names=names, tokens=upload_tokens, rewrite=rewrite_upload)
            )

        panels.register_tab(key="filings", label=_("CNIL filings"), url_name="notifications:filings", order=20)
        panels.register_tab(
            key="campaign", label=_("Informing data subjects"), url_name="notifications:campaign", order=30
        )
        panels.register_panel(template="notifications/_breach_file_panel.html", order=20)
        panels.register_panel(template="notifications/_campaign_panel.html", order=30)
        panels.register_incident_link(
            key="processor_notices",
            label=_("Processor notices (Art. 33(2))"),
            url_name="notifications:processor_notices",
            order=10,
            is_shown=lambda user, incident: incident.processor_id is not None and is_processor_side(user),
        )
        panels.register_home(role=Role.MAILROOM, url_name="notifications:mailroom")
        panels.register_subject_panel(template="notifications/_subject_notices_panel.html", order=10)
        panels.register_subject_filter(
            key="notice",
            label=_("Notice state"),
            choices=subjects.notice_state_choices,
            apply=subjects.filter_by_notice_state,
            order=10,
        )
        panels.register_subject_filter(
            key="unreachable_reason",
            label=_("Why unreachable (campaign)"),
            choices=subjects.unreachable_reason_choices,
            apply=subjects.filter_by_unreachable_reason,
            order=20,
        )
        panels.register_subject_column(key="notices", label=_("Notices"), values=subjects.notice_summaries, order=10)
