# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""Files a print house accepts and an archive keeps: every font embedded, real metadata, PDF/A-3b identification."""

from __future__ import annotations

import io
from datetime import timedelta

import pikepdf
import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import letters, storage
from notifications.models import Campaign
from notifications.services import campaigns, filings, mailroom, notice_texts
from tests.notifications.campaign_fixtures import informed_file  # noqa: F401

pytestmark = pytest.mark.django_db


def fonts_not_embedded(document: pikepdf.Pdf) -> list[str]:
    """Name every font of the file, on any page or inside any form, whose program is not in the file."""
    missing = []
    for candidate in document.objects:
        if not isinstance(candidate, pikepdf.Dictionary) or candidate.get("/Type") != pikepdf.Name.Font:
            continue
        if candidate.get("/Subtype") == pikepdf.Name.Type3:
            continue
        described = candidate.DescendantFonts[0] if candidate.get("/Subtype") == pikepdf.Name.Type0 else candidate
        descriptor = described.get("/FontDescriptor")
        if descriptor is None or not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.append(str(candidate.get("/BaseFont")))
    return missing


def assert_finished(content: bytes, *, title: str, author: str) -> None:
    """Check one finished file as qpdf, pdffonts and pdfinfo would, and its PDF/A identification."""
    with pikepdf.open(io.BytesIO(content)) as document:
        assert document.check_pdf_syntax() == []
        assert fonts_not_embedded(document) == []
        info = document.docinfo
        assert str(info.Title) == title
        assert str(info.Author) == author
        assert str(info.Producer) == "BreachDesk" and str(info.Creator) == "BreachDesk"
        metadata = document.open_metadata()
        created = metadata["xmp:CreateDate"]
        assert abs(timezone.now() - timezone.datetime.fromisoformat(created)) < timedelta(minutes=5)
        assert metadata["dc:title"] == title and metadata["pdf:Producer"] == "BreachDesk"
        assert metadata.pdfa_status == "3B"
        intents = document.Root.OutputIntents
        assert len(intents) == 1 and intents[0].S == pikepdf.Name.GTS_PDFA1 and "/DestOutputProfile" in intents[0]


def test_a_print_batch_embeds_every_font_and_names_the_batch_not_a_person(informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    campaign = Campaign.objects.get(breach_file=informed_file)
    batch = mailroom.build_print_batches(campaign_id=campaign.pk)[0]

    content = mailroom.read_batch_pdf(batch)

    controller = informed_file.controller
    assert_finished(
        content,
        title=f"Lot {controller.code}-0001 · {informed_file.incident.reference}",
        author=controller.name,
    )
    with pikepdf.open(io.BytesIO(content)) as document:
        assert len(document.pages) == batch.pages
        assert str(document.pdf_version) >= "1.7"


def test_the_reportlab_overlay_alone_declares_no_base_fonts():
    letter = letters.Letter(
        reference="1-0000001-P00", address=["Camille EXEMPLE", "35000 RENNES"], salutation="Madame,"
    )
    window = letters.Window.for_stock("dl-window-right")

    with pikepdf.open(io.BytesIO(letters.overlays([(letter, 2, "fr")], window))) as overlay:
        assert fonts_not_embedded(overlay) == []


def test_the_model_letter_is_a_finished_pdf_a_of_the_controller(informed_file):
    texts = notice_texts.notice_texts(informed_file)["en"]
    content = letters.render_preview(breach_file=informed_file, language="en", exposures=["identity"], texts=texts)

    controller = informed_file.controller
    assert_finished(
        content,
        title=f"Model letter, {informed_file.incident.reference} {controller.code}",
        author=controller.name,
    )


def test_the_cnil_dossier_is_a_finished_pdf_a_of_the_controller(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filing = filings.generate_filing_dossier(filing_id=filing.pk)

    content = storage.read_decrypted(filing.pdf_path)

    with pikepdf.open(io.BytesIO(content)) as document:
        title = str(document.docinfo.Title)
    assert title.startswith("Notification CNIL") and title.endswith(f"v{filing.version}")
    assert complete_breach_file.incident.reference in title
    assert_finished(content, title=title, author=complete_breach_file.controller.name)


def test_an_obligation_report_is_a_finished_pdf_a_of_the_controller(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)
    url = reverse(
        "notifications:obligation_report_pdf",
        args=[breach_file.incident.reference, breach_file.controller.code, "csp_l1111_8_2", "declaration"],
    )

    content = client.get(url).content

    with pikepdf.open(io.BytesIO(content)) as document:
        title = str(document.docinfo.Title)
    assert title and title != "untitled"
    assert_finished(content, title=title, author=breach_file.controller.name)


def test_documents_rendered_in_one_thread_share_one_font_configuration(monkeypatch):
    """One per document kept fontconfig's state each time: a worker grew ~0.3 MB a letter master or batch cover."""
    import threading

    from weasyprint.text import fonts

    from notifications import pdf

    made = []
    real_init = fonts.FontConfiguration.__init__

    def counted(self, *args, **kwargs):
        made.append(threading.get_ident())
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(fonts.FontConfiguration, "__init__", counted)

    def render_three() -> None:
        for number in range(3):
            assert pdf.render_html(f"<p>Document {number}</p>").pages == 1

    render_three()
    other = threading.Thread(target=render_three)
    other.start()
    other.join()

    assert len(made) <= 2 and len(set(made)) == len(made)


def test_no_stylesheet_or_document_template_declares_a_font_face():
    """A shared font configuration is safe only while no @font-face rule adds fonts to it at each document."""
    from pathlib import Path

    from django.conf import settings

    from notifications import pdf

    sources = [*pdf.ASSET_DIR.glob("*.css"), *(Path(settings.BASE_DIR) / "templates").rglob("pdf/*.html")]
    assert sources
    assert [path.name for path in sources if "@font-face" in path.read_text()] == []
