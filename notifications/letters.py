"""Letters to data subjects: a WeasyPrint master per language and set of exposed data, personalised by stamping.

WeasyPrint renders what many letters share once (through notifications.pdf); each copy then gets a reportlab
overlay in fixed zones (the address in the envelope window, the reference and its barcode, the salutation, the
reference in the footer) and pikepdf merges them, the master drawn once per batch as a shared form XObject.
The merged file is finished as PDF/A-3b (notifications.pdf.finish): every font embedded, real metadata.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import pikepdf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import pgettext
from reportlab import rl_config
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from breachdesk.formats import letter_date as format_letter_date
from breachdesk.formats import of_organisation, typeset, typeset_html
from breachdesk.models import BreachFile, PersonalData
from breachdesk.taxonomy import EXPOSURES, SensitiveDetail, data_categories_of
from notifications.models import Notice, PrintBatch
from notifications.pdf import DocumentInfo, finish, render_html
from notifications.services.notice_texts import said_to, salutation

logger = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = A4
FONT = "BreachDeskSans"
MAX_LINES = 6
MAX_LINE_LENGTH = 38
# Fixed zones of page 1, in millimetres from the top-left corner; the master keeps them blank.
REFERENCE_TOP = 96.0
SALUTATION_TOP = 121.0
LEFT_MARGIN = 20.0
FOOTER_BOTTOM = 9.0
WINDOW_PADDING = 3.0
ADDRESS_FONT_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0)


@dataclass(frozen=True)
class Window:
    """The window of an envelope stock, as DOMAIN.md §6 gives it (default 85 x 33 mm, 110 mm left, 55 mm top)."""

    left: float
    top: float
    width: float
    height: float

    @classmethod
    def for_stock(cls, name: str) -> Window:
        stocks: dict[str, dict[str, float]] = settings.NOTICE_ENVELOPE_STOCKS
        geometry = stocks.get(name) or stocks[settings.NOTICE_ENVELOPE_STOCK]
        return cls(left=geometry["left"], top=geometry["top"], width=geometry["width"], height=geometry["height"])


# ASCII85 only makes streams longer, and reportlab's pure-Python encoder costs a millisecond per letter.
rl_config.useA85 = 0


@lru_cache(maxsize=1)
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, settings.NOTICE_LETTER_FONT))
    return FONT


@dataclass(frozen=True)
class Letter:
    """What personalises one copy: all of it stamped, none of it template source."""

    reference: str
    address: list[str]
    salutation: str


@dataclass(frozen=True)
class Master:
    content: bytes
    pages: int


@dataclass(frozen=True)
class RenderedBatch:
    content: bytes
    pages: int
    pages_by_notice: dict[int, int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def address_lines(personal: PersonalData, country: str = "FR") -> list[str]:
    """Return the NF Z10-011 block computed at import, or compute it now for rows imported without one."""
    if personal.address_block:
        return [line for line in personal.address_block if line][:MAX_LINES]
    from breachdesk.importing.address import build_block

    block = build_block(
        first_name=personal.first_name,
        last_name=personal.last_name,
        address_1=personal.address_1,
        address_2=personal.address_2,
        address_3=personal.address_3,
        postcode=personal.postcode,
        city=personal.city,
        country=country,
    )
    return block.lines[:MAX_LINES]


class Audience:
    """Whom a letter's wording addresses: the person, a child's legal representatives, or a minor whose care is
    confidential (CSP L.1111-5), whose letter names the CNIL categories only."""

    SUBJECT = "subject"
    REPRESENTATIVES = "representatives"
    CONFIDENTIAL = "confidential"


def audience_of(notice: Notice) -> str:
    if notice.addressee == Notice.Addressee.REPRESENTATIVES:
        return Audience.REPRESENTATIVES
    return Audience.CONFIDENTIAL if notice.subject.has_confidential_care else Audience.SUBJECT


def representatives_block(lines: list[str], language: str) -> list[str]:
    """Address a child's letter to the legal representatives at the child's address (NF Z10-011: line 1 first)."""
    with translation.override(language):
        heading = pgettext("letter", "To the legal representatives of")
    # Six lines at most: the representatives' line replaces the least needed inner line of a full block.
    body = list(lines)
    if len(body) >= MAX_LINES:
        body = [body[0], *body[-(MAX_LINES - 2) :]]
    return [heading, *body][:MAX_LINES]


def letter_to(*, reference: str, personal: PersonalData, country: str, language: str, addressee: str) -> Letter:
    """What personalises one copy: the window's block (to a child's legal representatives when so addressed), the
    reference and the greeting."""
    lines = address_lines(personal, country)
    if addressee == Notice.Addressee.REPRESENTATIVES:
        lines = representatives_block(lines, language)
    return Letter(reference=reference, address=lines, salutation=salutation(personal, language, addressee))


def letter_for(notice: Notice) -> Letter:
    return letter_to(
        reference=notice.reference,
        personal=notice.subject.personal,
        country=notice.subject.country,
        language=notice.language,
        addressee=notice.addressee,
    )


def master_context(
    *,
    breach_file: BreachFile,
    language: str,
    exposures: Sequence[str],
    texts: dict[str, str],
    letter_date: date,
    window: Window,
    audience: str = Audience.SUBJECT,
) -> dict[str, Any]:
    organisation = breach_file.controller
    categories = data_categories_of(list(exposures))
    # The specific items (HIV status, pregnancy...) are never on page 1; a confidential-care minor's letter and the
    # breach file's "leave them out" setting keep them out altogether.
    details = [
        EXPOSURES[code].label(language) for code in EXPOSURES if code in set(exposures) and EXPOSURES[code].is_health
    ]
    details_inside = (
        bool(details)
        and breach_file.sensitive_detail == SensitiveDetail.INNER_PAGE
        and audience != Audience.CONFIDENTIAL
    )
    return {
        "language": language,
        "audience": audience,
        "organisation": organisation,
        "of_organisation": of_organisation(organisation.name, language),
        "signatory_title": organisation.signatory_title_in(language),
        "incident": breach_file.incident,
        "letter_date": format_letter_date(letter_date, language),
        "has_details": bool(details),
        "details_inside": details_inside,
        "details": details if details_inside else [],
        **said_to(texts=texts, categories=categories, language=language),
        "window": window,
        "reference_top": REFERENCE_TOP,
        "salutation_top": SALUTATION_TOP,
        "left_margin": LEFT_MARGIN,
    }


_MASTERS: OrderedDict[str, Master] = OrderedDict()
_MASTER_CACHE_SIZE = 64


def master_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def render_master(
    *,
    breach_file: BreachFile,
    language: str,
    exposures: Sequence[str],
    texts: dict[str, str],
    letter_date: date,
    window: Window,
    audience: str = Audience.SUBJECT,
) -> Master:
    """Render (once per process and key) the part every letter of one language, audience and exposure set shares."""
    key = master_key(
        breach_file.pk, language, audience, breach_file.sensitive_detail, sorted(exposures), texts, letter_date, window
    )
    cached = _MASTERS.get(key)
    if cached is not None:
        _MASTERS.move_to_end(key)
        return cached
    context = master_context(
        breach_file=breach_file,
        language=language,
        exposures=exposures,
        texts=texts,
        letter_date=letter_date,
        window=window,
        audience=audience,
    )
    with translation.override(language):
        html = typeset_html(render_to_string("notifications/pdf/letter_master.html", context), language)
    rendered = render_html(html)
    master = Master(content=rendered.content, pages=rendered.pages)
    _MASTERS[key] = master
    if len(_MASTERS) > _MASTER_CACHE_SIZE:
        _MASTERS.popitem(last=False)
    return master


def _y(top_mm: float) -> float:
    return PAGE_HEIGHT - top_mm * mm


def _address_font_size(lines: list[str], width: float) -> float:
    for size in ADDRESS_FONT_SIZES:
        if all(pdfmetrics.stringWidth(line, FONT, size) <= width for line in lines):
            return size
    return ADDRESS_FONT_SIZES[-1]


def _draw_barcode(canvas: Canvas, value: str, x: float, y: float) -> None:
    """Draw a Code 128 barcode as one filled path: the mailroom scans it to record a returned letter."""
    barcode = Code128(value, barHeight=7 * mm, barWidth=0.28 * mm, quiet=False)
    barcode._calculate()
    left = 0.0
    bars: list[str] = []
    for char in barcode.decomposed:
        if "a" <= char <= "z":
            left += (ord(char) - 96) * barcode.barWidth
        elif "A" <= char <= "Z":
            width = (ord(char) - 64) * barcode.barWidth
            bars.append(f"{x + left:.3f} {y:.3f} {width:.3f} {barcode.barHeight:.3f} re")
            left += width
    canvas._code.append("q 0 g " + " ".join(bars) + " f Q")


def draw_overlay(canvas: Canvas, letter: Letter, *, pages: int, window: Window, language: str) -> None:
    """Draw the personal zones of one letter, one overlay page per master page."""
    with translation.override(language):
        reference_line = typeset(pgettext("letter", "Reference: %(reference)s"), language) % {
            "reference": letter.reference
        }
    for page in range(1, pages + 1):
        if page == 1:
            usable = (window.width - 2 * WINDOW_PADDING) * mm
            lines = letter.address[:MAX_LINES]
            size = _address_font_size(lines, usable)
            leading = min(size * 1.2, (window.height - 2 * WINDOW_PADDING) * mm / max(len(lines), 1))
            text = canvas.beginText()
            text.setFont(FONT, size, leading)
            text.setTextOrigin((window.left + WINDOW_PADDING) * mm, _y(window.top + WINDOW_PADDING) - size)
            for line in lines:
                text.textLine(line)
            canvas.drawText(text)
            canvas.setFont(FONT, 9)
            canvas.drawString(LEFT_MARGIN * mm, _y(REFERENCE_TOP), reference_line)
            _draw_barcode(canvas, letter.reference, LEFT_MARGIN * mm, _y(REFERENCE_TOP + 9.5))
            canvas.setFont(FONT, 10.5)
            canvas.drawString(LEFT_MARGIN * mm, _y(SALUTATION_TOP), letter.salutation)
        canvas.setFont(FONT, 7)
        canvas.drawString(LEFT_MARGIN * mm, FOOTER_BOTTOM * mm, reference_line)
        canvas.showPage()


def overlays(letters: Sequence[tuple[Letter, int, str]], window: Window) -> bytes:
    """Draw every letter's overlays in one document, so the font is embedded once per batch."""
    _register_font()
    buffer = io.BytesIO()
    # The initial font is the embedded one: reportlab's default (Helvetica) would be declared, never embedded.
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1, initialFontName=FONT)
    for letter, pages, language in letters:
        draw_overlay(canvas, letter, pages=pages, window=window, language=language)
    canvas.save()
    return buffer.getvalue()


