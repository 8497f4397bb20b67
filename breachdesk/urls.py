"""URL routes; they carry codes and ids only, never personal data."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from breachdesk.obligations import views as obligations
from breachdesk.views import incidents, pages, risk, subjects

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("breachdesk.signin.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/new/", incidents.incident_create, name="incident_create"),
    path("incidents/<str:reference>/", incidents.incident_detail, name="incident_detail"),
    path("files/new/", pages.breach_file_create, name="breach_file_create"),
    path("files/<str:reference>/<str:code>/", pages.breach_file_detail, name="breach_file_detail"),
    path("files/<str:reference>/<str:code>/edit/", pages.breach_file_edit, name="breach_file_edit"),
    path("files/<str:reference>/<str:code>/subjects/", subjects.subject_list, name="subject_list"),
    path("files/<str:reference>/<str:code>/subjects/<int:pk>/", subjects.subject_detail, name="subject_detail"),
    path(
        "files/<str:reference>/<str:code>/subjects/<int:pk>/contact/",
        subjects.subject_contact,
        name="subject_contact",
    ),
    path("files/<str:reference>/<str:code>/risk/", risk.risk, name="risk"),
    path("files/<str:reference>/<str:code>/risk/assess/", risk.risk_assess, name="risk_assess"),
    path("files/<str:reference>/<str:code>/risk/decide/<str:kind>/", risk.decide, name="decide"),
    path("files/<str:reference>/<str:code>/obligations/", obligations.obligations, name="obligations"),
    path(
        "files/<str:reference>/<str:code>/obligations/<str:regime>/decide/",
        obligations.decide,
        name="obligation_decide",
    ),
    path(
        "files/<str:reference>/<str:code>/obligations/<str:regime>/<str:phase>/submit/",
        obligations.submit,
        name="obligation_submit",
    ),
    path("", include("breachdesk.audit_trail.urls")),
    path("", include("breachdesk.importing.urls")),
    path("", include("notifications.urls")),
]
