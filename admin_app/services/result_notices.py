"""合格名单公示 (SPEC §8.4): the office's drafts, the entries frozen at publication, objections, and the list as
a bureau posts it (PDF, Excel). Publishing and resolving objections are transitions (``workflow.notice``).

Who is listed: the registrations of the batch waiting for 资格认定 (考试合格 for grades below 技师, 评审通过 for
技师/高级技师) that are on no other notice of the batch.
"""

from datetime import date

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit, excel
from admin_app.services.excel import Column
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import EvaluationState, NoticeState, RecognitionState, ScorePublication
from models import (
    ExamBatch,
    NoticeEntry,
    Objection,
    Organisation,
    Registration,
    ResultNotice,
    Trade,
    Worker,
    enums,
)

EXAM_PASSED = "考试合格"
TITLE_MAX, SOURCE_MAX, TEXT_MAX = 100, 100, 1000
ISSUER = "重庆市机关事业单位技术工人技术等级（岗位）考核办公室"
POSTED_COLUMNS = ("序号", "姓名", "单位", "工种", "等级")  # the list as a bureau posts it


def basis_of(evaluation_status) -> str:
    """Why a person is listed: 评审通过 (技师/高级技师, after the committee) or 考试合格."""
    return EvaluationState.PASSED.label if evaluation_status == EvaluationState.PASSED else EXAM_PASSED


def _office(actor: Actor, what: str) -> None:
    if actor.role != enums.OFFICE:
        raise InvalidInput(f"只有市工考办可以{what}")


def _writable(batch: ExamBatch | None) -> ExamBatch:
    if batch is None:
        raise InvalidInput("考核批次不存在")
    if batch.read_only:
        raise InvalidInput("考核批次已归档，只读")
    return batch


def eligible(batch_id: int) -> sa.Select:
    """Ids of the batch's registrations that a new notice lists, in the list's order (单位, 工种, 等级): 待认定,
    their scores published (a result is posted only once it is out), on no other notice of the batch."""
    r = Registration
    on_a_notice = (
        sa.select(NoticeEntry.id)
        .join(ResultNotice, ResultNotice.id == NoticeEntry.notice_id)
        .where(NoticeEntry.registration_id == r.id, ResultNotice.batch_id == batch_id)
        .exists()
    )
    return (
        sa.select(r.id)
        .where(
            r.batch_id == batch_id,
            r.recognition_status == RecognitionState.PENDING,
            r.score_publication == ScorePublication.PUBLISHED,
            ~on_a_notice,
        )
        .order_by(r.unit_id, r.applied_trade_id, r.applied_grade.desc(), r.id)
    )


def entry_values(registration_ids) -> dict[int, dict]:
    """{registration id: the entry's values as the data reads now}."""
    r = Registration
    rows = db.session.execute(
        sa.select(
            r.id,
            r.unit_id,
            r.jurisdiction_id,
            r.applied_grade,
            r.evaluation_status,
            Worker.name,
            Organisation.name.label("unit_name"),
            Trade.name.label("trade_name"),
        )
        .join(Worker, Worker.id == r.worker_id)
        .join(Organisation, Organisation.id == r.unit_id)
        .join(Trade, Trade.id == r.applied_trade_id)
        .where(among(r.id, registration_ids))
    )
    return {
        row.id: {
            "unit_id": row.unit_id,
            "jurisdiction_id": row.jurisdiction_id,
            "name": row.name,
            "unit_name": row.unit_name,
            "trade_name": row.trade_name,
            "grade_label": enums.grade_label(row.applied_grade),
            "basis": basis_of(row.evaluation_status),
        }
        for row in rows
    }


def create_draft(actor, batch_id: int, title: str | None = None) -> ResultNotice:
    """A 待发布 notice of ``batch_id`` listing everyone eligible now (see ``eligible``), numbered 1…n, its
    period ``batch.notice_days`` working days; committed and audited.

    Guarantees: only the office; not for an archived batch; the batch row is locked while the list is taken,
    so two drafts made at once never list the same person. Raises InvalidInput (Chinese, nothing changed)
    when nobody is eligible or the title is too long."""
    actor = Actor.of(actor)
    _office(actor, "新建公示")
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"公示标题不能超过{TITLE_MAX}字")
    batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.id == batch_id).with_for_update())
    _writable(batch)
    ids = list(db.session.scalars(eligible(batch.id)))
    if not ids:
        db.session.rollback()
        raise InvalidInput("该批次没有待公示的人员（考试合格或评审通过、待认定且尚未列入公示）")
    notice = ResultNotice(
        batch_id=batch.id,
        title=title or f"{batch.name}合格人员名单公示",
        state=NoticeState.DRAFT,
        days=batch.notice_days,
        created_at=actor.now,
        updated_at=actor.now,
    )
    db.session.add(notice)
    db.session.flush()
    values = entry_values(ids)
    db.session.execute(
        sa.insert(NoticeEntry),
        [
            {"notice_id": notice.id, "registration_id": rid, "seq": seq, **values[rid]}
            for seq, rid in enumerate(ids, start=1)
        ],
    )
    audit.record("create", notice, user=actor, detail={"batch": batch.id, "entries": len(ids)})
    db.session.commit()
    return notice