_MASTER_NAME = pikepdf.Name("/BDMaster")


def stamp(
    letters: Sequence[tuple[Letter, Master, str]], window: Window, *, info: DocumentInfo, cover: bytes | None = None
) -> RenderedBatch:
    """Merge the letters into one PDF: each page is its master page (a shared form) under its own overlay."""
    overlay_pdf = pikepdf.open(
        io.BytesIO(overlays([(letter, master.pages, language) for letter, master, language in letters], window))
    )
    forms: dict[int, list[pikepdf.Object]] = {}
    masters: dict[int, pikepdf.Pdf] = {}
    draw_master = overlay_pdf.make_stream(b"q /BDMaster Do Q\n")
    page_index = 0
    pages_by_letter: list[int] = []
    for _letter, master, _language in letters:
        if id(master) not in forms:
            source = pikepdf.open(io.BytesIO(master.content))
            masters[id(master)] = source
            forms[id(master)] = [
                overlay_pdf.copy_foreign(pikepdf.Page(page).as_form_xobject()) for page in source.pages
            ]
        for form in forms[id(master)]:
            page = pikepdf.Page(overlay_pdf.pages[page_index])
            page.add_resource(form, pikepdf.Name.XObject, _MASTER_NAME, replace_existing=True)
            page.contents_add(draw_master, prepend=True)
            page_index += 1
        pages_by_letter.append(master.pages)
    if cover is not None:
        cover_pdf = pikepdf.open(io.BytesIO(cover))
        for position, page in enumerate(cover_pdf.pages):
            overlay_pdf.pages.insert(position, page)
    finish(overlay_pdf, info)
    output = io.BytesIO()
    overlay_pdf.save(
        output, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate, min_version="1.7"
    )
    for source in masters.values():
        source.close()
    total = len(overlay_pdf.pages)
    overlay_pdf.close()
    return RenderedBatch(content=output.getvalue(), pages=total, pages_by_notice=dict(enumerate(pages_by_letter)))


