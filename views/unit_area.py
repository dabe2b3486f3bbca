"""单位信息 area: the unit's own profile, its worker records and post settings; the staff's unit list."""

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.form import BaseForm, rules
from flask_admin.model.form import InlineFormAdmin
from flask_admin.model.template import DeleteRowAction, EndpointLinkRowAction
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from admin_app.extensions import db
from admin_app.form_helpers import REQUIRED, MonthField, code_filter, domain_validator, strip_filter
from admin_app.request_guard import download
from admin_app.services import clock, posts, unit_identity
from admin_app.services.validators import (
    InvalidInput,
    check_resident_id_agrees,
    validate_phone,
    validate_postcode,
)
from admin_app.workflow import revisions
from admin_app.workflow.states import IdentityState
from models import (
    AnnualAssessment,
    Organisation,
    PostSetting,
    Worker,
    WorkerEducation,
    WorkHistory,
    enums,
)
from models.org import ORGANISATION_LABELS
from views import pickers
from views.base import SecureModelView, every_row, searched, send_temporary_file
from views.mixins.batches import BatchFilter, batch_label
from views.mixins.listing import SortGroups
from views.unit_forms import NAME_FIELD_ARGS, UnitIdentityFormMixin, own_supervisor_candidates

STAFF_READERS = enums.BUSINESS_STAFF_ROLES

# 单位基本信息 as shown on a details page (the unit's own and 单位信息审核).
ORG_PROFILE_COLUMNS = (
    "name",
    "uscc",
    "org_category",
    "jurisdiction",
    "supervisor",
    "address",
    "postcode",
    "contact_person",
    "contact_phone",
)
ORG_LABELS = ORGANISATION_LABELS


class UnitProfileView(UnitIdentityFormMixin, SecureModelView):
    """单位基本信息: a unit edits its own organisation record (and nothing else). Saving a complete profile,
    or changing 名称, 组织类别, 所在区县 or 主管部门 later, sends it to 单位信息审核; while that waits those
    fields are not in the form at all (a forged value cannot reach the row)."""

    read_roles = frozenset({enums.UNIT})
    write_roles = frozenset({enums.UNIT})
    allow_create = False
    allow_delete = False
    scope_column = "id"
    edit_template = "gk/unit_profile_edit.html"

    form_columns = [
        "name",
        "org_category",
        "jurisdiction",
        "supervisor",
        "address",
        "postcode",
        "contact_person",
        "contact_phone",
    ]
    column_labels = ORG_LABELS
    form_choices = {"org_category": enums.choices(enums.ORG_CATEGORY_LABELS)}
    form_args = {
        "name": NAME_FIELD_ARGS,
        "org_category": {"validators": [DataRequired(REQUIRED)], "blank_text": "请选择组织类别"},
        "jurisdiction": {"validators": [DataRequired(REQUIRED)], "blank_text": "请选择所在区县"},
        "address": {"validators": [DataRequired(REQUIRED)], "filters": [strip_filter]},
        "postcode": {
            "validators": [DataRequired(REQUIRED), domain_validator(validate_postcode)],
            "filters": [code_filter],
        },
        "contact_person": {"validators": [DataRequired(REQUIRED)], "filters": [strip_filter]},
        "contact_phone": {
            "validators": [DataRequired(REQUIRED), domain_validator(validate_phone)],
            "filters": [code_filter],
        },
    }

    scoped_relations = {
        "jurisdiction": pickers.active_jurisdictions,
        "supervisor": searched(own_supervisor_candidates, "name"),
    }

    column_details_list = [
        *ORG_PROFILE_COLUMNS,
        "identity_status",
        "identity_decided_by",
        "identity_decided_at",
        "identity_opinion",
    ]
    column_formatters_detail = {
        "org_category": lambda v, c, m, n: enums.ORG_CATEGORY_LABELS.get(m.org_category or "", ""),
        "identity_status": lambda v, c, m, n: IdentityState.labels().get(m.identity_status, ""),
    }

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and obj.identity_status == IdentityState.PENDING:
            for name in unit_identity.LOCKED_FORM_FIELDS:
                delattr(form, name)
        return form

    @expose("/")
    def index_view(self):
        return redirect(self.get_url(".edit_view", id=current_user.organisation_id))

    def before_save(self, form, model, is_created):
        # The picker never offers the unit itself; a forged POST is refused here too.
        if model.supervisor is not None and model.supervisor.id == model.id:
            raise ValidationError("主管部门不能选择本单位")
        waiting = model.identity_status == IdentityState.PENDING
        if waiting and unit_identity.changed_identity_attributes(model):
            raise ValidationError(unit_identity.LOCKED_WHILE_PENDING)
        self.check_identity(model)

    def render(self, template, **kwargs):
        if template == self.edit_template:
            org = current_user.organisation
            kwargs["profile_org"] = org
            highest = posts.highest_established_grade(org.id)
            kwargs["highest_grade_label"] = (
                enums.grade_label(highest) if highest else "未设置（请在“岗位设置”中填写）"
            )
            kwargs["identity"] = {
                "status": IdentityState.labels().get(org.identity_status, IdentityState.NEW.label),
                "pending": org.identity_status == IdentityState.PENDING,
                "reason": unit_identity.submission_block_reason(org),
                "reviewer": unit_identity.reviewer_name(org),
                "changes": unit_identity.changes(org),
                "locked": [
                    (ORG_LABELS[name], unit_identity.describe(f"{name}_id", getattr(org, f"{name}_id")))
                    if name in ("jurisdiction", "supervisor")
                    else (ORG_LABELS[name], unit_identity.describe(name, getattr(org, name)))
                    for name in unit_identity.LOCKED_FORM_FIELDS
                ],
            }
        return super().render(template, **kwargs)

    def get_save_return_url(self, model, is_created=False):
        return url_for("admin.index")


