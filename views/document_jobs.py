"""Batch PDFs of a list's current 组合查询 — 登记表 (考试资格申请), 准考证 (考试报名 stages), 证书 (资格认定) —
as 下载中心 jobs (issue 19) as soon as they hold more than one person; one person's document in the request.

Guarantees:
- The batch endpoints answer POST only (their buttons are forms with the CSRF token, the list's query string in
  the action): a GET is 405 and queues nothing.
- ``batch_or_job`` (the batch endpoints) selects the rows exactly as the list shows them (its filters, search,
  sort and scope). None: a Chinese warning. More than the family's cap: a Chinese refusal naming the cap, nothing
  made. Up to ``limits.PDF_DIRECT_DOCUMENTS`` (one person): the rows, for the endpoint to answer with the PDF at
  once. More: a job of the family's kind is queued with the request's parameters and the user is sent to the
  下载中心 (a progress bar, a 站内消息 when the file is ready); Redis down: a Chinese message, nothing queued.
- The job (``services/jobs.py``) replays the request as its owner (``jobs.as_owner``: the same view, scope and
  组合查询, re-read when it runs) and makes the file with the endpoint's own builders: the same documents, the
  same refusals (a candidate without a photo or seat is listed on the 准考证 file's first page; when no document
  at all may be printed the job ends 失败 with the same Chinese reason and no file), one ``export`` audit row
  (``background``). It lays out ``limits.PDF_CHUNK`` documents per WeasyPrint call and merges them
  (``pdf.write_merged``), calling ``report(done, total)`` after each chunk: its memory is one chunk's layout
  plus the merged file, which the family's cap bounds. 证书 are signed once, over the whole merged file.
"""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import flash, redirect, request, url_for

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import audit, clock, jobs, pdf
from admin_app.services.exam_documents import TICKETS_PER_PAGE
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import RecognitionState
from models import Application, Registration
from views.actor import current_actor

PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Family:
    """One kind of batch PDF: its job kind, what it is called, how its rows are chosen and drawn."""

    kind: str
    noun: str  # 登记表, 准考证, 证书
    measure: str  # 人 or 份
    model: type
    empty: str  # nothing in the 组合查询
    most: Callable[[], int]  # read when used (a named limit)
    narrow: Callable  # the list's query -> the rows this family prints
    # (view, rows) -> (PDF bytes or None, ids printed, refused [(name, reason)])
    draw: Callable
    finish: Callable | None = None  # (view, path, refused, printed) after the merge (a signature)
    first: Callable | None = None  # (view, refused, printed) -> PDF bytes of a first page, or None

    def too_many(self) -> str:
        return (
            f"一次最多生成{self.most()}{self.measure}{'的' if self.measure == '人' else ''}{self.noun}PDF，"
            "当前查询超过此数，"
            "请用筛选条件缩小范围后再生成"
        )

    def title(self, count: int) -> str:
        return f"{self.noun}PDF（{count}{self.measure}）"


def selected_ids(view, family: Family) -> list[int]:
    """Ids of the family's rows of the view's current 组合查询 (list order, scope applied); InvalidInput above
    the family's cap (counted up to it, nothing else read)."""
    query, _view_args = view.filtered_query(eager=False)
    most = family.most()
    ids = [pk for (pk,) in family.narrow(query).with_entities(family.model.id).limit(most + 1)]
    if len(ids) > most:
        raise InvalidInput(family.too_many())
    return ids


def rows_in_order(model, ids: list[int]) -> list:
    """The rows of ``ids`` (already scoped), in the order of ``ids``."""
    order = {pk: i for i, pk in enumerate(ids)}
    return sorted(db.session.scalars(sa.select(model).where(model.id.in_(ids))), key=lambda r: order[r.id])


def batch_or_job(view, family: Family, back):
    """The rows to print in the request, or the answer to send (``back`` with a message, or the 下载中心)."""
    try:
        ids = selected_ids(view, family)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return back
    if not ids:
        flash(family.empty, "warning")
        return back
    if len(ids) <= limits.PDF_DIRECT_DOCUMENTS:
        return rows_in_order(family.model, ids)
    actor = current_actor()
    parameters = jobs.request_parameters(
        actor, view.endpoint, request.path, request.args, base_url=request.host_url
    )
    try:
        jobs.submit(actor, family.kind, family.title(len(ids)), parameters)
    except jobs.QueueUnavailable:
        flash(
            f"后台任务服务暂时不可用，超过{limits.PDF_DIRECT_DOCUMENTS}{family.measure}的{family.noun}PDF暂时无法生成。"
            f"请稍后再试；单人的{family.noun}可在列表中该行直接下载。",
            "error",
        )
        return back
    flash(
        f"共{len(ids)}{family.measure}，{family.noun}PDF已转为后台任务。"
        "文件生成后将以站内消息通知，请在“下载中心”查看进度并下载。",
        "success",
    )
    return redirect(url_for("downloads.index_view"))


