"""在线用户 (系统管理, admin only): every open login session, read-only; 强制下线 ends the selected ones."""

from flask import current_app, flash
from flask_admin.actions import action

from admin_app.services import sessions
from models import UserSession, enums
from views.base import SecureModelView, parse_ids

ADMIN_ONLY = frozenset({enums.ADMIN})


class OnlineSessionView(SecureModelView):
    """Rows are the sessions that still open pages (``sessions.live``): the list, the details, the export
    and the action see only those. Nothing is edited here; ending a session is the audited action."""

    read_roles = ADMIN_ONLY
    write_roles = frozenset()
    action_roles = {"force_logout": ADMIN_ONLY}
    column_list = [
        "user.username",
        "user.full_name",
        "user.organisation.name",
        "user.organisation.kind",
        "created_at",
        "last_seen_at",
        "ip",
        "user_agent",
    ]
    column_details_list = column_list
    column_labels = {
        "user.username": "账号",
        "user.full_name": "姓名",
        "user.organisation.name": "所属机构",
        "user.organisation.kind": "角色",
        "created_at": "登录时间",
        "last_seen_at": "最近活动",
        "ip": "IP地址",
        "user_agent": "浏览器",
    }
    column_choices = {"user.organisation.kind": enums.choices(enums.ROLE_LABELS)}
    column_filters = ["user.username", "user.organisation.kind", "ip", "created_at"]
    column_sortable_list = ["created_at", "last_seen_at", "ip"]
    column_default_sort = ("last_seen_at", True)
    export_name = "在线用户"

    def scope_condition(self):
        return sessions.live(sessions.Lifetime.of(current_app))

    @action("force_logout", "强制下线", "确定让所选会话立即下线吗？对方须重新登录。")
    def action_force_logout(self, ids):
        wanted = [row.id for row in self.get_query().filter(UserSession.id.in_(parse_ids(ids)))]
        ended = sessions.end_selected(wanted, "forced")
        names = "、".join(sorted({row.user.username for row in ended}))
        flash(f"已强制下线 {len(ended)} 个会话" + (f"：{names}" if names else ""), "success")
