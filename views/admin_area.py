"""系统管理 area (admin only): accounts, organisations, jurisdictions, trades, batches, audit log."""

from flask import flash, redirect
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import (
    DateTimeBetweenFilter,
    DateTimeGreaterFilter,
    DateTimeSmallerFilter,
    FilterEqual,
)
from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from admin_app import workflow
from admin_app.form_helpers import (
    REQUIRED,
    code_filter,
    domain_validator,
    email_filter,
    form_error,
    strip_filter,
)
from admin_app.services import accounts, batches, login_throttle
from admin_app.services.clock import format_beijing, from_beijing
from admin_app.services.validators import (
    InvalidInput,
    validate_credit_code,
    validate_email,
    validate_mobile,
    validate_phone,
    validate_postcode,
)
from admin_app.workflow.states import BatchState, IdentityState
from admin_app.workflow.table import transitions_of
from models import AuditLog, ExamBatch, RouteRule, User, enums
from models.org import utcnow
from views import pickers
from views.actor import current_actor
from views.base import SecureModelView, every_row, parse_ids, searched
from views.mixins.batches import BatchFilter
from views.unit_area import ORG_LABELS
from views.unit_forms import NAME_FIELD_ARGS, UnitIdentityFormMixin, supervisor_candidates

ADMIN_ONLY = frozenset({enums.ADMIN})


class AdminOnlyView(SecureModelView):
    read_roles = ADMIN_ONLY
    write_roles = ADMIN_ONLY
    allow_delete = False  # dictionaries and accounts are deactivated, never deleted (history refers to them)


def _role_label(view, context, model, name):
    return enums.ROLE_LABELS.get(model.organisation.kind, model.organisation.kind)


def _login_lock(view, context, model, name):
    """登录锁定: until when, and from how many addresses (the locks of the whole page read in one query)."""
    locks = view._per_page((view.endpoint, "login_locks"), lambda: login_throttle.locked_accounts(utcnow()))
    if model.username not in locks:
        return ""
    count, until = locks[model.username]
    return f"锁定至 {format_beijing(until, '%m-%d %H:%M')}（{count} 个地址）"


class UserAdminView(AdminOnlyView):
    """账号管理: staff accounts get a one-time password and must change it at first login."""

    column_list = [
        "username",
        "full_name",
        "organisation",
        "role",
        "active",
        "must_change_password",
        "login_lock",
        "last_login_at",
    ]
    column_labels = {
        "username": "账号",
        "full_name": "姓名",
        "phone": "电话",
        "email": "电子邮箱",
        "mobile": "手机号码",
        "email_opt_out": "不接收邮件提醒",
        "sms_opt_out": "不接收短信提醒",
        "organisation": "所属机构",
        "organisation.name": "所属机构",
        "organisation.kind": "角色",
        "role": "角色",
        "active": "启用",
        "must_change_password": "须修改密码",
        "login_lock": "登录锁定",
        "last_login_at": "最近登录",
        "real_name_verified": "已实名认证",
        "created_at": "创建时间",
        "password_changed_at": "密码修改时间",
        "verified_name": "实名认证姓名",
        "verified_at": "实名认证时间",
    }
    column_formatters = {"role": _role_label, "login_lock": _login_lock}
    column_filters = ["username", "organisation.name", "organisation.kind", "active", "must_change_password"]
    column_choices = {"organisation.kind": enums.choices(enums.ROLE_LABELS)}
    column_searchable_list = ["username", "full_name"]
    column_details_exclude_list = ["password_hash", "verified_id_number"]
    form_columns = ["username", "full_name", "phone", "email", "mobile", "organisation", "active"]
    form_args = {
        "username": {"validators": [DataRequired(REQUIRED)], "filters": [strip_filter]},
        "organisation": {"validators": [DataRequired(REQUIRED)]},
        "phone": {"validators": [Optional(), domain_validator(validate_phone)], "filters": [code_filter]},
        # reminders (services/reminders.py); whether the user wants them is the user's own 消息设置
        "email": {"validators": [Optional(), domain_validator(validate_email)], "filters": [email_filter]},
        "mobile": {"validators": [Optional(), domain_validator(validate_mobile)], "filters": [code_filter]},
    }
    unique_messages = {"username": "该账号已存在"}
    action_roles = {name: ADMIN_ONLY for name in ("reset_password", "disable", "enable", "unlock")}

    scoped_relations = {"organisation": searched(every_row, "name", "uscc")}

    def before_save(self, form, model, is_created):
        with form_error():
            model._one_time_password = accounts.prepare_account(model, is_created)

    def after_model_change(self, form, model, is_created):
        password = getattr(model, "_one_time_password", None)
        if is_created and password:
            flash(
                Markup(
                    "账号 {} 已创建。初始密码：<code>{}</code>（仅显示这一次，请安全告知本人；首次登录须修改）"
                ).format(escape(model.username), escape(password)),
                "success",
            )

    def _selected_users(self, ids):
        return self.get_query().filter(User.id.in_(parse_ids(ids))).all()

    @action("reset_password", "重置密码", "确定为所选账号重置密码吗？新密码仅显示一次，用户登录后须修改。")
    def action_reset_password(self, ids):
        issued = accounts.reset_passwords(current_actor(), self._selected_users(ids))
        lines = Markup("<br>").join(Markup("{}：<code>{}</code>").format(u, p) for u, p in issued)
        flash(Markup("已重置 {} 个账号的密码（仅显示这一次）：<br>").format(len(issued)) + lines, "success")

    @action("disable", "停用账号", "确定停用所选账号吗？其所有登录会话将立即失效。")
    def action_disable(self, ids):
        users = self._selected_users(ids)
        accounts.disable_accounts(current_actor(), users)
        flash(f"已停用 {len(users)} 个账号", "success")

    @action("enable", "启用账号")
    def action_enable(self, ids):
        users = self._selected_users(ids)
        accounts.enable_accounts(current_actor(), users)
        flash(f"已启用 {len(users)} 个账号", "success")

    @action("unlock", "解除登录锁定", "确定解除所选账号在所有地址上的登录锁定吗？")
    def action_unlock(self, ids):
        locked = login_throttle.unlock(current_actor(), self._selected_users(ids))
        flash(f"已解除 {locked} 个账号的登录锁定" if locked else "所选账号没有被锁定", "success")


