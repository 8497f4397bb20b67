"""PDF rendering: the only module that imports WeasyPrint (lazily: web processes that never render skip its load).

Templates are fixed files; what people typed reaches them only as context values, escaped by Django.
The URL fetcher serves the bundled stylesheets and refuses everything else (no file://, no data:, no network).
A finished document is PDF/A-3b (fonts embedded, sRGB output intent, XMP), says what it is and who made it: print
houses refuse fonts that are not embedded, and the copy kept as proof must stay readable for years.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone

if TYPE_CHECKING:
    import pikepdf

ASSET_DIR = Path(__file__).resolve().parent / "pdf_assets"
ASSET_SCHEME = "breachdesk-asset:"
# The base URL of every document: relative references resolve to bundled assets or to nothing.
BASE_URL = f"{ASSET_SCHEME}/"
ASSET_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
PRODUCER = "BreachDesk"
# PDF/A-3 level B: the archival profile that allows what WeasyPrint and the stamped overlays draw.
PDF_VARIANT = "pdf/a-3b"

# WeasyPrint logs each rendering step at INFO: noise in the worker's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class RefusedURLError(ValueError):
    """Raised for any resource that is not a bundled asset."""


def bundled_asset(url: str) -> tuple[bytes, str]:
    """Return the bytes and type of a bundled asset named by the URL; refuse every other URL."""
    if not url.startswith(ASSET_SCHEME):
        raise RefusedURLError(f"refused a {url.split(':', 1)[0][:20]!r} resource: only bundled assets may be loaded")
    name = url.removeprefix(ASSET_SCHEME).lstrip("/")
    path = ASSET_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or path.suffix not in ASSET_TYPES or not path.is_file():
        raise RefusedURLError("refused an unknown bundled asset")
    return path.read_bytes(), ASSET_TYPES[path.suffix]


@dataclass
class FetchLog:
    """The URLs a rendering asked for, kept to prove nothing else was fetched."""

    served: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def make_fetcher(log: FetchLog | None = None) -> Any:
    """Build a WeasyPrint URL fetcher that only serves bundled assets."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    journal = log if log is not None else FetchLog()

    class BundledAssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            try:
                content, content_type = bundled_asset(url)
            except RefusedURLError:
                journal.refused.append(url)
                raise
            journal.served.append(url)
            return URLFetcherResponse(url, content, {"Content-Type": content_type})

    return BundledAssetFetcher(allow_redirects=False)


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class DocumentInfo:
    """What a finished PDF says of itself; never personal data (a title names a batch, a filing, a report)."""

    title: str
    author: str
    created_at: datetime = field(default_factory=timezone.now)


def _srgb_profile() -> bytes:
    return files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()


def finish(document: pikepdf.Pdf, info: DocumentInfo) -> None:
    """Give an assembled PDF its metadata and PDF/A-3b identification, in the info dictionary and in XMP alike."""
    import pikepdf

    if "/OutputIntents" not in document.Root:
        profile = document.make_stream(_srgb_profile(), N=3)
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
            DestOutputProfile=profile,
        )
        document.Root.OutputIntents = pikepdf.Array([document.make_indirect(intent)])
    # Start from an empty info dictionary: what a library wrote there (reportlab's "anonymous", 2000-01-01) goes.
    document.docinfo = document.make_indirect(pikepdf.Dictionary())
    if "/Metadata" in document.Root:
        del document.Root.Metadata
    created = timezone.localtime(info.created_at).isoformat(timespec="seconds")
    with document.open_metadata(set_pikepdf_as_editor=False) as metadata:
        metadata["dc:title"] = info.title
        metadata["dc:creator"] = [info.author]
        metadata["pdf:Producer"] = PRODUCER
        metadata["xmp:CreatorTool"] = PRODUCER
        metadata["xmp:CreateDate"] = created
        metadata["xmp:ModifyDate"] = created
        metadata["xmp:MetadataDate"] = created
        metadata["pdfaid:part"] = "3"
        metadata["pdfaid:conformance"] = "B"


_FONTS = threading.local()


def font_config() -> Any:
    """This thread's WeasyPrint font configuration, made once and shared by every document it renders.

    Left to itself WeasyPrint makes one per document: a worker rendering a campaign's letter masters and batch covers
    grew by ~0.3 MB a document (fontconfig's state is never given back; 426 MB after the 2021 case) and each document
    paid ~4 ms more. Our stylesheets declare no @font-face, so nothing accumulates in a shared one.
    """
    config = getattr(_FONTS, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _FONTS.config = FontConfiguration()
    return config


def render_html(html: str, *, log: FetchLog | None = None) -> RenderedPdf:
    """Render an HTML document to PDF with the bundled-assets-only fetcher: a part, to be assembled and finished."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher(log)).render(font_config=font_config())
    content = document.write_pdf()
    assert content is not None
    return RenderedPdf(content=content, pages=len(document.pages))


def render_document(html: str, *, author: str, log: FetchLog | None = None) -> RenderedPdf:
    """Render a finished PDF/A document titled by its HTML's <title> and signed by the organisation that makes it."""
    import pikepdf
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher(log)).render(font_config=font_config())
    content = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert content is not None
    info = DocumentInfo(title=document.metadata.title or PRODUCER, author=author)
    with pikepdf.open(io.BytesIO(content)) as finished:
        finish(finished, info)
        output = io.BytesIO()
        finished.save(output, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return RenderedPdf(content=output.getvalue(), pages=len(document.pages))


def append_documents(base: RenderedPdf, others: list[bytes]) -> RenderedPdf:
    """Append the pages of other PDF documents (a model letter) after a finished one, which keeps its metadata."""
    if not others:
        return base
    import pikepdf

    with pikepdf.open(io.BytesIO(base.content)) as merged:
        for content in others:
            with pikepdf.open(io.BytesIO(content)) as other:
                merged.pages.extend(other.pages)
        output = io.BytesIO()
        merged.save(output)
        pages = len(merged.pages)
    return RenderedPdf(content=output.getvalue(), pages=pages)


def render_pdf(template_name: str, context: dict[str, Any], *, author: str, log: FetchLog | None = None) -> RenderedPdf:
    """Render a fixed template to a finished PDF/A document whose author is the organisation that makes it."""
    return render_document(render_to_string(template_name, context), author=author, log=log)
