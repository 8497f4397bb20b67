"""PDF rendering: the only module that imports WeasyPrint (lazily: web processes that never render skip its load).

Templates are fixed files; what people typed reaches them only as context values, escaped by Django.
The URL fetcher serves the bundled stylesheets and refuses everything else (no file://, no data:, no network).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

ASSET_DIR = Path(__file__).resolve().parent / "pdf_assets"
ASSET_SCHEME = "breachdesk-asset:"
# The base URL of every document: relative references resolve to bundled assets or to nothing.
BASE_URL = f"{ASSET_SCHEME}/"
ASSET_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}

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


def render_html(html: str, *, log: FetchLog | None = None) -> RenderedPdf:
    """Render an HTML document to PDF with the bundled-assets-only fetcher."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher(log)).render()
    content = document.write_pdf()
    assert content is not None
    return RenderedPdf(content=content, pages=len(document.pages))


def append_documents(base: RenderedPdf, others: list[bytes]) -> RenderedPdf:
    """Append the pages of other PDF documents (a model letter) after a rendered one."""
    if not others:
        return base
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(base.content)) as merged:
        for content in others:
            with pikepdf.open(io.BytesIO(content)) as other:
                merged.pages.extend(other.pages)
        output = io.BytesIO()
        merged.save(output)
        pages = len(merged.pages)
    return RenderedPdf(content=output.getvalue(), pages=pages)


def render_pdf(template_name: str, context: dict[str, Any], *, log: FetchLog | None = None) -> RenderedPdf:
    """Render a fixed template to PDF bytes."""
    return render_html(render_to_string(template_name, context), log=log)
