"""Routes of the data subject import pages; they carry codes and ids only."""

from __future__ import annotations

from django.urls import URLPattern, path

from breachdesk.importing import views

urlpatterns: list[URLPattern] = [
    path("files/<str:reference>/<str:code>/import/", views.import_page, name="subject_import"),
    path(
        "files/<str:reference>/<str:code>/import/template.csv",
        views.import_template,
        name="subject_import_template",
    ),
    path("files/<str:reference>/<str:code>/imports/<int:pk>/", views.import_detail, name="subject_import_detail"),
    path(
        "files/<str:reference>/<str:code>/imports/<int:pk>/progress/",
        views.import_progress,
        name="subject_import_progress",
    ),
    path(
        "files/<str:reference>/<str:code>/imports/<int:pk>/report.csv",
        views.import_report,
        name="subject_import_report",
    ),
]
