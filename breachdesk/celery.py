"""The Celery application; Redis (or the embedded filesystem broker) only wakes workers up."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachdesk.settings")

app = Celery("breachdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
