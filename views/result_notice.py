"""合格名单公示 and 公示异议 (SPEC §8.4).

A published notice is what a bureau posts on its notice board: every logged-in role reads it and downloads its
PDF and Excel. Drafts, objections and every decision are the 市工考办's (the 市职鉴中心 reads objections).
"""

import sqlalchemy as sa
from flask import current_app, flash, make_response, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import BaseForm
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from admin_app.extensions import db
from admin_app.request_guard import download, parse_pk
from admin_app.services import audit, clock, result_notices, uploads
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import BatchState, NoticeState, ObjectionState
from models import ExamBatch, NoticeEntry, Objection, Registration, ResultNotice, enums
from views.actor import current_actor
from views.base import SecureModelView
from views.bulk import BulkWorkflowMixin
from views.mixins.batches import batch_label
from views.mixins.links import RowLink

OFFICE = frozenset({enums.OFFICE})
EVERY_ROLE = frozenset(enums.ROLE_LABELS)
OBJECTION_READERS = frozenset({enums.OFFICE, enums.CENTER})
PUBLISHED_ONLY = "已发布的公示不能删除"


class NoticeStageFilter(FilterEqual):
    """资格认定 list: 公示情况 为 … (公示期满 = may be recognised today: on a published notice whose period has
    ended, no objection waiting; the 首页 to-do 公示期满待认定). On the row's own id: no join."""

    STAGES = (
        ("ended", "公示期满（无待处理异议）"),
        ("running", "公示中"),
        ("objected", "有未处理的公示异议"),
        ("none", "尚未公示"),
    )

    def __init__(self):
        super().__init__(Registration.__table__.c.id, "公示情况", options=self.STAGES)

    def validate(self, value) -> bool:
        return value in dict(self.STAGES)

    def apply(self, query, value, alias=None):
        today = clock.today()
        published = (
            sa.select(NoticeEntry.id)
            .join(ResultNotice, ResultNotice.id == NoticeEntry.notice_id)
            .where(
                NoticeEntry.registration_id == Registration.id, ResultNotice.state == NoticeState.PUBLISHED
            )
        )
        objected = (
            sa.select(Objection.id)
            .where(Objection.registration_id == Registration.id, Objection.state == ObjectionState.OPEN)
            .exists()
        )
        conditions = {
            "ended": sa.and_(  # as 资格认定 checks it: every published 公示 of the row is over
                published.exists(), ~published.where(ResultNotice.end_date >= today).exists(), ~objected
            ),
            "running": published.where(ResultNotice.end_date >= today).exists(),
            "objected": objected,
            "none": ~published.exists(),
        }
        return query.filter(conditions.get(value, sa.false()))


class NoticeDraftForm(BaseForm):
    """新建公示: the batch (not archived) and, optionally, a title of one's own."""

    batch_id = SelectField("考核批次", coerce=int, validators=[InputRequired("请选择考核批次")])
    title = StringField(
        "公示标题（不填则按批次生成）",
        validators=[Length(max=result_notices.TITLE_MAX, message="公示标题过长")],
    )


def _state(view, context, model, name):
    return NoticeState.label_of(model.state)