def none_printable(family: Family, refused: list) -> str:
    from views.exam_documents import none_printable as message

    return message(family.noun, refused)


def produce_for(family: Family):
    """The job kind's ``produce``: the batch PDF of the replayed request, as its owner."""

    def produce(app, job, path, report) -> jobs.Outcome:
        from views.exam_documents import batch_detail

        with jobs.as_owner(app, job) as view:
            ids = selected_ids(view, family)
            if not ids:
                raise InvalidInput(family.empty)
            report(0, len(ids))
            printed, refused = [], []

            def pieces():
                for start in range(0, len(ids), limits.PDF_CHUNK):
                    chunk = ids[start : start + limits.PDF_CHUNK]
                    data, done, skipped = family.draw(view, rows_in_order(family.model, chunk))
                    printed.extend(done)
                    refused.extend(skipped)
                    if data:
                        yield data
                    report(start + len(chunk), len(ids))
                if not printed:
                    db.session.rollback()
                    raise InvalidInput(none_printable(family, refused))

            first = (lambda: family.first(view, refused, printed)) if family.first else None
            pdf.write_merged(path, pieces(), first=first)
            if family.finish is not None:
                family.finish(view, path)
            detail = {**batch_detail(f"{family.noun}PDF", printed, refused), "background": True}
            audit.record("export", user=current_actor(), object_type=family.model.__name__, detail=detail)
            db.session.commit()
        return jobs.Outcome(
            rows=len(printed), name=f"{family.noun}_{len(printed)}{family.measure}_{clock.today():%Y%m%d}"
        )

    return produce


def ready_for(family: Family):
    def ready(job, outcome, expires) -> tuple[str, str]:
        return f"{family.noun}PDF已生成", jobs.ready_message(
            job.title, expires, count=outcome.rows, measure=family.measure
        )

    return ready


# --- the three families -------------------------------------------------------------------------------------
def _draw_registrations(view, apps):
    return view.registration_pdf(apps), [a.id for a in apps], []


def _draw_tickets(view, regs):
    from admin_app.services import exam_documents
    from views.exam_documents import ticket_pages

    tickets, refused = exam_documents.tickets_of(regs)
    data = ticket_pages(view, tickets, []) if tickets else None
    return data, [t.registration_id for t in tickets], refused


def _tickets_refused_page(view, refused, printed):
    from views.exam_documents import ticket_pages

    return ticket_pages(view, [], refused, printed=len(printed)) if refused else None


def _draw_certificates(view, regs):
    from views.certificate_pdfs import certificate_pages, certificates_found, signing_material

    signing_material()  # refused (失败, the reason) before anything is drawn when the key is unusable
    found, refused = certificates_found(regs)
    data = certificate_pages(view, found) if found else None
    return data, [c.registration_id for c in found], refused


def _sign_file(view, path):
    from views.certificate_pdfs import seal, signing_material

    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(seal(data, signing_material()))


def _recognised(query):
    return query.filter(
        Registration.recognition_status == RecognitionState.RECOGNISED,
        Registration.certificate_number.is_not(None),
    )


REGISTRATIONS = Family(
    kind="registration_pdf",
    noun="登记表",
    measure="人",
    model=Application,
    empty="当前查询没有可打印的申请",
    most=lambda: limits.PRINT_PDF_ROWS,
    narrow=lambda query: query,
    draw=_draw_registrations,
)
TICKETS = Family(
    kind="ticket_pdf",
    noun="准考证",
    measure="人",
    model=Registration,
    empty="当前查询没有考生",
    most=lambda: limits.TICKET_PDF_PAGES * TICKETS_PER_PAGE,
    narrow=lambda query: query,
    draw=_draw_tickets,
    first=_tickets_refused_page,
)
CERTIFICATES = Family(
    kind="certificate_pdf",
    noun="证书",
    measure="份",
    model=Registration,
    empty="当前查询没有已认定的证书",
    most=lambda: limits.CERTIFICATE_PDF_ROWS,
    narrow=_recognised,
    draw=_draw_certificates,
    finish=_sign_file,
)

for _family in (REGISTRATIONS, TICKETS, CERTIFICATES):
    jobs.register(
        jobs.Kind(
            _family.kind,
            produce_for(_family),
            suffix=".pdf",
            content_type=PDF_TYPE,
            failed=f"生成{_family.noun}PDF时发生错误，文件未生成，请稍后重试",
            ready=ready_for(_family),
            measure=_family.measure,
        )
    )