def render_batch(*, batch: PrintBatch, notices: Sequence[Notice]) -> RenderedBatch:
    """Render a print batch: its cover sheet, then every letter in postcode order."""
    campaign = batch.campaign
    breach_file = campaign.breach_file
    window = Window.for_stock(campaign.envelope_stock)
    letters: list[tuple[Letter, Master, str]] = []
    for notice in notices:
        texts = campaign.texts.get(notice.language) or campaign.texts["fr"]
        master = render_master(
            breach_file=breach_file,
            language=notice.language,
            exposures=notice.subject.exposures,
            texts=texts,
            letter_date=campaign.letter_date,
            window=window,
            audience=audience_of(notice),
        )
        letters.append((letter_for(notice), master, notice.language))
    cover = render_cover(batch=batch, notices=notices, pages=sum(master.pages for _l, master, _lang in letters))
    rendered = stamp(letters, window, info=batch_info(batch), cover=cover)
    return RenderedBatch(
        content=rendered.content,
        pages=rendered.pages,
        pages_by_notice={notice.pk: rendered.pages_by_notice[index] for index, notice in enumerate(notices)},
    )


def batch_label(batch: PrintBatch) -> str:
    return f"{batch.campaign.breach_file.controller.code}-{batch.number:04d}"


def batch_info(batch: PrintBatch) -> DocumentInfo:
    """The batch's metadata: its label and incident, the controller as author; nothing about anyone in it."""
    breach_file = batch.campaign.breach_file
    return DocumentInfo(
        title=f"Lot {batch_label(batch)} · {breach_file.incident.reference}", author=breach_file.controller.name
    )