class UnitDirectoryView(SecureModelView):
    """单位列表 for reviewing staff: the units in their jurisdiction, read-only."""

    read_roles = STAFF_READERS
    scope_column = "id"
    column_list = [
        "name",
        "uscc",
        "org_category",
        "jurisdiction.name",
        "supervisor",
        "contact_person",
        "contact_phone",
    ]
    column_details_list = column_list + ["address", "postcode", "created_at"]
    column_labels = ORG_LABELS
    column_choices = {"org_category": enums.choices(enums.ORG_CATEGORY_LABELS)}
    column_filters = ["org_category", "jurisdiction.name", "name"]
    column_searchable_list = ["name", "uscc"]
    column_default_sort = "name"

    def get_query(self):
        return super().get_query().filter(Organisation.kind == enums.UNIT)


# --- Worker records ------------------------------------------------------------------------------------
WORKER_LABELS = {
    "unit": "所在单位",
    "unit.name": "所在单位",
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "id_number": "身份证号码",
    "birth_date": "出生年月",
    "work_start_date": "参加工作时间",
    "phone": "联系电话",
    "education": "最高学历",
    "current_trade": "现工种",
    "current_trade.name": "现工种",
    "current_grade": "现等级",
    "current_grade_date": "现等级取得时间",
    "certificate_number": "现等级证书编号",
    "certificate_trade": "证书所列工种",
    "years_in_trade": "从事现工种年限",
    "rewards_punishments": "奖惩情况",
    "discipline_until": "处分期截止日",
    "detained_or_probation": "羁押/拘役/缓刑期间",
    "long_sick_leave_or_absence": "年内病假超3个月或缺勤超1个月",
    "holds_professional_title": "已评聘专业技术职务并兑现工资",
    "other_exclusion": "其他不符合申报条件情形",
    "is_veteran": "退役士兵",
    "competition_rank": "市级一类技能竞赛名次",
    "honour_title": "荣誉称号",
    "educations": "学历信息",
    "work_history": "工作简历",
    "assessments": "年度考核",
    "seniority": "工龄",
    "created_at": "创建时间",
    "updated_at": "更新时间",
}


class WorkerForm(BaseForm):
    """Cross-field checks: the ID number must agree with the entered 出生年月 (its month, or its day when one was
    written) and gender; unique. The birth date kept is the ID number's own."""

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not ok or "id_number" not in self:
            return ok
        birth_field = self._fields.get("birth_date")
        birth = getattr(birth_field, "typed", None) or getattr(birth_field, "data", None)
        try:
            parsed = check_resident_id_agrees(self.id_number.data, birth, self.gender.data)
        except InvalidInput as exc:
            self.id_number.errors = [*self.id_number.errors, str(exc)]
            return False
        self.id_number.data = parsed.number
        if birth_field is not None:
            birth_field.data = parsed.birth_date
        return True


