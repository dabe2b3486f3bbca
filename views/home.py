"""首页: who I am, what waits for me today (counts linking to the filtered lists), the open batch."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_app.extensions import db
from admin_app.services import clock, posts
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    EvaluationState,
    IdentityState,
    ObjectionState,
    RecheckState,
    RecognitionState,
    RegistrationState,
)
from models import ExamBatch, enums
from views.mixins.links import NOT_EMPTY


@dataclass(frozen=True)
class Todo:
    label: str
    endpoint: str  # the list it links to
    filters: tuple = ()  # (("table.column", value), …): equality; None = empty


REVIEW = Todo("待我审核", "review_queue")
UNIT_IDENTITY = Todo(
    "待审核的单位信息", "unitreview", (("organisation.identity_status", IdentityState.PENDING),)
)
TODOS = {
    enums.UNIT: (
        Todo("待提交的申请", "applications", (("application.status", ApplicationState.DRAFT),)),
        Todo("退回修改的申请", "applications", (("application.status", ApplicationState.RETURNED),)),
        Todo("审核未通过的申请", "applications", (("application.status", ApplicationState.REJECTED),)),
        Todo("待报名", "registrations", (("registration.status", RegistrationState.UNREGISTERED),)),
        Todo("已退回的报名", "registrations", (("registration.status", RegistrationState.RETURNED),)),
    ),
    enums.DISTRICT_HR: (
        REVIEW,
        UNIT_IDENTITY,
        Todo("待认定", "recognitions", (("registration.recognition_status", RecognitionState.PENDING),)),
    ),
    enums.PARTY_ORG: (REVIEW,),
    enums.CITY_HR: (REVIEW,),
    enums.OFFICE: (
        REVIEW,
        UNIT_IDENTITY,
        Todo("待确认的报名", "registrations", (("registration.status", RegistrationState.PENDING),)),
        Todo("待评审", "evaluations", (("registration.evaluation_status", EvaluationState.PENDING),)),
        Todo("待认定", "recognitions", (("registration.recognition_status", RecognitionState.PENDING),)),
        Todo(
            "公示期满待认定",
            "recognitions",
            (("registration.recognition_status", RecognitionState.PENDING), ("registration.id", "ended")),
        ),  # registration.id: the 公示情况 filter (views/result_notice.NoticeStageFilter)
        Todo("待处理公示异议", "objections", (("notice_objection.state", ObjectionState.OPEN),)),
        Todo(
            "待发放证书",
            "recognitions",
            (
                ("registration.recognition_status", RecognitionState.RECOGNISED),
                ("registration.handed_over_on", None),
            ),
        ),  # recognised, no handover recorded (partial index ix_registration_handover_pending)
    ),
    enums.CENTER: (
        Todo("待缴费确认", "registrations", (("registration.status", RegistrationState.FEE),)),
        Todo("待录入成绩", "scores", (("registration.score_result", None),)),
        Todo(
            "待发布成绩",
            "scores",
            (("registration.score_result", NOT_EMPTY), ("registration.score_publication", None)),
        ),
        Todo("待复核查分", "rechecks", (("score_recheck.state", RecheckState.REQUESTED),)),
    ),
}


def open_batch(today: date | None = None) -> dict | None:
    """The batch open for applications, with the days left to its 申报截止日 (negative: past)."""
    batch = db.session.scalar(
        sa.select(ExamBatch)
        .where(ExamBatch.state == BatchState.OPEN)
        .order_by(ExamBatch.year.desc())
        .limit(1)
    )
    if batch is None:
        return None
    today = today or clock.today()
    return {"batch": batch, "days_left": (batch.apply_deadline - today).days}


class HomeView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    def todos(self) -> list[dict]:
        """This user's to-dos: label, count (as its list counts it, scope included) and the list's URL."""
        views = {getattr(v, "endpoint", None): v for v in self.admin._views}
        items = []
        for todo in TODOS.get(current_user.role, ()):
            view = views.get(todo.endpoint)
            if view is None or not view.is_accessible():
                continue
            count, url = view.filtered_link(dict(todo.filters))
            items.append({"label": todo.label, "count": count, "url": url})
        return items

    @expose("/")
    def index(self):
        org = current_user.organisation
        highest = posts.highest_established_grade(org.id) if current_user.role == enums.UNIT else None
        return self.render(
            "gk/home.html",
            org=org,
            highest_grade=enums.grade_label(highest) if highest else "未设置",
            org_category=enums.ORG_CATEGORY_LABELS.get(org.org_category or "", ""),
            identity_state=IdentityState.labels().get(org.identity_status, ""),
            todos=self.todos(),
            batch=open_batch(),
        )