def render_cover(*, batch: PrintBatch, notices: Sequence[Notice], pages: int) -> bytes:
    """The batch's cover sheet: what the operator checks against the manifest, nothing about anyone's health."""
    campaign = batch.campaign
    breach_file = campaign.breach_file
    context = {
        "batch": batch,
        "label": batch_label(batch),
        "organisation": breach_file.controller,
        "incident": breach_file.incident,
        "letters": len(notices),
        "letter_pages": pages,
        "first_reference": notices[0].reference if notices else "",
        "last_reference": notices[-1].reference if notices else "",
        "postcode_first": batch.postcode_first,
        "postcode_last": batch.postcode_last,
        "envelope_stock": campaign.envelope_stock,
        "generated_at": timezone.localtime(),
        "languages": sorted({notice.language for notice in notices}),
    }
    return render_html(render_to_string("notifications/pdf/letter_batch_cover.html", context)).content


PREVIEW_PERSON = {
    "fr": PersonalData(
        first_name="Camille",
        last_name="Exemple",
        address_1="1 rue de l'Exemple",
        postcode="35000",
        city="Rennes",
        address_block=["Camille EXEMPLE", "1 RUE DE L EXEMPLE", "35000 RENNES"],
    ),
    "en": PersonalData(
        first_name="Sam",
        last_name="Example",
        address_1="1 rue de l'Exemple",
        postcode="35000",
        city="Rennes",
        address_block=["Sam EXAMPLE", "1 RUE DE L EXEMPLE", "35000 RENNES"],
    ),
}


def render_preview(
    *,
    breach_file: BreachFile,
    language: str,
    exposures: Sequence[str],
    texts: dict[str, str],
    audience: str = Audience.SUBJECT,
) -> bytes:
    """A letter to a fictitious person with the text as it stands, for the DPO to read before launch."""
    window = Window.for_stock(settings.NOTICE_ENVELOPE_STOCK)
    master = render_master(
        breach_file=breach_file,
        language=language,
        exposures=exposures,
        texts=texts,
        letter_date=timezone.localdate(),
        window=window,
        audience=audience,
    )
    person = PREVIEW_PERSON.get(language, PREVIEW_PERSON["fr"])
    letter = letter_to(
        reference=f"{breach_file.pk}-0000000-P00",
        personal=person,
        country="FR",
        language=language,
        addressee=(
            Notice.Addressee.REPRESENTATIVES if audience == Audience.REPRESENTATIVES else Notice.Addressee.SUBJECT
        ),
    )
    with translation.override(language):
        title = pgettext("letter", "Model letter, %(breach_file)s") % {
            "breach_file": f"{breach_file.incident.reference} {breach_file.controller.code}"
        }
    info = DocumentInfo(title=title, author=breach_file.controller.name)
    return stamp([(letter, master, language)], window, info=info).content