WORKER_INLINE = ("educations", "work_history", "assessments")
WORKER_FIELDSETS = [
    (
        "基本信息",
        ["name", "gender", "ethnicity", "id_number", "birth_date", "work_start_date", "phone", "education"],
    ),
    (
        "现工种与等级",
        [
            "current_trade",
            "current_grade",
            "current_grade_date",
            "certificate_number",
            "certificate_trade",
            "years_in_trade",
        ],
    ),
    ("学历、简历与考核", [*WORKER_INLINE, "rewards_punishments"]),
    (
        "不得参加考核的情形（通知第一条第三款）",
        [
            "discipline_until",
            "detained_or_probation",
            "long_sick_leave_or_absence",
            "holds_professional_title",
            "other_exclusion",
        ],
    ),
    ("退役士兵、竞赛与荣誉（不受岗位限额的依据）", ["is_veteran", "competition_rank", "honour_title"]),
]


def _id_for_list(view, context, model, name):
    return model.masked_id_number


def _id_for_details(view, context, model, name):
    # Details: the owning unit and the staff who review need the full number.
    return model.id_number


def _grade(view, context, model, name):
    return enums.grade_label(getattr(model, name))


def _month(view, context, model, name):
    value = getattr(model, name)
    return f"{value:%Y.%m}" if value else ""


MONTH_COLUMNS = ("birth_date", "work_start_date", "current_grade_date")


def _work_period(record) -> str:
    end = f"{record.end_month:%Y.%m}" if record.end_month else "至今"
    return f"{record.start_month:%Y.%m}–{end} {record.employer} {record.trade_text or ''}".strip()


def _education_choices():
    return enums.choices(enums.EDUCATION_LABELS)