class OrganisationAdminView(UnitIdentityFormMixin, AdminOnlyView):
    """机构管理: every organisation, staff bodies and units alike. The admin marks which units may be chosen
    as 主管部门; a change of a unit's 名称, 信用代码, 组织类别, 所在区县 or 主管部门 here needs 单位信息审核 too."""

    unique_messages = {"uscc": accounts.DUPLICATE_CREDIT_CODE}
    column_list = [
        "name",
        "kind",
        "uscc",
        "org_category",
        "jurisdiction",
        "supervisor",
        "is_supervisor",
        "identity_status",
        "active",
    ]
    column_labels = ORG_LABELS
    column_choices = {
        "kind": enums.choices(enums.ROLE_LABELS),
        "org_category": enums.choices(enums.ORG_CATEGORY_LABELS),
        "identity_status": IdentityState.choices(),
    }
    column_filters = [
        "kind",
        "org_category",
        "jurisdiction.name",
        "is_supervisor",
        "identity_status",
        "active",
        "self_registered",
    ]
    column_searchable_list = ["name", "uscc"]
    column_default_sort = "name"
    column_details_exclude_list = ["name_key", "identity_confirmed"]  # internal: the key, the snapshot
    form_columns = [
        "name",
        "kind",
        "uscc",
        "org_category",
        "jurisdiction",
        "supervisor",
        "is_supervisor",
        "address",
        "postcode",
        "contact_person",
        "contact_phone",
        "active",
    ]
    form_choices = {
        "kind": enums.choices(enums.ROLE_LABELS),
        "org_category": enums.choices(enums.ORG_CATEGORY_LABELS),
    }
    form_args = {
        "name": NAME_FIELD_ARGS,
        "kind": {"validators": [DataRequired(REQUIRED)]},
        "uscc": {
            "validators": [Optional(), domain_validator(validate_credit_code)],
            "filters": [code_filter],
        },
        "postcode": {
            "validators": [Optional(), domain_validator(validate_postcode)],
            "filters": [code_filter],
        },
        "contact_phone": {
            "validators": [Optional(), domain_validator(validate_phone)],
            "filters": [code_filter],
        },
    }

    scoped_relations = {
        "jurisdiction": every_row,  # the admin may place an organisation in any 区县, merged ones too
        "supervisor": searched(supervisor_candidates, "name"),
    }

    def before_save(self, form, model, is_created):
        with form_error():
            accounts.check_organisation(model)
        self.check_identity(model)


