"""考务管理 (市职鉴中心 writes, 市工考办 reads; units and bureaus have no access): 考试场次 with their rooms, and
考场编排 — the seat list with its filters, the manual move and the Excel export.

Sessions and rooms are edited only while the session is 编排中; 自动编排 and 发布编排 are list actions that call
``services.arrangement.run_arrangement`` and the workflow's 发布编排; views never write a state.
"""

import sqlalchemy as sa
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_admin.model.form import InlineFormAdmin
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import selectinload
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from admin_app import limits, workflow
from admin_app.extensions import db
from admin_app.services import arrangement, arrangement_moves
from admin_app.services.validators import InvalidInput
from admin_app.workflow.arrangement import PUBLISH
from admin_app.workflow.states import ArrangementState, ExamKind
from models import ExamRoom, ExamSession, Registration, SeatAssignment, Trade, enums
from views import pickers
from views.actor import current_actor
from views.base import SecureModelView, parse_ids
from views.mixins.batches import BatchFilter, batch_label
from views.mixins.links import RowLink

CENTER = frozenset({enums.CENTER})
READERS = frozenset({enums.CENTER, enums.OFFICE})
LOCKED = "该场次已发布编排，考场和座位已锁定，不能修改或删除"
REQUIRED = "必填"


def _time(view, context, model, name):
    return f"{model.start_time:%H:%M}-{model.end_time:%H:%M}"


class RoomForm(InlineFormAdmin):
    form_columns = ("id", "number", "location", "capacity")
    form_label = "考场"
    column_labels = {"number": "考场号", "location": "考场位置", "capacity": "座位数"}
    form_args = {
        "number": {
            "validators": [InputRequired(REQUIRED), NumberRange(min=1, max=999, message="应为1到999")]
        },
        "location": {"validators": [DataRequired(REQUIRED), Length(max=100)]},
        "capacity": {
            "validators": [
                InputRequired(REQUIRED),
                NumberRange(min=1, max=limits.ROOM_SEATS, message=f"座位数应为1到{limits.ROOM_SEATS}"),
            ]
        },
    }


class ExamSessionView(SecureModelView):
    """考试场次 of a batch (理论 / 实作, date, start–end, site, address) with their rooms."""

    read_roles = READERS
    write_roles = CENTER
    list_template = "gk/arrangement_sessions.html"
    column_list = [
        "batch.year",
        "name",
        "kind",
        "exam_date",
        "time",
        "site",
        "address",
        "rooms",
        "state",
        "arranged_at",
        "published_at",
    ]
    column_labels = {
        "batch": "考核批次",
        "batch.year": "批次",
        "name": "场次名称",
        "kind": "类别",
        "exam_date": "考试日期",
        "time": "时间",
        "start_time": "开始时间",
        "end_time": "结束时间",
        "site": "考点",
        "address": "地址",
        "rooms": "考场",
        "state": "编排状态",
        "arranged_at": "最近编排时间",
        "published_at": "发布时间",
    }
    column_choices = {"kind": ExamKind.choices(), "state": ArrangementState.choices()}
    column_formatters = {
        "batch.year": lambda v, c, m, n: batch_label(m.batch),
        "time": _time,
        "rooms": lambda v, c, m, n: "、".join(f"{r.label}（{r.capacity}座）" for r in m.rooms),
    }
    column_sortable_list = ["exam_date", "name"]
    column_default_sort = [("exam_date", False), ("start_time", False)]
    column_filters = [
        BatchFilter(ExamSession.batch_id),
        FilterEqual(ExamSession.kind, "类别", options=ExamKind.choices()),
        FilterEqual(ExamSession.state, "编排状态", options=ArrangementState.choices()),
    ]
    column_details_list = [*column_list[:4], "start_time", "end_time", *column_list[5:]]
    form_columns = ["batch", "name", "kind", "exam_date", "start_time", "end_time", "site", "address"]
    form_choices = {"kind": ExamKind.choices()}
    form_args = {
        "batch": {"validators": [DataRequired(REQUIRED)]},
        "name": {"validators": [DataRequired(REQUIRED), Length(max=60)]},
        "exam_date": {"validators": [DataRequired(REQUIRED)]},
        "start_time": {"validators": [DataRequired(REQUIRED)]},
        "end_time": {"validators": [DataRequired(REQUIRED)]},
        "site": {"validators": [DataRequired(REQUIRED), Length(max=100)]},
        "address": {"validators": [DataRequired(REQUIRED), Length(max=200)]},
    }
    inline_models = [RoomForm(ExamRoom)]
    scoped_relations = {"batch": pickers.writable_batches}
    action_roles = {"arrange": CENTER, PUBLISH.name: PUBLISH.roles}

    def eager(self, query):
        """The rooms of the page's sessions in one more query (the 考场 column)."""
        return super().eager(query).options(selectinload(ExamSession.rooms))

    def row_lock_reason(self, obj):
        return super().row_lock_reason(obj) or (LOCKED if obj.locked else None)

    def before_save(self, form, model, is_created):
        if model.end_time <= model.start_time:
            raise ValidationError("结束时间应晚于开始时间")
        if model.kind not in set(ExamKind):
            raise ValidationError("请选择考试类别")
        numbers = [room.number for room in model.rooms]
        if len(numbers) != len(set(numbers)):
            raise ValidationError("同一场次的考场号不能重复")
        if is_created:
            return
        problem = arrangement_moves.session_change_problem(
            model.id, model.kind, model.exam_date, model.start_time, model.end_time
        )
        for room in [*model.rooms, *(o for o in db.session.deleted if isinstance(o, ExamRoom))]:
            if room.id is None:
                continue
            if sa_inspect(room).deleted or room in db.session.deleted:
                problem = problem or arrangement_moves.room_change_problem(room.id, None)
            else:
                problem = problem or arrangement_moves.room_change_problem(room.id, room.capacity)
        if problem:
            raise ValidationError(problem)

    def init_actions(self):
        super().init_actions()
        for name, label, question in (
            (
                "arrange",
                "自动编排",
                "将按工种、等级、考试类别重新编排所选场次所属批次、同类别（理论/实作）的全部编排中场次，"
                "替换其现有座位（已发布的场次不变）。确定吗？",
            ),
            (PUBLISH.name, PUBLISH.label, PUBLISH.confirmation),
        ):
            self._actions.append((name, label))
            self._actions_data[name] = (getattr(self, f"_{name}"), label, question)

    def _arrange(self, ids):
        """自动编排 for each (batch, kind) among the ticked sessions."""
        runs = sorted(
            {(s.batch_id, s.kind) for s in self.get_query().filter(ExamSession.id.in_(parse_ids(ids)))}
        )
        for batch_id, kind in runs:
            try:
                counts = arrangement.run_arrangement(current_actor(), batch_id, kind)
            except InvalidInput as exc:
                db.session.rollback()
                flash(f"{ExamKind.label_of(kind)}场次未编排：{exc}", "error")
                continue
            flash(
                f"已编排{ExamKind.label_of(kind)}场次 {len(counts)} 个，共 {sum(counts.values())} 名考生",
                "success",
            )

    def _publish_arrangement(self, ids):
        result = workflow.apply(current_actor(), PUBLISH, parse_ids(ids))
        if result.done:
            flash(f"已{result.label}：" + "、".join(text for _id, text in result.done), "success")
        for _id, text, reason in result.refused:
            flash(f"{text or _id}：{reason}", "error")


