"""The site's one way to answer with a CSV file to save (the cells themselves go through
`pricing_site.spreadsheets.csv_writer`, which stays free of Django for the pure modules that write CSV)."""

from __future__ import annotations

from typing import Iterable

from django.http import HttpResponse, StreamingHttpResponse

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_download(content: str | bytes | Iterable, filename: str, *, status: int = 200) -> HttpResponse:
    """A CSV file to save as `filename`: text or bytes sent whole, any other iterable of lines streamed."""
    if isinstance(content, (str, bytes)):
        response = HttpResponse(content, content_type=CSV_CONTENT_TYPE, status=status)
    else:
        response = StreamingHttpResponse(content, content_type=CSV_CONTENT_TYPE, status=status)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
