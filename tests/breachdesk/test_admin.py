"""The back office: branded BreachDesk, every model named in the reader's language."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


# Words spelt the same in both languages; the user model keeps Django's own name, which Django translates.
SAME_IN_BOTH = {"incident"}


def test_every_model_of_both_apps_has_a_name_and_a_plural_translated_in_french():
    models = [
        model
        for name in ("breachdesk", "notifications")
        for model in apps.get_app_config(name).get_models()
        if model._meta.model_name != "user"
    ]
    names = {}
    for language in ("en", "fr"):
        with translation.override(language):
            names[language] = {
                model._meta.model_name: (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
                for model in models
            }

    unnamed = [
        model.__name__
        for model in models
        if not {"verbose_name", "verbose_name_plural"} <= set(model._meta.original_attrs)
    ]
    untranslated = [name for name in names["en"] if names["en"][name] == names["fr"][name] and name not in SAME_IN_BOTH]
    assert unnamed == [] and untranslated == []
    assert names["fr"]["printbatch"] == ("lot d'impression", "lots d'impression")


def test_the_admin_is_branded_breachdesk_with_french_model_names(client, admin_user):
    client.force_login(admin_user)

    html = client.get(reverse("admin:index")).content.decode()

    assert "BreachDesk" in html and "Django" not in html
    assert "Administration de BreachDesk" in html
    assert "Dossiers de violation" in html and "Rappels d&#x27;échéance" in html
    assert "Personnes concernées" in html


def test_the_admin_speaks_english_to_an_english_reader(client, admin_user):
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("admin:index")).content.decode()

    assert "BreachDesk administration" in html
    assert "Breach files" in html and "Deadline reminders" in html and "Timeline entries" in html
