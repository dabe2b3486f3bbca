"""The Flask-Admin instance and every view, with Chinese menus grouped by area."""

import os

from flask import request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from admin_app import csp_nonce
from admin_app.extensions import db
from models import (
    Application,
    AuditLog,
    CalendarDay,
    Ethnicity,
    ExamBatch,
    Job,
    Jurisdiction,
    Notification,
    Objection,
    Organisation,
    OutboxMessage,
    PostSetting,
    Registration,
    ReminderTemplate,
    ResultNotice,
    RouteRule,
    ScoreRecheck,
    Trade,
    User,
    UserSession,
    Worker,
)
from models.arrangement import ExamRoom
from views.admin_area import (
    AuditLogView,
    EthnicityView,
    ExamBatchView,
    JurisdictionView,
    OrganisationAdminView,
    RouteRuleView,
    TradeView,
    UserAdminView,
)
from views.application_area import ApplicationView, ReviewQueueView
from views.arrangement import add_views as add_arrangement_views
from views.calendar import CalendarDayView
from views.downloads import DownloadView
from views.exam_area import SCORE_LIST_NAME, EvaluationView, RecognitionView, RegistrationView, ScoreView
from views.exam_documents import ExamRoomDocumentView
from views.home import HomeView
from views.messages import NotificationView
from views.misconduct import MisconductView
from views.recheck import RecheckView
from views.reminders import OutboxView, ReminderTemplateView
from views.result_notice import ObjectionView, ResultNoticeView
from views.score_publication import ScorePublicationView
from views.sessions import OnlineSessionView
from views.statistics import StatisticsView
from views.unit_area import PostSettingView, UnitDirectoryView, UnitProfileView, WorkerView
from views.unit_review import UnitIdentityReviewView

UNIT_AREA = "单位信息"
STAFF_AREA = "单位管理"
ASSESSMENT_AREA = "鉴定工考"
EXAM_AFFAIRS_AREA = "考务管理"
SYSTEM_AREA = "系统管理"


def build_admin(app) -> Admin:
    admin = Admin(
        app,
        name="工考管理平台",
        url="/",
        index_view=HomeView(name="首页", url="/", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="gk/master.html", swatch="cerulean", fluid=True),
        translations_path=os.path.join(app.root_path, "translations"),
        csp_nonce_generator=csp_nonce,
    )
    app.jinja_env.globals["gk_menu"] = menu_html
    admin.add_view(
        UnitProfileView(Organisation, db, name="单位基本信息", endpoint="unitprofile", category=UNIT_AREA)
    )
    admin.add_view(WorkerView(Worker, db, name="工勤人员", endpoint="workers", category=UNIT_AREA))
    admin.add_view(PostSettingView(PostSetting, db, name="岗位设置", endpoint="posts", category=UNIT_AREA))
    admin.add_view(
        ReviewQueueView(Application, db, name="待我审核", endpoint="review_queue", category=ASSESSMENT_AREA)
    )
    admin.add_view(
        ApplicationView(
            Application, db, name="考试资格申请", endpoint="applications", category=ASSESSMENT_AREA
        )
    )
    for view_class, name, endpoint in (
        (RegistrationView, "考试报名", "registrations"),
        (ScoreView, SCORE_LIST_NAME, "scores"),
        (EvaluationView, "考核评审", "evaluations"),
        (RecognitionView, "资格认定", "recognitions"),
        (MisconductView, "违纪通报", "misconduct"),
    ):
        admin.add_view(view_class(Registration, db, name=name, endpoint=endpoint, category=ASSESSMENT_AREA))
    admin.add_view(
        ScorePublicationView(name="成绩发布", endpoint="score_publication", category=ASSESSMENT_AREA)
    )
    add_arrangement_views(admin, EXAM_AFFAIRS_AREA)
    admin.add_view(
        ExamRoomDocumentView(
            ExamRoom, db, name="考场签到表和门贴", endpoint="room_documents", category=EXAM_AFFAIRS_AREA
        )
    )
    admin.add_view(
        RecheckView(ScoreRecheck, db, name="查分申请", endpoint="rechecks", category=ASSESSMENT_AREA)
    )
    admin.add_view(
        ResultNoticeView(
            ResultNotice, db, name="合格名单公示", endpoint="result_notices", category=ASSESSMENT_AREA
        )
    )
    admin.add_view(
        ObjectionView(Objection, db, name="公示异议", endpoint="objections", category=ASSESSMENT_AREA)
    )
    admin.add_view(
        UnitDirectoryView(Organisation, db, name="单位列表", endpoint="units", category=STAFF_AREA)
    )
    admin.add_view(
        UnitIdentityReviewView(
            Organisation, db, name="单位信息审核", endpoint="unitreview", category=STAFF_AREA
        )
    )
    admin.add_view(UserAdminView(User, db, name="账号管理", endpoint="users", category=SYSTEM_AREA))
    admin.add_view(
        OnlineSessionView(UserSession, db, name="在线用户", endpoint="online", category=SYSTEM_AREA)
    )
    admin.add_view(
        OrganisationAdminView(
            Organisation, db, name="机构管理", endpoint="organisations", category=SYSTEM_AREA
        )
    )
    admin.add_view(
        JurisdictionView(Jurisdiction, db, name="区县", endpoint="jurisdictions", category=SYSTEM_AREA)
    )
    admin.add_view(TradeView(Trade, db, name="工种", endpoint="trades", category=SYSTEM_AREA))
    admin.add_view(ExamBatchView(ExamBatch, db, name="考核批次", endpoint="batches", category=SYSTEM_AREA))
    admin.add_view(RouteRuleView(RouteRule, db, name="审核流程", endpoint="routes", category=SYSTEM_AREA))
    admin.add_view(
        CalendarDayView(CalendarDay, db, name="工作日历", endpoint="calendar", category=SYSTEM_AREA)
    )
    admin.add_view(EthnicityView(Ethnicity, db, name="民族", endpoint="ethnicities", category=SYSTEM_AREA))
    admin.add_view(AuditLogView(AuditLog, db, name="审计日志", endpoint="auditlog", category=SYSTEM_AREA))
    admin.add_view(
        ReminderTemplateView(
            ReminderTemplate, db, name="提醒模板", endpoint="reminder_templates", category=SYSTEM_AREA
        )
    )
    admin.add_view(
        OutboxView(OutboxMessage, db, name="邮件短信发送记录", endpoint="outbox", category=SYSTEM_AREA)
    )
    admin.add_view(StatisticsView(name="统计分析", endpoint="statistics", category=ASSESSMENT_AREA))
    admin.add_view(NotificationView(Notification, db, name="站内消息", endpoint="messages"))
    admin.add_view(DownloadView(Job, db, name="下载中心", endpoint="downloads"))
    return admin


def menu_html(admin_view, render):
    """The main menu of this page (gk/master.html): ``render()`` (Flask-Admin's menu macro) once per role and
    page, then kept with the Admin. It depends on nothing else: every view's ``is_accessible`` reads whether
    the user is logged in and active and the user's role, a ``RoleName`` the role; the page decides which
    item is marked active. Rendered each time, it checked ~35 views on every page (about 1 ms)."""
    admin = admin_view.admin
    role = current_user.role if current_user.is_authenticated and current_user.is_active else None
    key = (role, admin_view.endpoint, request.script_root, len(admin._views))
    cache = admin.__dict__.setdefault("gk_menus", {})
    if key not in cache:
        cache[key] = render()
    return cache[key]
