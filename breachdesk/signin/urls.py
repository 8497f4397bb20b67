"""The second-factor steps of signing in."""

from __future__ import annotations

from django.urls import path

from breachdesk.signin import views

urlpatterns = [
    path("login/second-factor/setup/", views.mfa_setup, name="mfa_setup"),
    path("login/second-factor/", views.mfa_verify, name="mfa_verify"),
]
