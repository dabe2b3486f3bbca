"""The parts of an application a reviewer may return for revision (退回修改), and their content: what the
unit may change in each part, and a snapshot of each part at the return and at the resubmission, from which
the reviewer's before → after table is drawn (``changes``)."""

import json
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from admin_app.extensions import db
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import ApplicationState
from models import Application, ApplicationRevision, Worker, enums

# The parts a reviewer may return, in the order of the form: key (stored) -> label (shown).
PARTS = {
    "basic": "基本信息",
    "education": "学历",
    "work_history": "工作简历",
    "achievements": "业绩",
    "publicity": "公示",
    "materials": "申报材料",
}
# The application's own columns in each part (the worker's record: WORKER_LISTS; 申报材料 are uploads).
APPLICATION_FIELDS = {
    "basic": ("certificate_class", "retire_two_in_one", "veteran", "remarks"),
    "achievements": ("achievements",),
    "publicity": ("publicity_start", "publicity_end", "publicity_result"),
}
# The worker's record: 学历 and 工作简历 are its lists; everything else of it (年度考核 included) is 基本信息.
WORKER_LISTS = {"education": "educations", "work_history": "work_history"}
WORKER_BOOKKEEPING = frozenset({"id", "unit_id", "created_at", "updated_at"})


def parse_parts(values) -> tuple:
    """The chosen parts (keys of ``PARTS``, in its order); InvalidInput (Chinese) if none or unknown."""
    chosen = {str(v).strip() for v in values or () if str(v).strip()}
    if not chosen:
        raise InvalidInput("退回修改须选择需修改的部分")
    if chosen - set(PARTS):
        raise InvalidInput("需修改的部分无效，请重新选择")
    return tuple(key for key in PARTS if key in chosen)


def parts_of(app_or_text) -> tuple:
    """The parts the unit may change now: those of the current round while 退回修改, else none."""
    if isinstance(app_or_text, Application):
        if app_or_text.status != ApplicationState.RETURNED:
            return ()
        app_or_text = app_or_text.return_parts
    return tuple(p for p in (app_or_text or "").split(",") if p in PARTS)


def labels_of(parts) -> str:
    """学历、业绩: the labels of ``parts`` for messages."""
    return "、".join(PARTS[p] for p in parts if p in PARTS)


def worker_part(relation: str) -> str:
    """The part of a list of the worker's record (``educations``, ``work_history``; 年度考核 is 基本信息)."""
    return next((part for part, name in WORKER_LISTS.items() if name == relation), "basic")


# --- the parts' content, for before → after -------------------------------------------------------------
def _text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_WORKER_CHOICES = {
    "gender": enums.GENDER_LABELS,
    "education": enums.EDUCATION_LABELS,
    "honour_title": enums.HONOUR_LABELS,
}


def _worker_value(worker: Worker, column: str) -> str:
    if column in _WORKER_CHOICES:
        value = getattr(worker, column)
        return _WORKER_CHOICES[column].get(value, _text(value))
    if column == "current_grade":
        return enums.grade_label(worker.current_grade) if worker.current_grade else ""
    if column.endswith("_id"):  # ethnicity, current_trade, certificate_trade: their names
        related = getattr(worker, column.removesuffix("_id"), None)
        return related.name if related is not None else ""
    return _text(getattr(worker, column))


def _lines(records, render) -> str:
    return "\n".join(render(r) for r in records)


def snapshot(app: Application, parts) -> list:
    """[[part, item, text], …]: what ``parts`` of ``app`` contain now (item: a column, or a list's name)."""
    out = []
    worker = app.worker
    for part in parts:
        if part == "basic":
            for column in (c.name for c in Worker.__table__.columns):
                if column not in WORKER_BOOKKEEPING:
                    out.append([part, f"worker.{column}", _worker_value(worker, column)])
            out.append([part, "worker.assessments", _lines(worker.assessments, str)])
        if part == "education":
            out.append(
                [
                    part,
                    "worker.educations",
                    _lines(
                        worker.educations,
                        lambda e: " ".join(
                            _text(v)
                            for v in (str(e), e.graduated_on, e.school, e.major, e.certificate_number)
                            if _text(v)
                        ),
                    ),
                ]
            )
        if part == "work_history":
            out.append(
                [
                    part,
                    "worker.work_history",
                    _lines(
                        worker.work_history,
                        lambda w: " ".join(
                            x
                            for x in (
                                f"{w.start_month:%Y.%m}–{w.end_month:%Y.%m}"
                                if w.end_month
                                else f"{w.start_month:%Y.%m}–至今",
                                w.employer,
                                w.trade_text or "",
                            )
                            if x
                        ),
                    ),
                ]
            )
        for column in APPLICATION_FIELDS.get(part, ()):
            value = getattr(app, column)
            if column == "publicity_result":
                value = enums.PUBLICITY_LABELS.get(value or "", value)
            out.append([part, column, _text(value)])
        if part == "materials":
            out.append([part, "materials", _lines(app.materials, lambda m: m.original_name)])
    return out


def changes(revision: ApplicationRevision) -> list[tuple]:
    """(part label, item, before, after) of what differs between the return and the resubmission."""
    if revision.after is None:
        return []
    after = {(part, item): text for part, item, text in json.loads(revision.after)}
    out = []
    for part, item, text in json.loads(revision.before):
        new = after.get((part, item), "")
        if new != text:
            out.append((PARTS.get(part, part), item, text, new))
    return out


def loaded(ids) -> list[Application]:
    """The applications ``ids`` with what ``snapshot`` reads (worker, lists, materials), fresh."""
    return db.session.scalars(
        sa.select(Application)
        .where(among(Application.id, ids))
        .options(
            selectinload(Application.materials),
            selectinload(Application.worker).selectinload(Worker.educations),
            selectinload(Application.worker).selectinload(Worker.work_history),
            selectinload(Application.worker).selectinload(Worker.assessments),
        )
        .execution_options(populate_existing=True)
    ).all()