def refresh_entries(notice_ids) -> None:
    """Rewrite the entries of ``notice_ids`` from the data as it is now (called once, at publication, in the
    publishing transaction; afterwards the entries are what was published)."""
    entries = db.session.execute(
        sa.select(NoticeEntry.id, NoticeEntry.registration_id).where(among(NoticeEntry.notice_id, notice_ids))
    ).all()
    if not entries:
        return
    values = entry_values([e.registration_id for e in entries])
    table = NoticeEntry.__table__
    names = ("name", "unit_name", "trade_name", "grade_label", "basis")
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("entry_id"))
        .values(**{name: sa.bindparam(f"v_{name}") for name in names}),
        [
            {"entry_id": e.id, **{f"v_{name}": values[e.registration_id][name] for name in names}}
            for e in entries
        ],
    )


def record_objection(actor, entry_id: int, source: str, text: str) -> Objection:
    """An objection (来源, 内容) to one entry of a published notice, recorded by the office; committed and
    audited. Raises InvalidInput (Chinese, nothing changed) for a notice not published, an archived batch,
    a person no longer 待认定, or a missing or too long source or text."""
    actor = Actor.of(actor)
    _office(actor, "记录公示异议")
    source, text = (source or "").strip(), (text or "").strip()
    if not source or not text:
        raise InvalidInput("请填写异议来源和异议内容")
    if len(source) > SOURCE_MAX:
        raise InvalidInput(f"异议来源不能超过{SOURCE_MAX}字")
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"异议内容不能超过{TEXT_MAX}字")
    entry = db.session.get(NoticeEntry, entry_id) if entry_id else None
    if entry is None:
        raise InvalidInput("公示名单中没有该人员")
    notice = entry.notice
    if notice.state != NoticeState.PUBLISHED:
        raise InvalidInput("公示尚未发布，不能记录异议")
    _writable(notice.batch)
    status = entry.registration.recognition_status
    if status != RecognitionState.PENDING:
        raise InvalidInput(f"该人员认定状态为“{RecognitionState.label_of(status)}”，不能再记录异议")
    objection = Objection(
        notice_id=notice.id,
        entry_id=entry.id,
        registration_id=entry.registration_id,
        source=source,
        text=text,
        recorded_at=actor.now,
        recorded_by_id=actor.user.id,
        updated_at=actor.now,
    )
    db.session.add(objection)
    db.session.flush()
    audit.record("record_objection", objection, user=actor, detail={"entry": entry.id, "source": source})
    db.session.commit()
    return objection


# --- the list as posted ---------------------------------------------------------------------------------------
def intro(notice: ResultNotice) -> str:
    """The sentence above the list, with the period."""
    batch = notice.batch
    period = (
        f"公示期为{_day(notice.start_date)}至{_day(notice.end_date)}（{notice.days}个工作日）"
        if notice.end_date
        else f"公示期为发布之日起{notice.days}个工作日"
    )
    return (
        f"根据《{batch.doc_number}》，现将{batch.name}考试合格（技师、高级技师为评审通过）人员名单予以公示，"
        f"{period}。公示期间如有异议，请以书面形式向{ISSUER}反映。"
    )


def _day(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def issued_on(notice: ResultNotice) -> str:
    return _day(notice.start_date)


def _posted(entry) -> tuple:
    return (entry.seq, entry.name, entry.unit_name, entry.trade_name, entry.grade_label)


POSTED = [
    Column("序号", lambda row: row[0], "number", 8),
    Column("姓名", lambda row: row[1], "text", 12),
    Column("单位", lambda row: row[2], "text", 36),
    Column("工种", lambda row: row[3], "text", 16),
    Column("等级", lambda row: row[4], "text", 16),
]


def entry_rows(notice_id: int):
    """The posted columns of the notice's entries in their order, read in chunks."""
    stmt = (
        sa.select(
            NoticeEntry.seq,
            NoticeEntry.name,
            NoticeEntry.unit_name,
            NoticeEntry.trade_name,
            NoticeEntry.grade_label,
        )
        .where(NoticeEntry.notice_id == notice_id)
        .order_by(NoticeEntry.seq)
        .execution_options(yield_per=excel.CHUNK)
    )
    yield from db.session.execute(stmt)


def excel_stream(notice_id: int):
    """The bytes of the list as an .xlsx (序号, 姓名, 单位, 工种, 等级), streamed while the rows are read."""
    return excel.stream_workbook("公示名单", POSTED, entry_rows(notice_id))


def pdf_bytes(notice: ResultNotice, *, base_url: str, static_url: str, static_root: str) -> bytes:
    """The A4 PDF a bureau posts: title, the sentence with the period, the table, issuer and date. Reads
    the entries as published (never today's data)."""
    from flask import render_template

    from admin_app.services import pdf

    html = render_template(
        "gk/result_notice_pdf.html",
        notice=notice,
        intro=intro(notice),
        issuer=ISSUER,
        issued_on=issued_on(notice),
        rows=[_posted(entry) for entry in notice.entries],
        columns=POSTED_COLUMNS,
    )
    return pdf.html_to_pdf(html, base_url=base_url, static_url=static_url, static_root=static_root)