class JurisdictionView(AdminOnlyView):
    column_list = ["code", "name", "kind", "active", "merged_into", "sort_order"]
    column_labels = {
        "code": "代码",
        "name": "名称",
        "kind": "类型",
        "active": "现行",
        "merged_into": "并入",
        "sort_order": "排序",
        "note": "备注",
    }
    column_choices = {"kind": enums.choices(enums.JURISDICTION_KIND_LABELS)}
    column_filters = ["kind", "active"]
    column_searchable_list = ["name", "code"]
    column_default_sort = "sort_order"
    form_columns = ["code", "name", "kind", "active", "merged_into", "sort_order", "note"]
    form_choices = {"kind": enums.choices(enums.JURISDICTION_KIND_LABELS)}
    form_args = {
        "code": {"validators": [DataRequired(REQUIRED)]},
        "name": {"validators": [DataRequired(REQUIRED)]},
    }
    scoped_relations = {"merged_into": every_row}


class TradeView(AdminOnlyView):
    column_list = ["name", "category", "max_grade", "active"]
    column_labels = {
        "name": "工种名称",
        "category": "工种类别",
        "max_grade": "最高可申报等级",
        "active": "启用",
    }
    column_formatters = {"max_grade": lambda v, c, m, n: enums.grade_label(m.max_grade)}
    column_filters = ["category", "max_grade", "active"]
    column_searchable_list = ["name"]
    column_default_sort = [("category", False), ("name", False)]
    form_columns = ["name", "category", "max_grade", "active"]
    form_overrides = {"category": SelectField, "max_grade": SelectField}
    form_args = {
        "name": {"validators": [DataRequired(REQUIRED)], "filters": [strip_filter]},
        "category": {"choices": [(c, c) for c in enums.TRADE_CATEGORIES]},
        "max_grade": {
            "choices": enums.GRADE_FORM_CHOICES,
            "coerce": int,
        },
    }


class EthnicityView(AdminOnlyView):
    column_list = ["code", "name"]
    column_labels = {"code": "代码", "name": "民族"}
    column_default_sort = "code"
    form_columns = ["code", "name"]


BATCH_LABELS = {
    "year": "年度",
    "name": "批次名称",
    "doc_number": "文号",
    "cutoff_date": "计算截止日",
    "apply_deadline": "申报截止日",
    "assessment_start_year": "年度考核起始年",
    "assessment_end_year": "年度考核截止年",
    "state": "状态",
    "grace_days": "宽限期（天）",
    "min_years_grade_4": "申报中级工本等级年限",
    "min_years_grade_3": "申报高级工本等级年限",
    "min_years_grade_2": "申报技师本等级年限",
    "min_years_grade_1": "申报高级技师本等级年限",
    "senior_min_education": "技师/高级技师最低学历",
    "retirement_age_male": "退休年龄（男）",
    "retirement_age_female": "退休年龄（女）",
    "pass_line_theory": "业务理论合格线",
    "pass_line_practice": "实际操作合格线",
    "pass_line_review": "综合评审合格线",
    "quorum_num": "评审法定人数（分子）",
    "quorum_den": "评审法定人数（分母）",
    "majority_num": "通过票数（分子）",
    "majority_den": "通过票数（分母）",
    "fee_amount": "考试费用（元）",
    "certificate_pattern": "证书编号格式",
    "materials_at_submission": "单位提交时上传申报材料",
    "recheck_days": "查分期限（工作日）",
    "notice_days": "公示期（工作日）",
}