class ResultNoticeView(BulkWorkflowMixin, SecureModelView):
    """合格名单公示: the office makes a draft of a batch (everyone eligible now), publishes it (发布公示), and
    records objections on its entries; every role reads published notices, their PDF and Excel."""

    read_roles = EVERY_ROLE
    write_roles = OFFICE
    allow_edit = False
    workflow_machine = "notice"
    confirm_name_label = "公示"
    list_template = "gk/application_list.html"  # the bulk buttons ("全部符合筛选条件")
    details_template = "gk/result_notice_details.html"
    create_template = "admin/model/create.html"
    export_name = "合格名单公示"
    endpoint_roles = {"objection_view": OFFICE}
    form_columns = ["title"]  # no edit form (allow_edit); 新建公示 is NoticeDraftForm

    column_list = ["batch.year", "title", "state", "days", "start_date", "end_date", "published_at"]
    column_details_list = ["batch.year", "title", "state", "days", "start_date", "end_date", "published_at"]
    column_labels = {
        "batch.year": "批次",
        "title": "公示标题",
        "state": "状态",
        "days": "公示期（工作日）",
        "start_date": "发布日期",
        "end_date": "公示期至",
        "published_at": "发布时间",
    }
    column_formatters = {"state": _state, "batch.year": lambda v, c, m, n: batch_label(m.batch)}
    column_choices = {"state": NoticeState.choices()}
    column_filters = ["state", "end_date"]
    column_sortable_list = ["title", "end_date", "published_at"]
    column_default_sort = ("id", True)
    column_extra_row_actions = [
        RowLink("fa fa-file-pdf-o", ".print_pdf_view", "下载公示PDF", lambda row: True),
        RowLink("fa fa-file-excel-o", ".notice_xlsx_view", "下载公示名单Excel", lambda row: True),
    ]

    def scope_condition(self):
        """The office sees drafts too; every other role the published notices only."""
        if current_user.role == enums.OFFICE:
            return None
        return ResultNotice.state == NoticeState.PUBLISHED

    def delete_lock_reason(self, obj):
        if obj.state != NoticeState.DRAFT:
            return PUBLISHED_ONLY
        return super().delete_lock_reason(obj)

    def confirm_rows(self, ids):
        query = self.get_query().filter(ResultNotice.id.in_(ids))
        return [(n.id, n.title, NoticeState.label_of(n.state)) for n in query]

    # --- 新建公示 -------------------------------------------------------------------------------------------
    def get_create_form(self):
        return NoticeDraftForm

    def create_form(self, obj=None):
        form = super().create_form(obj)
        batches = db.session.scalars(
            sa.select(ExamBatch).where(ExamBatch.state != BatchState.ARCHIVED).order_by(ExamBatch.year.desc())
        )
        form.batch_id.choices = [(b.id, str(b)) for b in batches]
        return form

    def create_model(self, form):
        try:
            return result_notices.create_draft(current_actor(), form.batch_id.data, form.title.data)
        except InvalidInput as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False

    # --- the details page: entries and objections -----------------------------------------------------------
    def shows_objections(self) -> bool:
        return current_user.role in OBJECTION_READERS

    def objections_of(self, notice) -> dict:
        """{entry id: [objections]} for the office and the centre; {} for everyone else."""
        if not self.shows_objections():
            return {}
        found: dict = {}
        for objection in db.session.scalars(
            sa.select(Objection).where(Objection.notice_id == notice.id).order_by(Objection.id)
        ):
            found.setdefault(objection.entry_id, []).append(objection)
        return found

    @staticmethod
    def objection_label(objection) -> str:
        return ObjectionState.label_of(objection.state)

    @staticmethod
    def is_draft(notice) -> bool:
        return notice.state == NoticeState.DRAFT

    @staticmethod
    def intro(notice) -> str:
        return result_notices.intro(notice)

    def may_object(self, notice) -> bool:
        return (
            current_user.role == enums.OFFICE
            and notice.state == NoticeState.PUBLISHED
            and not notice.batch.read_only
        )

    @expose("/objection/", methods=("POST",))
    def objection_view(self):
        """记录异议 on the entry of a published notice with the 序号 typed (市工考办)."""
        notice = self.get_one(request.args.get("id"))
        back = redirect(self.get_url(".details_view", id=notice.id))
        seq = parse_pk(request.form.get("seq", "").strip())
        entry = (
            db.session.scalar(
                sa.select(NoticeEntry).where(NoticeEntry.notice_id == notice.id, NoticeEntry.seq == seq)
            )
            if seq
            else None
        )
        if entry is None:
            flash("公示名单中没有该序号，请核对后重新填写", "error")
            return back
        try:
            result_notices.record_objection(
                current_actor(), entry.id, request.form.get("source"), request.form.get("text")
            )
        except InvalidInput as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return back
        flash(f"已记录对“{entry.name}”的异议，请在公示异议中处理", "success")
        return back

    # --- the list as posted -----------------------------------------------------------------------------------
    def _audit_download(self, notice, form: str) -> None:
        audit.record(
            "export",
            user=current_actor(),
            object_type="ResultNotice",
            object_id=notice.id,
            detail={"form": form},
        )
        db.session.commit()

    @expose("/notice.pdf", methods=("GET",))
    @download
    def print_pdf_view(self):
        """The notice as posted, an A4 PDF (the entries as published)."""
        notice = self.get_one(request.args.get("id"))
        base_url = request.host_url.rstrip("/")
        data = result_notices.pdf_bytes(
            notice,
            base_url=base_url + "/",
            static_url=base_url + current_app.static_url_path + "/",
            static_root=current_app.static_folder,
        )
        self._audit_download(notice, "公示PDF")
        response = make_response(data)
        response.mimetype = "application/pdf"
        response.headers["Content-Disposition"] = uploads.content_disposition(
            "attachment", f"合格人员名单公示_{notice.id}.pdf", "application/pdf"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @expose("/notice.xlsx", methods=("GET",))
    @download
    def notice_xlsx_view(self):
        """The notice's list as an .xlsx (序号, 姓名, 单位, 工种, 等级), streamed."""
        from flask import Response, stream_with_context

        notice = self.get_one(request.args.get("id"))
        notice_id = notice.id
        self._audit_download(notice, "公示名单Excel")
        response = Response(
            stream_with_context(result_notices.excel_stream(notice_id)), mimetype=uploads.XLSX_TYPE
        )
        response.headers["Content-Disposition"] = uploads.content_disposition(
            "attachment", f"合格人员名单公示_{notice_id}_{clock.now():%Y%m%d}.xlsx", uploads.XLSX_TYPE
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _objection_state(view, context, model, name):
    return ObjectionState.label_of(model.state)


class ObjectionView(BulkWorkflowMixin, SecureModelView):
    """公示异议: recorded on a notice's details page, resolved here (维持 / 取消 with the 处理意见) by the office;
    the 市职鉴中心 reads them."""

    read_roles = OBJECTION_READERS
    write_roles = frozenset()
    allow_create = allow_edit = allow_delete = False
    workflow_machine = "objection"
    confirm_name_label = "姓名"
    list_template = "gk/application_list.html"
    details_template = "gk/transition_details.html"
    export_name = "公示异议"
    form_columns = ["source"]  # no form: recorded on the notice's page, resolved by transitions

    column_list = [
        "notice.title",
        "entry.name",
        "entry.unit_name",
        "entry.trade_name",
        "entry.grade_label",
        "source",
        "text",
        "state",
        "recorded_at",
        "resolution",
        "resolved_at",
    ]
    column_details_list = column_list
    column_labels = {
        "notice.title": "公示",
        "entry.name": "姓名",
        "entry.unit_name": "单位",
        "entry.trade_name": "工种",
        "entry.grade_label": "等级",
        "source": "异议来源",
        "text": "异议内容",
        "state": "处理状态",
        "recorded_at": "记录时间",
        "resolution": "处理意见",
        "resolved_at": "处理时间",
    }
    column_formatters = {"state": _objection_state}
    column_choices = {"state": ObjectionState.choices()}
    column_filters = ["state", "recorded_at"]
    column_sortable_list = ["recorded_at", "resolved_at"]
    column_default_sort = ("id", True)

    def confirm_rows(self, ids):
        rows = db.session.execute(
            sa.select(Objection.id, NoticeEntry.name, Objection.state)
            .join(NoticeEntry, NoticeEntry.id == Objection.entry_id)
            .where(Objection.id.in_(ids))
        ).all()
        return [(r.id, r.name, ObjectionState.label_of(r.state)) for r in rows]
