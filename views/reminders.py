"""系统管理 → 提醒模板 (the reminders' wording, admin only) and 邮件短信发送记录 (the outbox with every attempt,
read-only, admin only)."""

from markupsafe import Markup, escape
from wtforms import TextAreaField

from admin_app.form_helpers import form_error
from admin_app.services import outbox, reminder_templates
from admin_app.services.clock import format_beijing
from admin_app.workflow.states import OutboxState
from views.admin_area import AdminOnlyView


def _kind(view, context, model, name):
    spec = reminder_templates.KINDS.get(model.kind)
    return spec.label if spec else model.kind


def _placeholders(view, context, model, name):
    spec = reminder_templates.KINDS.get(model.kind)
    if spec is None:
        return ""
    return Markup("<br>").join(
        Markup("<code>${{{}}}</code> {}").format(key, what) for key, what in spec.placeholders.items()
    )


class ReminderTemplateView(AdminOnlyView):
    """提醒模板: one per kind (seeded); the admin edits title and body. Placeholders are checked on save."""

    allow_create = False
    allow_delete = False
    column_list = ["kind", "title", "body", "updated_at"]
    column_details_list = ["kind", "placeholders", "title", "body", "updated_at"]
    column_labels = {
        "kind": "提醒类型",
        "title": "标题",
        "body": "内容",
        "updated_at": "修改时间",
        "placeholders": "可用占位符",
    }
    column_formatters = {"kind": _kind}
    column_formatters_detail = {"kind": _kind, "placeholders": _placeholders}
    column_default_sort = ("id", False)
    column_sortable_list = []
    form_columns = ["title", "body"]
    form_overrides = {"body": TextAreaField}
    form_widget_args = {"body": {"rows": 5}}
    export_name = "提醒模板"

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        spec = reminder_templates.KINDS.get(obj.kind) if obj is not None else None
        if spec is not None:
            form.body.description = "可用占位符：" + "、".join(
                f"${{{key}}}（{what}）" for key, what in spec.placeholders.items()
            )
        return form

    def before_save(self, form, model, is_created):
        with form_error():
            reminder_templates.check(model.kind, model.title, model.body)


def _channel(view, context, model, name):
    return outbox.CHANNEL_LABELS.get(model.channel, model.channel)


def _state(view, context, model, name):
    label = OutboxState.label_of(model.state)
    css = {OutboxState.SENT: "success", OutboxState.FAILED: "danger"}.get(model.state, "secondary")
    return Markup(f'<span class="badge badge-{css}">{escape(label)}</span>')


def _attempts(view, context, model, name):
    lines = [
        Markup("{} 第{}次 {}：{}").format(
            format_beijing(a.attempted_at, "%Y-%m-%d %H:%M:%S"),
            a.number,
            "成功" if a.ok else "失败",
            a.detail or "",
        )
        for a in model.attempt_log
    ]
    return Markup("<br>").join(lines) if lines else "尚未发送"


class OutboxView(AdminOnlyView):
    """邮件短信发送记录: every e-mail and SMS of the reminders, its state and each attempt with its result."""

    allow_create = allow_edit = allow_delete = False
    column_list = [
        "created_at",
        "channel",
        "address",
        "subject",
        "state",
        "attempts",
        "sent_at",
        "last_error",
    ]
    column_details_list = [
        "created_at",
        "channel",
        "user",
        "address",
        "subject",
        "body",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "attempt_log",
    ]
    column_labels = {
        "created_at": "生成时间",
        "channel": "渠道",
        "user": "账号",
        "address": "地址/号码",
        "subject": "标题",
        "body": "内容",
        "state": "状态",
        "attempts": "尝试次数",
        "next_attempt_at": "下次尝试",
        "sent_at": "发送时间",
        "last_error": "最近错误",
        "attempt_log": "发送记录",
    }
    column_formatters = {"channel": _channel, "state": _state}
    column_formatters_detail = {"channel": _channel, "state": _state, "attempt_log": _attempts}
    column_choices = {"state": OutboxState.choices(), "channel": list(outbox.CHANNEL_LABELS.items())}
    column_filters = ["state", "channel", "created_at"]
    column_searchable_list = ["address"]
    column_sortable_list = ["created_at"]
    column_default_sort = ("id", True)
    export_name = "邮件短信发送记录"
