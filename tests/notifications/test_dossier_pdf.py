"""The PDF dossier, read back as text: every teleservice section, the ENISA annex, escaping, bundled assets only."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pdfminer.high_level import extract_text
from pypdf import PdfReader

from notifications import pdf, storage
from notifications.services import filings

pytestmark = pytest.mark.django_db

SECTIONS = [
    "1. Type de notification",
    "2. Organisme",
    "3. Personne à contacter (DPO ou autre point de contact)",
    "4. Représentant légal de l'organisme",
    "5. La violation",
    "6. Dates et heures",
    "7. Nature de la violation",
    "8. Origine de l'incident",
    "9. Cause de l'incident",
    "10. Sous-traitants",
    "11. Personnes concernées et volume",
    "12. Catégories de données concernées",
    "13. Conséquences probables",
    "14. Mesures prises ou envisagées",
    "15. Information des personnes concernées",
    "16. Plainte et autres organismes informés",
    "17. Traitement transfrontalier",
    "Annexe — évaluation de la gravité (méthode ENISA)",
]


def flat(raw: str) -> str:
    """Undo the line wrapping, so phrases can be searched whole."""
    return re.sub(r"\s+", " ", raw.replace("\u00a0", " "))


def text_of(content: bytes) -> str:
    """Extract the text in content order (table rows stay together) with pypdf."""
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def dossier_text(filing) -> str:
    filing = filings.generate_filing_dossier(filing_id=filing.pk)
    filing.refresh_from_db()
    return text_of(storage.read_decrypted(filing.pdf_path))


def test_the_dossier_has_every_teleservice_section_with_its_values(complete_breach_file, lab_dpo):
    complete_breach_file.became_aware_at = timezone.now() - timedelta(hours=80)
    complete_breach_file.processor_informed_at = complete_breach_file.became_aware_at
    complete_breach_file.delay_reasons = "Liste des patients transmise le quatrième jour par l'éditeur."
    complete_breach_file.save()
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    text = dossier_text(filing)
    # A second extractor, reading the layout, finds the same sections.
    filing.refresh_from_db()
    laid_out = flat(extract_text(io.BytesIO(storage.read_decrypted(filing.pdf_path))))
    assert all(title in laid_out for title in SECTIONS)
    positions = [text.find(title) for title in SECTIONS]
    assert -1 not in positions, [title for title, at in zip(SECTIONS, positions, strict=True) if at == -1]
    assert positions == sorted(positions)
    organisation = complete_breach_file.controller
    for expected in [
        "Notification initiale",
        "Laboratoire de Rennes",
        organisation.siren,
        "Claire Delegue",
        "dpo@lab-rennes.example.org",
        "Paul Directeur",
        "Avérée",
        "Notification au-delà de 72 heures Oui",
        "Liste des patients transmise le quatrième jour par l'éditeur.",
        "Perte de confidentialité",
        "Piratage, logiciel malveillant, hameçonnage",
        "Acte externe malveillant",
        "Éditeur de logiciels de laboratoire",
        "Patients",
        "Mineurs",
        "18216",
        "Numéro de sécurité sociale (NIR)",
        "Données de santé (catégorie particulière)",
        "Vol ou usurpation d'identité",
        "Maximale",
        "Retrait du fichier demandé à l'hébergeur ; plainte déposée.",
        "Audit du sous-traitant.",
        "Pas encore, mais elles le seront",
        "Aucune",
        "SE = DPC × EI + CB = 4 × 1 + (0,5 + 0 + 0 + 0,5) = 5 → très élevé",  # noqa: RUF001
        "Données de santé : risque élevé par défaut",
        "Notifier la CNIL",
        "Motivation : Données de santé publiées.",
        "Informer les personnes concernées (article 34(1)) (niveaux élevé, très élevé)",
        "Notification complète",
    ]:
        assert expected in text, expected
    assert "Notification au-delà du délai de 72 heures" in text


def test_an_incomplete_initial_dossier_says_it_is_a_phased_notification_and_what_is_missing(breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=breach_file, kind="initial", user=lab_dpo)
    text = dossier_text(filing)
    assert "Notification incomplète — notification par phases (article 33(4) du RGPD)" in text
    assert "Nombre approximatif de personnes concernées (Art. 33(3)(a))" in text
    assert "Mesures immédiates (Art. 33(3)(d))" in text
    assert "Non connu à ce jour" in text
    assert "Non évalué à ce jour" in text  # no ENISA assessment yet


def test_the_complementary_dossier_names_the_initial_case_and_lists_the_changes(complete_breach_file, lab_dpo):
    initial = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filings.record_submission(
        filing=initial, user=lab_dpo, submitted_at=timezone.now() - timedelta(hours=1), case_number="CNIL-2021-004217"
    )
    complete_breach_file.refresh_from_db()
    complete_breach_file.approximate_persons = 19002
    complete_breach_file.save()
    complementary = filings.prepare_filing(breach_file=complete_breach_file, kind="complementary", user=lab_dpo)
    text = dossier_text(complementary)
    assert "Notification complémentaire" in text
    assert "Complète la notification initiale n° CNIL-2021-004217" in text
    assert "Ce qui a changé depuis la notification précédente" in text
    assert "Rubrique Avant Désormais" in text
    assert "Personnes concernées et volume — Nombre approximatif de personnes concernées 18216 19002" in text
    assert "modifié" in text


def test_what_people_typed_is_printed_as_text_never_run_as_markup_or_template(complete_breach_file, lab_dpo):
    complete_breach_file.measures_immediate = '<img src="file:///etc/passwd"> {{ settings.SECRET_KEY }} {% now "Y" %}'
    complete_breach_file.discovery_circumstances = "<b>gras</b> & <style>body{display:none}</style>"
    complete_breach_file.save()
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    text = dossier_text(filing)
    assert '<img src="file:///etc/passwd"> {{ settings.SECRET_KEY }} {% now "Y" %}' in text
    assert "<b>gras</b> & <style>body{display:none}</style>" in text


def test_the_fetcher_serves_the_bundled_stylesheet_and_refuses_files_data_and_the_network():
    content, content_type = pdf.bundled_asset("breachdesk-asset:print.css")
    assert content.startswith(b"/*") and content_type == "text/css"
    for url in [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.org/logo.png",
        "data:text/css,body{}",
        "breachdesk-asset:../../settings.py",
        "breachdesk-asset:missing.css",
        "breachdesk-asset:/etc/passwd",
    ]:
        with pytest.raises(pdf.RefusedURLError):
            pdf.bundled_asset(url)


def test_a_document_asking_for_outside_resources_renders_without_fetching_them():
    log = pdf.FetchLog()
    rendered = pdf.render_html(
        '<link rel="stylesheet" href="breachdesk-asset:print.css">'
        '<link rel="stylesheet" href="file:///etc/hostname">'
        '<img src="http://127.0.0.1:9/tracker.png"><img src="data:image/png;base64,iVBORw0KGgo=">'
        "<p>Bonjour</p>",
        log=log,
    )
    assert log.served == ["breachdesk-asset:print.css"]
    assert set(log.refused) == {
        "file:///etc/hostname",
        "http://127.0.0.1:9/tracker.png",
        "data:image/png;base64,iVBORw0KGgo=",
    }
    assert "Bonjour" in text_of(rendered.content)
    assert len(PdfReader(io.BytesIO(rendered.content)).pages) == rendered.pages == 1


def test_the_dossier_holds_no_personal_data_of_data_subjects(complete_breach_file, lab_dpo):
    from tests.factories import DataSubjectFactory

    subjects = DataSubjectFactory.create_batch(2, breach_file=complete_breach_file, exposures=["identity", "hiv"])
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    text = dossier_text(filing)
    assert "Personnes à informer : 2" in text
    for subject in subjects:
        personal = subject.personal
        for value in filter(None, (personal.nir, personal.email, personal.patient_ref, personal.address_1)):
            assert value not in text
