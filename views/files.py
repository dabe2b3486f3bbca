"""File responses: a stored upload or report sent to a browser. (Storing and checking files is the service's,
``admin_app.services.uploads``; the response is the view's.)"""

from flask import abort, send_file

from admin_app.services import uploads


def send_stored(
    stored_name: str, *, content_type: str | None, download_name: str | None, inline: bool = False, **options
):
    """A response serving a stored file with ``content_type``, the type detected at upload and stored with its
    row (never one guessed from a name); 404 when the file is not there. The caller has checked that the user
    may see the row it belongs to.

    Guarantees: inline only when asked *and* the type is one of INLINE_TYPES (JPEG, PNG, PDF), served as that
    type; otherwise an attachment: of that type if it is one we know (those, or the app's own .xlsx), else
    (another type, none recorded) of application/octet-stream; always
    ``X-Content-Type-Options: nosniff``; Content-Disposition with an ASCII ``filename`` and an RFC 5987
    ``filename*`` (Chinese names), the extension being the served type's, so a saved file never opens as a page.
    """
    shown = inline and content_type in uploads.INLINE_TYPES
    mimetype = content_type if content_type in uploads.EXTENSIONS else uploads.DOWNLOAD_TYPE
    try:
        source = uploads.storage().open(stored_name)
    except FileNotFoundError:
        abort(404)
    response = send_file(source, mimetype=mimetype, **options)
    response.headers["Content-Disposition"] = uploads.content_disposition(
        "inline" if shown else "attachment", download_name, content_type
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