class ExamBatchView(AdminOnlyView):
    """考核批次. The state moves only through the batch machine's transitions (开放申报 → 截止申报 → 归档,
    ``workflow/batches.py``), offered as actions with the table's labels, roles and questions; next year's
    batch is made from this one (创建下一年度批次); an archived batch is read-only."""

    column_list = ["year", "name", "doc_number", "cutoff_date", "apply_deadline", "grace_days", "state"]
    column_labels = BATCH_LABELS
    column_choices = {"state": BatchState.choices()}
    column_filters = ["year", "state"]
    column_default_sort = ("year", True)
    form_columns = [name for name in BATCH_LABELS if name != "state"]
    form_choices = {"senior_min_education": enums.choices(enums.EDUCATION_LABELS)}
    action_roles = {
        **{t.name: t.roles for t in transitions_of("batch")},
        "copy_next": ADMIN_ONLY,
    }
    _year_range = [InputRequired(REQUIRED), NumberRange(min=2000, max=2100, message="年份无效")]
    form_args = {
        "year": {"validators": _year_range},
        "name": {"validators": [DataRequired(REQUIRED)]},
        "doc_number": {"validators": [DataRequired(REQUIRED)]},
        "cutoff_date": {"validators": [DataRequired(REQUIRED)]},
        "apply_deadline": {"validators": [DataRequired(REQUIRED)]},
        "assessment_start_year": {"validators": _year_range},
        "assessment_end_year": {"validators": _year_range},
        "pass_line_theory": {
            "validators": [InputRequired(REQUIRED), NumberRange(min=0, max=100, message="应在0到100之间")]
        },
        "pass_line_practice": {
            "validators": [InputRequired(REQUIRED), NumberRange(min=0, max=100, message="应在0到100之间")]
        },
        "pass_line_review": {
            "validators": [InputRequired(REQUIRED), NumberRange(min=0, max=100, message="应在0到100之间")]
        },
        "quorum_den": {"validators": [InputRequired(REQUIRED), NumberRange(min=1, message="分母须大于0")]},
        "majority_den": {"validators": [InputRequired(REQUIRED), NumberRange(min=1, message="分母须大于0")]},
        "grace_days": {
            "validators": [InputRequired(REQUIRED), NumberRange(min=0, max=60, message="应在0到60天之间")],
            "description": "申报截止日后仍允许单位提交的天数；0 表示截止日后不能再提交",
        },
        "materials_at_submission": {
            "description": "勾选后，单位在待提交的申请详情页上传申报材料，未上传不能提交审核；"
            "不勾选则由第一审核环节上传",
        },
        "recheck_days": {
            "validators": [
                InputRequired(REQUIRED),
                NumberRange(min=1, max=60, message="应在1到60个工作日之间"),
            ],
            "description": "成绩发布后单位可申请查分的工作日数",
        },
        "notice_days": {
            "validators": [
                InputRequired(REQUIRED),
                NumberRange(min=1, max=30, message="应在1到30个工作日之间"),
            ],
            "description": "合格名单公示的工作日数",
        },
    }

    def init_actions(self):
        super().init_actions()
        for t in transitions_of("batch"):
            self._actions.append((t.name, t.label))
            self._actions_data[t.name] = (self._state_changer(t.name), t.label, t.confirmation)

    def _state_changer(self, name: str):
        def change(ids) -> None:
            result = workflow.change_batch_state(current_actor(), parse_ids(ids), name)
            if result.done:
                flash(f"已{result.label}：" + "、".join(text for _id, text in result.done), "success")
            for _id, text, reason in result.refused:
                flash(f"{text or _id}：{reason}", "error")

        return change

    @action(
        "copy_next",
        "以此创建下一年度批次",
        "将复制所选批次的规则参数和审核流程，创建下一年度的批次（未开放）。",
    )
    def action_copy_next(self, ids):
        ids = parse_ids(ids)
        if len(ids) != 1:
            flash("请只勾选一个作为模板的批次", "error")
            return None
        source = self.get_query().filter(ExamBatch.id == ids[0]).one_or_none()
        if source is None:
            flash("考核批次不存在", "error")
            return None
        try:
            batch = batches.next_year_from(current_actor(), source)
        except InvalidInput as exc:
            flash(str(exc), "error")
            return None
        flash(f"已创建“{batch}”（未开放），规则参数和审核流程已复制；请核对日期和文号后开放申报", "success")
        return redirect(self.get_url(".edit_view", id=batch.id))

    def before_save(self, form, model, is_created):
        with form_error():
            batches.check_batch(model)


class AuditTimeAfter(DateTimeGreaterFilter):
    """时间 晚于: the time typed is Beijing time, as the list shows it (stored timestamps are UTC)."""

    def clean(self, value):
        return from_beijing(super().clean(value))

    def operation(self):
        return "晚于"


