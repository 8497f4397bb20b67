"""Routes of the notification pages; codes, references and version numbers only, never personal data."""

from __future__ import annotations

from django.urls import path

from notifications.views import campaigns, filings, mailroom, obligation_reports, processor_notices, register

app_name = "notifications"

FILE = "files/<str:reference>/<str:code>"
CAMPAIGN = f"{FILE}/campaign"
REPORT = f"{FILE}/obligations/<str:regime>/<str:phase>/report"

urlpatterns = [
    path(f"{FILE}/filings/", filings.filings, name="filings"),
    path(
        f"{FILE}/filings/public-communication/",
        filings.filing_public_communication,
        name="filing_public_communication",
    ),
    path(f"{FILE}/filings/<int:version>/", filings.filing_detail, name="filing"),
    path(f"{FILE}/filings/<int:version>/dossier.pdf", filings.filing_pdf, name="filing_pdf"),
    path(f"{FILE}/filings/<int:version>/teleservice.json", filings.filing_json, name="filing_json"),
    path(f"{REPORT}/", obligation_reports.report, name="obligation_report"),
    path(f"{REPORT}.pdf", obligation_reports.report_pdf, name="obligation_report_pdf"),
    path(f"{REPORT}.json", obligation_reports.report_json, name="obligation_report_json"),
    path(f"{FILE}/filings/<int:version>/regenerate/", filings.filing_regenerate, name="filing_regenerate"),
    path(f"{FILE}/processor-notice.pdf", processor_notices.processor_letter, name="processor_letter"),
    path("incidents/<str:reference>/processor-notices/", processor_notices.processor_notices, name="processor_notices"),
    path(
        "incidents/<str:reference>/processor-notices/confirm/",
        processor_notices.processor_notices_confirm,
        name="processor_notices_confirm",
    ),
    path("compliance/", register.compliance_dashboard, name="dashboard"),
    path("compliance/export.csv", register.compliance_export, name="dashboard_csv"),
    path("register/", register.register, name="register"),
    path("register/export.csv", register.register_csv, name="register_csv"),
    path("register/export.pdf", register.register_pdf, name="register_pdf"),
    path(f"{CAMPAIGN}/", campaigns.campaign, name="campaign"),
    path(f"{CAMPAIGN}/text/", campaigns.campaign_text, name="campaign_text"),
    path(f"{CAMPAIGN}/letter-choices/", campaigns.campaign_letter_choices, name="campaign_letter_choices"),
    path(f"{CAMPAIGN}/preview.pdf", campaigns.campaign_preview, name="campaign_preview"),
    path(f"{CAMPAIGN}/launch/", campaigns.campaign_launch, name="campaign_launch"),
    path(f"{CAMPAIGN}/launch/retry/", campaigns.campaign_launch_retry, name="campaign_launch_retry"),
    path(f"{CAMPAIGN}/progress.json", campaigns.campaign_progress, name="campaign_progress"),
    path(f"{CAMPAIGN}/ledger.csv", campaigns.campaign_ledger, name="campaign_ledger"),
    path(f"{CAMPAIGN}/unknown/", campaigns.campaign_unknown, name="campaign_unknown"),
    path(f"{CAMPAIGN}/notices/<int:pk>/send-again/", campaigns.notice_send_again, name="notice_send_again"),
    path("mailroom/", mailroom.mailroom, name="mailroom"),
    path("mailroom/batches/<int:pk>/batch.pdf", mailroom.mailroom_batch_pdf, name="mailroom_batch_pdf"),
    path("mailroom/batches/<int:pk>/manifest.csv", mailroom.mailroom_batch_manifest, name="mailroom_batch_manifest"),
    path("mailroom/batches/<int:pk>/printed/", mailroom.mailroom_batch_printed, name="mailroom_batch_printed"),
    path("mailroom/batches/<int:pk>/posted/", mailroom.mailroom_batch_posted, name="mailroom_batch_posted"),
    path("mailroom/returns/", mailroom.mailroom_return, name="mailroom_return"),
]