class WorkerView(SecureModelView):
    """工勤人员: units keep their own records; reviewing staff read those of their jurisdiction."""

    read_roles = frozenset({enums.UNIT}) | STAFF_READERS
    write_roles = frozenset({enums.UNIT})
    scope_column = "unit_id"
    form_base_class = WorkerForm
    unique_messages = {
        "id_number": "该身份证号码已有人员记录（可能在其他单位）。人员调动请联系原单位或系统管理员办理。"
    }
    edit_template = "gk/worker_edit.html"
    create_template = "gk/worker_edit.html"

    column_list = [
        "name",
        "gender",
        "id_number",
        "unit.name",
        "current_trade.name",
        "current_grade",
        "current_grade_date",
        "work_start_date",
        "education",
    ]
    column_details_list = [
        "unit",
        "name",
        "gender",
        "ethnicity",
        "id_number",
        "birth_date",
        "work_start_date",
        "seniority",
        "phone",
        "education",
        "current_trade",
        "current_grade",
        "current_grade_date",
        "certificate_number",
        "certificate_trade",
        "years_in_trade",
        "educations",
        "work_history",
        "assessments",
        "rewards_punishments",
        "discipline_until",
        "detained_or_probation",
        "long_sick_leave_or_absence",
        "holds_professional_title",
        "other_exclusion",
        "is_veteran",
        "competition_rank",
        "honour_title",
        "updated_at",
    ]
    column_labels = WORKER_LABELS
    column_choices = {
        "gender": enums.choices(enums.GENDER_LABELS),
        "education": enums.choices(enums.EDUCATION_LABELS),
        "honour_title": enums.choices(enums.HONOUR_LABELS),
        "current_grade": enums.GRADE_CHOICES,
    }
    column_formatters = {
        "id_number": _id_for_list,
        "current_grade": _grade,
        **dict.fromkeys(MONTH_COLUMNS, _month),
    }
    export_month_columns = MONTH_COLUMNS
    column_formatters_detail = {
        "id_number": _id_for_details,
        "honour_title": lambda v, c, m, n: enums.HONOUR_LABELS.get(m.honour_title or "", ""),
        "current_grade": _grade,
        **dict.fromkeys(MONTH_COLUMNS, _month),
        "seniority": lambda v, c, m, n: f"{m.seniority_years(clock.today())} 年" if m.work_start_date else "",
        "educations": lambda v, c, m, n: Markup("<br>").join(
            f"{enums.EDUCATION_LABELS.get(e.level, e.level)} {f'{e.graduated_on:%Y.%m}' if e.graduated_on else ''}"
            f" {e.school or ''} {e.major or ''}"
            for e in m.educations
        ),
        "work_history": lambda v, c, m, n: Markup("<br>").join(_work_period(w) for w in m.work_history),
        "assessments": lambda v, c, m, n: "；".join(str(a) for a in m.assessments),
    }
    column_filters = [
        "name",
        "gender",
        "current_trade.name",
        "current_grade",
        "education",
        "unit.name",
        "work_start_date",
        "is_veteran",
    ]
    column_searchable_list = ["name", "id_number"]
    column_default_sort = ("id", True)
    # 性别, 现等级 and 学历 have few values: a page sorted by one of them is read value by value, each by the id
    # index (ListingMixin.page_ids), not a sort of every worker in scope (200k for the office).
    column_sort_groups = {
        "gender": SortGroups(Worker.gender, lambda: list(enums.GENDER_LABELS)),
        "current_grade": SortGroups(
            Worker.current_grade, lambda: sorted(enums.GRADE_ORDER), ordered=True, nullable=True
        ),
        "education": SortGroups(Worker.education, lambda: list(enums.EDUCATION_LABELS), nullable=True),
    }

    form_rules = [rules.FieldSet(fields, label) for label, fields in WORKER_FIELDSETS]
    # The plain columns of the form are exactly those of the fieldsets (inline lists aside).
    form_columns = [f for _label, fields in WORKER_FIELDSETS for f in fields if f not in WORKER_INLINE]
    form_overrides = {
        "current_grade": SelectField,
        **dict.fromkeys(("birth_date", "work_start_date", "current_grade_date"), MonthField),
    }
    form_choices = {
        "gender": enums.choices(enums.GENDER_LABELS),
        "education": enums.choices(enums.EDUCATION_LABELS),
        "honour_title": enums.choices(enums.HONOUR_LABELS),
    }
    form_args = {
        "name": {"validators": [DataRequired(REQUIRED)], "filters": [strip_filter]},
        "gender": {"validators": [DataRequired(REQUIRED)]},
        "id_number": {"validators": [DataRequired(REQUIRED)], "filters": [code_filter]},
        "birth_date": {"validators": [DataRequired(REQUIRED)]},
        "phone": {"validators": [Optional(), domain_validator(validate_phone)], "filters": [code_filter]},
        "current_trade": {"blank_text": "请选择工种"},
        "certificate_trade": {"blank_text": "请选择工种"},
        "ethnicity": {"blank_text": "请选择民族"},
        "current_grade": {
            "choices": [("", "无（未取得等级）"), *enums.GRADE_FORM_CHOICES],
            "coerce": lambda v: int(v) if v not in (None, "", "None") else None,
            "validators": [Optional()],
        },
        "years_in_trade": {
            "validators": [Optional(), NumberRange(min=0, max=60, message="年限应在0到60之间")]
        },
        "competition_rank": {
            "validators": [Optional(), NumberRange(min=1, max=999, message="名次应为正整数")]
        },
    }
    scoped_relations = {
        "ethnicity": every_row,
        "current_trade": pickers.active_trades,
        "certificate_trade": pickers.active_trades,
    }
    form_widget_args = {"id_number": {"placeholder": "18位，末位可为X"}}
    inline_models = [
        InlineFormAdmin(
            WorkerEducation,
            form_columns=["id", "level", "graduated_on", "school", "major", "certificate_number"],
            form_label="学历",
            column_labels={
                "level": "学历",
                "graduated_on": "毕业时间",
                "school": "毕业院校",
                "major": "所学专业",
                "certificate_number": "证书编号",
            },
            form_overrides={"level": SelectField, "graduated_on": MonthField},
            form_args={"level": {"choices": _education_choices(), "validators": [InputRequired(REQUIRED)]}},
        ),
        InlineFormAdmin(
            WorkHistory,
            form_columns=["id", "start_month", "end_month", "employer", "trade_text"],
            form_label="工作简历",
            column_labels={
                "start_month": "起始年月",
                "end_month": "截止年月（空为至今）",
                "employer": "在何单位",
                "trade_text": "从事何工种",
            },
            form_overrides=dict.fromkeys(("start_month", "end_month"), MonthField),
            form_args={
                "start_month": {"validators": [DataRequired(REQUIRED)]},
                "employer": {"validators": [DataRequired(REQUIRED)]},
            },
        ),
        InlineFormAdmin(
            AnnualAssessment,
            form_columns=["id", "year", "result"],
            form_label="年度考核",
            column_labels={"year": "年度", "result": "考核结果"},
            form_overrides={"result": SelectField},
            form_args={
                "year": {
                    "validators": [
                        InputRequired(REQUIRED),
                        NumberRange(min=1970, max=2100, message="年度无效"),
                    ]
                },
                "result": {
                    "choices": enums.choices(enums.ASSESSMENT_LABELS),
                    "validators": [InputRequired(REQUIRED)],
                },
            },
        ),
    ]

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.edit_template and model is not None:
            parts = revisions.worker_returned_parts(model)
            if parts is not None:  # 退回修改: the worker's parts that were returned, if any
                mine = [p for p in parts if p in ("basic", *revisions.WORKER_LISTS)]
                kwargs["returned_parts_label"] = revisions.labels_of(mine) or "无"
        return super().render(template, **kwargs)

    def delete_lock_reason(self, obj) -> str | None:
        from models import Application

        if db.session.scalar(sa.select(Application.id).where(Application.worker_id == obj.id).limit(1)):
            return "该人员已有考试资格申请记录，不能删除"
        return None

    def row_action_open(self, action, row, rows=()) -> bool:
        """删除 only on workers without an application, read once for the page's rows (not once per row)."""
        if not isinstance(action, DeleteRowAction):
            return super().row_action_open(action, row, rows)
        from models import Application

        def applied():
            ids = [r.id for r in rows] or [row.id]
            return set(
                db.session.scalars(sa.select(Application.worker_id).where(Application.worker_id.in_(ids)))
            )

        return row.id not in self._per_page((self.endpoint, "applied"), applied)

    def before_save(self, form, model, is_created):
        if is_created:
            model.unit_id = current_user.organisation_id
        years = [a.year for a in model.assessments]
        if len(years) != len(set(years)):
            raise ValidationError("年度考核中同一年度只能填写一次")
        for record in model.work_history:
            if record.end_month and record.end_month < record.start_month:
                raise ValidationError("工作简历的截止年月不能早于起始年月")
        if model.work_start_date and model.birth_date and model.work_start_date < model.birth_date:
            raise ValidationError("参加工作时间不能早于出生日期")
        if model.current_grade and not model.current_grade_date:
            raise ValidationError("请填写现等级取得时间")
        if not is_created and (reason := revisions.worker_change_refusal(model, _changed_parts(model))):
            raise ValidationError(reason)


