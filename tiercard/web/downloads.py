"""A streamed file download: the web views' counterpart of the API's ``stream_response``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from django.http import HttpResponse, StreamingHttpResponse


def stream_response(chunks: Iterator[bytes], content_type: str, filename: str) -> HttpResponse:
    """An attachment streamed as it is written, never cached (the files hold customer data).

    Typed as ``HttpResponse`` because ``web_view`` names that type; both respond alike.
    """
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)
