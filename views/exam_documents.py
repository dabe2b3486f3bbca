"""考场签到表 and 门贴 of a room (市职鉴中心 prints them, 市工考办 may read them), and the PDF answer shared with
the 准考证 endpoints of the registration lists (``views/exam_area.py``)."""

from flask import current_app, flash, make_response, redirect, request
from flask_admin import expose

from admin_app.extensions import db
from admin_app.request_guard import download
from admin_app.services import audit, clock, exam_documents, pdf, uploads
from models import enums
from views.actor import current_actor
from views.base import SecureModelView
from views.mixins.links import RowLink

# Where a photo of the PDF's HTML points (relative to the page): served from the bytes handed to WeasyPrint.
PHOTO_SRC = "gk-photo/{}.jpg"


def batch_detail(form: str, ids: list[int], refused: list) -> dict:
    """The audit detail of a PDF of several registrations: the form, how many printed and refused, the first
    50 ids printed."""
    return {"form": form, "rows": len(ids), "refused": len(refused), "ids": ids[:50]}


def pdf_bytes(
    html: str, photos: dict[int, bytes], images: dict[str, tuple[bytes, str]] | None = None
) -> bytes:
    """The PDF of ``html`` made on the server, ``photos`` ({registration id: JPEG}) at ``PHOTO_SRC`` and
    ``images`` ({relative URL: (bytes, type)}) where the page points; nothing else is read (``pdf.html_to_pdf``)."""
    base_url = request.host_url
    files = {base_url + PHOTO_SRC.format(pk): (data, "image/jpeg") for pk, data in photos.items()}
    files.update({base_url + path: found for path, found in (images or {}).items()})
    return pdf.html_to_pdf(
        html,
        base_url=base_url,
        static_url=base_url.rstrip("/") + current_app.static_url_path + "/",
        static_root=current_app.static_folder,
        files=files,
    )


def pdf_response(
    html: str,
    photos: dict[int, bytes],
    download_name: str,
    *,
    detail: dict,
    object_type: str,
    object_id=None,
    images: dict[str, tuple[bytes, str]] | None = None,
    seal=None,
):
    """The PDF of ``html`` (``pdf_bytes``) sent as an attachment after ``seal(pdf bytes)`` (a signature) if
    given; the download is audited (``export``) before it is sent."""
    data = pdf_bytes(html, photos, images)
    if seal is not None:
        data = seal(data)
    audit.record("export", user=current_actor(), object_type=object_type, object_id=object_id, detail=detail)
    db.session.commit()
    return pdf_attachment(data, download_name)


def pdf_attachment(data: bytes, download_name: str):
    """``data`` sent as a PDF attachment named ``download_name``."""
    response = make_response(data)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = uploads.content_disposition(
        "attachment", download_name, "application/pdf"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class ExamRoomDocumentView(SecureModelView):
    """考场签到表和门贴: every room of every session, with its two PDFs (once the session is published)."""

    read_roles = frozenset({enums.OFFICE, enums.CENTER})
    write_roles = frozenset()
    can_create = can_edit = can_delete = False
    column_list = ["session.batch", "session", "session.kind", "number", "location", "capacity"]
    column_labels = {
        "session.batch": "考核批次",
        "session": "考试场次",
        "session.kind": "科目",
        "session.name": "场次名称",
        "session.exam_date": "考试日期",
        "number": "考场",
        "location": "考场位置",
        "capacity": "容量",
    }
    column_formatters = {
        "session.kind": lambda v, c, m, n: m.session.kind_label,
        "number": lambda v, c, m, n: m.label,
    }
    column_details_list = column_list
    column_formatters_detail = column_formatters
    column_filters = ["session.name", "session.exam_date", "location"]
    column_default_sort = ("id", True)
    column_extra_row_actions = [
        RowLink("fa fa-list-alt", ".sign_in_sheet_view", "考场签到表PDF", lambda row: True),
        RowLink("fa fa-file-text-o", ".door_sign_view", "门贴PDF", lambda row: True),
    ]

    def _documents(self):
        """The room of ``?id=`` (404 outside the scope) and its documents, or a redirect with the reason."""
        room = self.get_one(request.args.get("id"))
        found = exam_documents.room_documents(room)
        if isinstance(found, str):
            flash(found, "warning")
            return room, redirect(self.get_url(".index_view"))
        return room, found

    @expose("/sign-in.pdf", methods=("GET",))
    @download
    def sign_in_sheet_view(self):
        room, docs = self._documents()
        if not isinstance(docs, exam_documents.RoomDocuments):
            return docs
        html = self.render("gk/sign_in_sheet.html", docs=docs, photo_src=PHOTO_SRC)
        photos = {row.registration_id: row.photo for row in docs.rows if row.photo}
        return pdf_response(
            html,
            photos,
            f"考场签到表_{docs.session}_{docs.room}.pdf",
            detail={"form": "考场签到表PDF", "rows": len(docs.rows)},
            object_type="ExamRoom",
            object_id=room.id,
        )

    @expose("/door-sign.pdf", methods=("GET",))
    @download
    def door_sign_view(self):
        room, docs = self._documents()
        if not isinstance(docs, exam_documents.RoomDocuments):
            return docs
        html = self.render("gk/door_sign.html", docs=docs)
        return pdf_response(
            html,
            {},
            f"门贴_{docs.session}_{docs.room}.pdf",
            detail={"form": "门贴PDF", "rows": len(docs.rows)},
            object_type="ExamRoom",
            object_id=room.id,
        )


def none_printable(what: str, refused: list) -> str:
    """The message when no document of a request may be printed: the first three people and why."""
    reasons = "；".join(f"{r.name}：{r.reason}" for r in refused[:3])
    return f"没有可打印的{what}（{reasons}{'…' if len(refused) > 3 else ''}）"


def ticket_pages(view, tickets: list, refused: list, printed: int | None = None) -> bytes:
    """The PDF of ``tickets``, two to an A4 page, after a 未能打印 page listing ``refused`` if any (which says
    ``printed`` tickets were made: by default those of this file)."""
    html = view.render(
        "gk/tickets_pdf.html",
        tickets=tickets,
        refused=refused,
        printed=len(tickets) if printed is None else printed,
        photo_src=PHOTO_SRC,
        printed_on=clock.today(),
        not_printable=exam_documents.NOT_PRINTABLE,
    )
    return pdf_bytes(html, {t.registration_id: t.photo for t in tickets})


def ticket_response(view, regs, download_name: str, refused_first: bool):
    """The 准考证 PDF of ``regs`` (a registration list's rows, already scoped), two to an A4 page; with
    ``refused_first`` the candidates that get none are listed on a first 未能打印 page. None (and a message
    flashed) when no candidate of ``regs`` may have one."""
    tickets, refused = exam_documents.tickets_of(regs)
    if not tickets:
        flash(none_printable("准考证", refused), "warning")
        return None
    data = ticket_pages(view, tickets, refused if refused_first else [])
    audit.record(
        "export",
        user=current_actor(),
        object_type="Registration",
        object_id=tickets[0].registration_id if len(regs) == 1 else None,
        detail=batch_detail("准考证PDF", [t.registration_id for t in tickets], refused),
    )
    db.session.commit()
    return pdf_attachment(data, download_name)
