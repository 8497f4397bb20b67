"""Every response that carries a breach file's documents or data: private, never cached, never sniffed."""

from __future__ import annotations

from typing import TypeVar

from django.http import HttpResponseBase
from django.utils.http import content_disposition_header

Response = TypeVar("Response", bound=HttpResponseBase)


def private_response(response: Response, *, filename: str | None = None, inline: bool = False) -> Response:
    """Mark a response private (no shared or browser cache, no MIME sniffing); name it when it is a document."""
    if filename is not None:
        disposition = content_disposition_header(not inline, filename)
        if disposition:
            response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
