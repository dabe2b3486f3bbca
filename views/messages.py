"""站内消息: an organisation's own messages — a unit's about its rows, every organisation's reminders (staff
bodies get the 待我审核 digest) — read by every user of it; unread ones are counted in the navigation badge."""

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup, escape

from admin_app.services import notify
from models import Notification, enums
from views.base import SecureModelView, parse_ids

EVERY_ROLE = frozenset(enums.ROLE_LABELS)


def _body(view, context, model, name):
    """The message, linking to the row it is about."""
    text = escape(model.body)
    if model.target:
        # a row's message opens the row; a reminder opens its list (a role that cannot read it gets a 403 page)
        if model.object_id:
            url = url_for(f"{model.target}.details_view", id=model.object_id)
        else:
            url = url_for(f"{model.target}.index_view")
        text = Markup(f'<a href="{escape(url)}">{text}</a>')
    return text if model.read_at else Markup(f"<strong>{text}</strong>")


def _state(view, context, model, name):
    return "已读" if model.read_at else Markup('<span class="badge badge-danger">未读</span>')


class NotificationView(SecureModelView):
    read_roles = EVERY_ROLE
    write_roles = frozenset()
    scope_column = "organisation_id"

    def scope_condition(self):
        """Only the user's own organisation's messages, whatever the role (a city-wide role sees every unit's
        rows, not their messages)."""
        return Notification.organisation_id == current_user.organisation_id

    list_template = "gk/messages.html"
    column_list = ["created_at", "title", "body", "read_at"]
    column_labels = {
        "created_at": "时间",
        "title": "类别",
        "body": "内容",
        "read_at": "状态",
        "kind": "类别",
        "read_by": "阅读人",
    }
    column_details_list = ["created_at", "title", "body", "read_at", "read_by"]
    column_formatters = {"body": _body, "read_at": _state}
    column_formatters_detail = {"body": _body}
    column_filters = ["title", "created_at", "read_at"]
    column_searchable_list = ["body"]
    column_sortable_list = ["created_at"]
    column_default_sort = ("id", True)
    export_name = "站内消息"

    @action("mark_read", "标为已读")
    def mark_read_action(self, ids):
        changed = notify.mark_read(current_user, parse_ids(ids))
        flash(f"已将 {changed} 条消息标为已读", "success")

    action_roles = {"mark_read": EVERY_ROLE}

    @expose("/read-all/", methods=("POST",))
    def read_all_view(self):
        """全部标为已读 (the organisation's own messages only)."""
        changed = notify.mark_read(current_user)
        flash(f"已将 {changed} 条消息标为已读", "success")
        return redirect(self.get_url(".index_view"))