def _columns_changed(row) -> bool:
    """Whether a column of ``row`` holds another value than loaded (an empty text and NULL are the same: a form
    posts "" for an empty choice)."""
    state = sa.inspect(row)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if (None if old == "" else old) != (None if new == "" else new):
                return True
    return False


def _changed_parts(worker) -> set:
    """The 退回修改 parts a save of the worker's form changes: its columns and 年度考核 are 基本信息, its lists
    学历 and 工作简历 their own (rows added, changed or deleted)."""
    state = sa.inspect(worker)
    parts = set()
    if _columns_changed(worker):
        parts.add("basic")
    for name in ("educations", "work_history", "assessments"):
        relation = state.mapper.relationships[name]
        children = getattr(worker, name)
        changed = state.attrs[name].history.has_changes() or any(
            sa.inspect(child).pending or _columns_changed(child) for child in children
        )
        changed = changed or any(
            isinstance(gone, relation.mapper.class_) and gone.worker_id == worker.id
            for gone in db.session.deleted
        )
        if changed:
            parts.add(revisions.worker_part(name))
    return parts


# --- Post settings ------------------------------------------------------------------------------------
class PostSettingView(SecureModelView):
    """岗位设置 (附件4 numbers) per batch and grade; units keep theirs, reviewers read them."""

    list_template = "gk/post_list.html"
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-table", ".filing_view", title="导出附件4备案表")]

    @expose("/filing.xlsx", methods=("GET",))
    @download
    def filing_view(self):
        """附件4 备案表 of one unit and one batch: those of a post-setting row the user may see (``?id=``, the
        row's icon), or — the list's button — the batch the list's 批次 condition chooses and the unit (a
        unit user: itself; staff: the one unit of the listed rows). Refused with a message, nothing exported,
        when the list shows several batches (or, for staff, several units)."""
        from admin_app.services import audit, excel, notice_forms
        from models.org import utcnow

        if request.args.get("id"):
            setting = self.get_one(request.args.get("id"))
            unit, batch = setting.unit, setting.batch
        else:
            unit, batch = self.listed_filing_target()
            if batch is None or unit is None:
                flash(
                    "附件4按单位和批次填报：请先在组合查询中选择一个批次"
                    + ("" if current_user.role == enums.UNIT else "和一个单位（或用每行右侧的图标导出）")
                    + "，再导出附件4备案表",
                    "error",
                )
                return redirect(self._get_list_url(self._get_list_extra_args()))
        figures = posts.filing_figures(unit.id, batch.id)
        path = excel.temporary_path()
        notice_forms.write_filing(
            path,
            unit.name,
            figures,
            person=current_user.full_name or current_user.username,
            phone=current_user.phone or unit.contact_phone or "",
            filled_at=utcnow(),
            batch=batch_label(batch),
        )
        audit.record(
            "export",
            object_type="PostSetting",
            detail={"form": "附件4", "unit": unit.id, "batch": batch.id},
        )
        db.session.commit()

        return send_temporary_file(path, f"附件4_备案表_{unit.name}_{batch.year}年度.xlsx")

    def listed_filing_target(self) -> tuple:
        """(unit, batch) of the list's 附件4 button: the batch the 批次 condition chooses and the unit (a unit
        user: itself; staff: the one unit of the listed rows); (None, None) when the list shows several. The
        list draws the button only when there is one (no button that is refused when clicked)."""
        batch = self.chosen_batch()
        unit = current_user.organisation if current_user.role == enums.UNIT else None
        if batch is not None and unit is None:
            listed, _view_args = self.filtered_query(eager=False)
            units = [
                pk
                for (pk,) in listed.filter(PostSetting.batch_id == batch.id)
                .order_by(None)
                .with_entities(PostSetting.unit_id)
                .distinct()
                .limit(2)
            ]
            unit = db.session.get(Organisation, units[0]) if len(units) == 1 else None
        return (unit, batch) if unit is not None and batch is not None else (None, None)

    read_roles = frozenset({enums.UNIT}) | STAFF_READERS
    write_roles = frozenset({enums.UNIT})
    scope_column = "unit_id"
    column_list = [
        "batch.year",
        "unit.name",
        "grade",
        "approved_posts",
        "current_staff",
        "special_posts",
        "vacant_posts",
    ]
    column_labels = {
        "unit.name": "单位",
        "unit": "单位",
        "batch": "考核批次",
        "grade": "等级",
        "approved_posts": "核准岗位数",
        "current_staff": "现聘人数",
        "special_posts": "特设岗位聘用人数",
        "vacant_posts": "空缺岗位",
        "batch.year": "批次",
    }
    column_formatters = {"grade": _grade, "batch.year": lambda v, c, m, n: batch_label(m.batch)}
    column_filters = [BatchFilter(PostSetting.__table__.c.batch_id), "grade", "unit.name"]
    column_sortable_list = [("batch.year", "batch.year"), "grade", "approved_posts", "current_staff"]
    column_default_sort = [("batch_id", True), ("grade", False)]
    form_columns = ["batch", "grade", "approved_posts", "current_staff", "special_posts"]
    form_overrides = {"grade": SelectField}
    form_args = {
        "batch": {"validators": [DataRequired(REQUIRED)]},
        "grade": {
            "choices": enums.GRADE_FORM_CHOICES,
            "coerce": int,
            "validators": [InputRequired(REQUIRED)],
        },
        "approved_posts": {"validators": [InputRequired(REQUIRED), NumberRange(min=0, message="不能为负数")]},
        "current_staff": {"validators": [InputRequired(REQUIRED), NumberRange(min=0, message="不能为负数")]},
        "special_posts": {"validators": [InputRequired(REQUIRED), NumberRange(min=0, message="不能为负数")]},
    }
    scoped_relations = {"batch": pickers.writable_batches}

    def before_save(self, form, model, is_created):
        if is_created:
            model.unit_id = current_user.organisation_id
        clash = db.session.scalar(
            sa.select(PostSetting.id).where(
                PostSetting.unit_id == model.unit_id,
                PostSetting.batch_id == model.batch.id,
                PostSetting.grade == model.grade,
                PostSetting.id != (model.id or 0),
            )
        )
        if clash:
            raise ValidationError("该批次该等级的岗位设置已存在，请直接修改原记录")
