"""HTML → PDF on the server (WeasyPrint), reading nothing but the app's own static files and the bytes the
caller hands over (a stored photo): no network, no file:// outside the static folder.

WeasyPrint is imported when a PDF is first made, not with the app: it is ~30 MB resident, which every web and
worker process (and every job's work horse forked from it, an export's too) would otherwise carry."""

import mimetypes
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit


@cache
def _own_files_only() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnFilesOnly(URLFetcher):
        """Serves ``files`` (exact URL → (bytes, content type)) and the files under ``static_root`` at URLs
        beginning with ``static_url``; refuses every other URL (WeasyPrint then leaves the resource out)."""

        def __init__(self, static_url: str, static_root: str | Path, files: dict[str, tuple[bytes, str]]):
            super().__init__(allowed_protocols=(), allow_redirects=False)
            self.static_url = static_url
            self.static_root = Path(static_root).resolve()
            self.files = files

        def fetch(self, url, headers=None):
            if url in self.files:
                data, content_type = self.files[url]
                return URLFetcherResponse(url, data, {"Content-Type": content_type})
            if url.startswith(self.static_url):
                relative = unquote(urlsplit(url[len(self.static_url) :]).path)
                path = (self.static_root / relative).resolve()
                if path.is_relative_to(self.static_root) and path.is_file():
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
            raise ValueError(f"不允许读取的地址：{url}")

    return OwnFilesOnly


def __getattr__(name: str):
    if name == "OwnFilesOnly":  # the URL fetcher class, made (and WeasyPrint imported) when first asked for
        return _own_files_only()
    raise AttributeError(name)


def html_to_pdf(
    html: str,
    *,
    base_url: str,
    static_url: str,
    static_root: str | Path,
    files: dict[str, tuple[bytes, str]] | None = None,
) -> bytes:
    """The PDF of ``html`` (its CSS ``@page`` decides the paper), relative URLs read against ``base_url``.

    Guarantees: only ``files`` and the static folder are read (see ``OwnFilesOnly``); fonts are embedded
    (subset) so the file prints the same anywhere."""
    from weasyprint import HTML

    fetcher = _own_files_only()(static_url, static_root, files or {})
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def write_merged(path: str, pieces, first=None) -> int:
    """Write the PDFs ``pieces`` (an iterable of PDF bytes, each made by ``html_to_pdf``) as one file at
    ``path``, in order, after the PDF ``first()`` if given (called once the pieces are done: a page that
    summarises them); the number of pages.

    Guarantees: one piece is read at a time (a batch job lays out one chunk of documents, not the whole set);
    the merged file is held as compressed PDF objects (pypdf) until it is written, so its memory is about the
    size of the file, bounded by the job's cap on documents."""
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for piece in pieces:
        writer.append(PdfReader(BytesIO(piece)))
    if first is not None:
        head = first()
        if head:
            writer.merge(0, PdfReader(BytesIO(head)))
    with open(path, "wb") as out:
        writer.write(out)
    return len(writer.pages)
