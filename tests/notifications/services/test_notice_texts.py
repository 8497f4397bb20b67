"""The default letter and email texts come from templates, per language, with the breach file's facts in plain text."""

from __future__ import annotations

import pytest

from notifications.services import notice_texts

pytestmark = pytest.mark.django_db


def test_the_default_texts_name_the_processor_and_the_lab_without_escaping_them(breach_file):
    processor = breach_file.incident.processor
    breach_file.controller.name = "Laboratoire de l'Hôpital & Associés"
    breach_file.measures_immediate = "Serveur arrêté <le jour même>."
    texts = notice_texts.default_texts(breach_file, "fr")
    assert set(texts) == set(notice_texts.SECTIONS)
    if processor is not None:
        assert f"conservées pour notre compte par {processor.name}," in texts["what_happened"]
    assert "patients du Laboratoire de l'Hôpital & Associés" in texts["what_happened"]
    # The breach file's own measures (written in one language) are not copied into the letter.
    assert "Serveur arrêté" not in texts["measures"]
    assert not any(text.endswith("\n") for text in texts.values())
    assert texts["advice"].count("\n") == 4


def test_the_english_default_texts_are_english(breach_file):
    texts = notice_texts.default_texts(breach_file, "en")
    assert texts["what_happened"].startswith("On ")
    assert "we learned that a file" in texts["what_happened"]
    assert "Nous" not in "".join(texts.values())