# --- 考场编排: the seat list ---------------------------------------------------------------------------------
class SeatBatchFilter(BatchFilter):
    """批次 of the seat's session (the seat has no batch column of its own)."""

    def apply(self, query, value, alias=None):
        return query.filter(
            SeatAssignment.session_id.in_(sa.select(ExamSession.id).where(ExamSession.batch_id == value))
        )


class _ChoiceFilter(BaseSQLAFilter):
    """等于 one of the options read per request (``choices``, see ``SeatView._get_filter_groups``), as a
    condition on the seat's own columns."""

    def __init__(self, column, name):
        super().__init__(column, name, options=(("", ""),))

    def choices(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def operation(self):
        return "为"

    def clean(self, value):
        return int(value)


class SessionFilter(_ChoiceFilter):
    def choices(self):
        rows = db.session.scalars(
            sa.select(ExamSession).order_by(ExamSession.exam_date.desc(), ExamSession.id)
        )
        return [(str(s.id), str(s)) for s in rows]

    def apply(self, query, value, alias=None):
        return query.filter(SeatAssignment.session_id == value)


class RoomNumberFilter(_ChoiceFilter):
    def choices(self):
        numbers = db.session.scalars(sa.select(ExamRoom.number).distinct().order_by(ExamRoom.number))
        return [(str(n), f"第{n:02d}考场") for n in numbers]

    def apply(self, query, value, alias=None):
        rooms = sa.select(ExamRoom.id).where(ExamRoom.number == value)
        return query.filter(SeatAssignment.room_id.in_(rooms))


class TradeFilter(_ChoiceFilter):
    def choices(self):
        return [(str(t.id), t.name) for t in db.session.scalars(sa.select(Trade).order_by(Trade.name))]

    def apply(self, query, value, alias=None):
        people = sa.select(Registration.id).where(Registration.applied_trade_id == value)
        return query.filter(SeatAssignment.registration_id.in_(people))


class GradeFilter(_ChoiceFilter):
    def choices(self):
        return [(str(g), enums.grade_label(g)) for g in enums.GRADE_ORDER]

    def apply(self, query, value, alias=None):
        people = sa.select(Registration.id).where(Registration.applied_grade == value)
        return query.filter(SeatAssignment.registration_id.in_(people))


MOVE = RowLink("fa fa-exchange", ".move_view", "调整座位", lambda row: not row.session.locked)


class SeatView(SecureModelView):
    """考场编排: every seat, filtered by 批次, 场次, 考场, 工种, 等级; 调整座位 (with a reason) before publication."""

    read_roles = READERS
    write_roles = CENTER
    allow_create = allow_edit = allow_delete = False  # seats change only by 自动编排 and 调整座位
    list_template = "gk/arrangement_seats.html"
    endpoint_roles = {"move_view": CENTER}
    column_extra_row_actions = [MOVE]
    column_list = [
        "session.name",
        "session.exam_date",
        "time",
        "session.site",
        "room",
        "seat_number",
        "registration.ticket_number",
        "registration.worker.name",
        "registration.worker.id_number",
        "registration.unit.name",
        "registration.applied_trade.name",
        "registration.applied_grade",
        "session.state",
        "moved_reason",
    ]
    column_labels = {
        "session.name": "场次",
        "session.exam_date": "日期",
        "time": "时间",
        "session.site": "考点",
        "room": "考场",
        "seat_number": "座位号",
        "registration.ticket_number": "准考证号",
        "registration.worker.name": "姓名",
        "registration.worker.id_number": "身份证号",
        "registration.unit.name": "单位",
        "registration.applied_trade.name": "工种",
        "registration.applied_grade": "等级",
        "session.state": "编排状态",
        "moved_reason": "调整原因",
        "moved_at": "调整时间",
    }
    column_formatters = {
        "time": lambda v, c, m, n: _time(v, c, m.session, n),
        "room": lambda v, c, m, n: m.room.label,
        "registration.applied_grade": lambda v, c, m, n: enums.grade_label(m.registration.applied_grade),
        "session.state": lambda v, c, m, n: ArrangementState.label_of(m.session.state),
    }
    column_details_list = [*column_list, "moved_at"]
    # 准考证号 and 身份证号 from their start, 姓名 likewise (a clerk finds one candidate's seat)
    column_searchable_list = [
        "registration.ticket_number",
        "registration.worker.name",
        "registration.worker.id_number",
    ]
    column_sortable_list = ["seat_number"]
    column_default_sort = [("session_id", False), ("room_id", False), ("seat_number", False)]
    column_filters = [
        SeatBatchFilter(SeatAssignment.session_id),
        SessionFilter(SeatAssignment.session_id, "场次"),
        RoomNumberFilter(SeatAssignment.room_id, "考场"),
        TradeFilter(SeatAssignment.registration_id, "工种"),
        GradeFilter(SeatAssignment.registration_id, "等级"),
    ]
    export_name = "考场编排"

    def _get_filter_groups(self):
        """The options of 场次, 考场, 工种, 等级 as they are now (read per request, like 批次's)."""
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, _ChoiceFilter):
                    item["options"] = flt.choices()
        return groups

    def export_plan(self, query, view_args):
        """The arrangement's own columns (services.arrangement.export_plan), for the rows of the list."""
        ids = query.with_entities(SeatAssignment.id).order_by(None).options(sa.orm.lazyload("*"))
        return arrangement.export_plan(ids.subquery().select())

    @expose("/move/", methods=("GET", "POST"))
    def move_view(self):
        """调整座位: another room or seat of this session, or another 编排中 session of the same kind."""
        seat = self.get_one(request.args.get("id"))
        if seat.session.locked:
            flash(LOCKED, "error")
            return redirect(self.get_url(".details_view", id=seat.id))
        if request.method == "POST":
            try:
                arrangement_moves.move_seat(
                    current_actor(),
                    seat.id,
                    **_move_inputs(request.form),
                )
            except InvalidInput as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                flash("座位已调整", "success")
                return redirect(self.get_url(".index_view"))
        targets = db.session.scalars(
            sa.select(ExamSession)
            .where(
                ExamSession.batch_id == seat.session.batch_id,
                ExamSession.kind == seat.session.kind,
                ExamSession.state == ArrangementState.DRAFT,
            )
            .order_by(ExamSession.exam_date, ExamSession.start_time, ExamSession.id)
        ).all()
        return self.render(
            "gk/arrangement_move.html",
            seat=seat,
            targets=targets,
            form_values=request.form,
            limit=arrangement_moves.REASON_LIMIT,
        )


def _move_inputs(form) -> dict:
    """The move form's fields: 场次/考场 as "session:room", 座位号 optional; a Chinese error for anything else."""
    try:
        session_id, room_id = (int(part) for part in form.get("room", "").split(":"))
    except ValueError:
        raise InvalidInput("请选择场次和考场") from None
    raw = form.get("seat_number", "").strip()
    if raw and not raw.isdigit():
        raise InvalidInput("座位号应为数字")
    return {
        "session_id": session_id,
        "room_id": room_id,
        "seat_number": int(raw) if raw else None,
        "reason": form.get("reason"),
    }


def add_views(admin, category: str) -> None:
    """考试场次 and 考场编排 under ``category`` (考务管理)."""
    admin.add_view(
        ExamSessionView(ExamSession, db, name="考试场次", endpoint="exam_sessions", category=category)
    )
    admin.add_view(SeatView(SeatAssignment, db, name="考场编排", endpoint="seats", category=category))
