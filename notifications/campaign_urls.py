"""Routes of the campaign and mailroom pages (included by notifications.urls); codes and ids only."""

from __future__ import annotations

from django.urls import path

from notifications import campaign_views as views

FILE = "files/<str:reference>/<str:code>/campaign"

urlpatterns = [
    path(f"{FILE}/", views.campaign, name="campaign"),
    path(f"{FILE}/text/", views.campaign_text, name="campaign_text"),
    path(f"{FILE}/preview.pdf", views.campaign_preview, name="campaign_preview"),
    path(f"{FILE}/launch/", views.campaign_launch, name="campaign_launch"),
    path(f"{FILE}/progress.json", views.campaign_progress, name="campaign_progress"),
    path(f"{FILE}/ledger.csv", views.campaign_ledger, name="campaign_ledger"),
    path(f"{FILE}/unknown/", views.campaign_unknown, name="campaign_unknown"),
    path("mailroom/", views.mailroom, name="mailroom"),
    path("mailroom/batches/<int:pk>/batch.pdf", views.mailroom_batch_pdf, name="mailroom_batch_pdf"),
    path("mailroom/batches/<int:pk>/manifest.csv", views.mailroom_batch_manifest, name="mailroom_batch_manifest"),
    path("mailroom/batches/<int:pk>/printed/", views.mailroom_batch_printed, name="mailroom_batch_printed"),
    path("mailroom/batches/<int:pk>/posted/", views.mailroom_batch_posted, name="mailroom_batch_posted"),
    path("mailroom/returns/", views.mailroom_return, name="mailroom_return"),
]