class AuditTimeBefore(DateTimeSmallerFilter):
    """时间 早于, in Beijing time."""

    def clean(self, value):
        return from_beijing(super().clean(value))

    def operation(self):
        return "早于"


class AuditTimeBetween(DateTimeBetweenFilter):
    """时间 之间 (both ends included), in Beijing time."""

    def clean(self, value):
        return [from_beijing(moment) for moment in super().clean(value)]


class AuditLogView(AdminOnlyView):
    """审计日志: read-only through the application.

    Newest first by 时间 (then id). Every filter offered is an equality or a time range that an index of
    migration 0019 serves with the rows already in 时间 order: each filter alone, and 操作人 + 操作 (+ 时间),
    is an index range however many million rows the log holds. "Contains", "not equal" and the sorts on the
    other columns are not offered: each would read the whole log on every page view."""

    write_roles = frozenset()
    column_list = [
        "created_at",
        "username",
        "role",
        "ip",
        "action",
        "object_type",
        "object_id",
        "from_state",
        "to_state",
    ]
    column_labels = {
        "created_at": "时间",
        "username": "操作人",
        "role": "角色",
        "organisation_id": "机构编号",
        "user_id": "操作人编号",
        "prev_hash": "前一条哈希",
        "row_hash": "本条哈希",
        "ip": "IP地址",
        "action": "操作",
        "object_type": "对象类型",
        "object_id": "对象编号",
        "from_state": "原状态",
        "to_state": "新状态",
        "opinion": "意见",
        "detail": "详情",
    }
    column_choices = {"role": enums.choices(enums.ROLE_LABELS)}
    column_filters = [
        AuditTimeBetween(AuditLog.created_at, "时间"),
        AuditTimeAfter(AuditLog.created_at, "时间"),
        AuditTimeBefore(AuditLog.created_at, "时间"),
        FilterEqual(AuditLog.username, "操作人"),
        FilterEqual(AuditLog.action, "操作"),
        FilterEqual(AuditLog.object_type, "对象类型"),
        FilterEqual(AuditLog.object_id, "对象编号"),
        FilterEqual(AuditLog.role, "角色", options=enums.choices(enums.ROLE_LABELS)),
    ]
    column_sortable_list = ["created_at"]
    column_default_sort = ("created_at", True)


class RouteRuleView(AdminOnlyView):
    """审核流程 (SPEC §4.1) as data. Applications keep the chain copied at submission."""

    allow_delete = True
    column_list = ["batch", "org_category", "grades", "steps", "note"]
    column_labels = {
        "batch": "考核批次",
        "batch.year": "考核批次年度",
        "org_category": "组织类别",
        "grades": "申报等级",
        "steps": "审核环节（依次）",
        "note": "说明",
    }
    column_choices = {"org_category": enums.choices(enums.ORG_CATEGORY_LABELS)}
    column_formatters = {
        "grades": lambda v, c, m, n: "、".join(
            enums.GRADE_NAMES[g] for g in m.grade_list if g in enums.GRADE_NAMES
        ),
        "steps": lambda v, c, m, n: " → ".join(enums.ROLE_LABELS.get(s, s) for s in m.step_list),
    }
    column_filters = [BatchFilter(RouteRule.__table__.c.batch_id), "org_category"]
    column_sortable_list = [("batch", "batch.year"), "org_category"]
    column_default_sort = [("batch_id", True), ("org_category", False), ("id", False)]
    form_columns = ["batch", "org_category", "grades", "steps", "note"]
    form_choices = {"org_category": enums.choices(enums.ORG_CATEGORY_LABELS)}
    form_args = {
        "batch": {"validators": [DataRequired(REQUIRED)]},
        "org_category": {"validators": [DataRequired(REQUIRED)]},
        "grades": {
            "validators": [DataRequired(REQUIRED)],
            "description": "等级编号，逗号分隔：5初级工 4中级工 3高级工 2技师 1高级技师，如 5,4,3",
        },
        "steps": {
            "validators": [DataRequired(REQUIRED)],
            "description": "依次填写审核角色，逗号分隔：district_hr 区县人力社保局、party_org 市委组织部干部一处、city_hr 市人力社保局事业处、office 市工考办",
        },
    }
    scoped_relations = {"batch": pickers.writable_batches}

    def before_save(self, form, model, is_created):
        with form_error():
            batches.check_route_rule(model)
