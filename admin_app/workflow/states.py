"""Every state of every machine, with its Chinese label: the only place a state value is written.

Models, statistics, seed data, views and tests import these; ``tests/unit/test_state_literals.py`` scans the
tree so that no state value appears as a literal anywhere else. Members are ``str`` (a ``StrEnum``), so they
are stored and compared as the plain values they always were.

A new reviewing role is one entry in ``models.enums.REVIEW_ROLES`` (plus its scope rule): its 待…审核 state of
the application machine is generated from it here.
"""

from enum import StrEnum

from models import enums


class State(StrEnum):
    """A state value with its label; ``label_of`` also names the NULL state of nullable columns."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict:
        """{value: label}, with the label of NULL for machines whose column starts empty."""
        labels = {member.value: member.label for member in cls}
        if cls in NULL_LABELS:
            labels[None] = NULL_LABELS[cls]
        return labels

    @classmethod
    def label_of(cls, value) -> str:
        if value is None:
            return NULL_LABELS.get(cls, "无")
        try:
            return cls(value).label
        except ValueError:
            return str(value)

    @classmethod
    def choices(cls) -> list[tuple]:
        return [(member.value, member.label) for member in cls]


def _pending_value(role: str) -> str:
    return f"pending_{role}"


# 考试资格申请: 待提交 → 待<step>审核 … → 审核已通过 / 审核未通过, or 退回修改 → (resubmitted) the returning step.
ApplicationState = State(
    "ApplicationState",
    [
        ("DRAFT", ("draft", "待提交")),
        *(
            (f"PENDING_{role.upper()}", (_pending_value(role), f"待{enums.ROLE_LABELS[role]}审核"))
            for role in enums.REVIEW_ROLES
        ),
        ("RETURNED", ("returned", "退回修改")),
        ("APPROVED", ("approved", "审核已通过")),
        ("REJECTED", ("rejected", "审核未通过")),
    ],
)


def pending(role: str) -> ApplicationState:
    """待{step}审核: the state of an application waiting at ``role``'s step."""
    return ApplicationState(_pending_value(role))


def step_role(state) -> str | None:
    """The reviewing role whose step ``state`` is (None if it is not a 待…审核 state)."""
    value = str(state or "")
    role = value.removeprefix("pending_")
    return role if value != role and role in enums.REVIEW_ROLES else None


PENDING_STATES = frozenset(pending(role) for role in enums.REVIEW_ROLES)
FINAL_STATES = frozenset({ApplicationState.APPROVED, ApplicationState.REJECTED})
# The states that hold no post of the unit's quota (退回修改 keeps it: the reviewer asked for changes).
QUOTA_FREE_STATES = (ApplicationState.DRAFT, ApplicationState.REJECTED)


class RegistrationState(State):
    """考试报名 (manual 4.1–4.3)."""

    UNREGISTERED = "unregistered", "未报名"
    PENDING = "pending_confirm", "待确认"
    RETURNED = "returned", "已退回"
    FEE = "pending_fee", "待缴费确认"
    REGISTERED = "registered", "已报名"


class ScoreResult(State):
    """考试成绩: empty until entered."""

    PASS = "pass", "合格"
    FAIL = "fail", "不合格"
    ABSENT = "absent", "缺考"
    MISCONDUCT = "misconduct", "违纪"  # notice §2(三), §4(三): this exam's scores cancelled


class ScorePublication(State):
    """成绩发布: a registration's scores are seen by its unit and bureau only once published (empty: 未发布)."""

    PUBLISHED = "published", "已发布"


NULL_LABELS = {ScoreResult: "待录入", ScorePublication: "未发布"}  # the label of an empty column, per machine


class EvaluationState(State):
    """考核评审 (技师、高级技师): empty until the scores pass."""

    PENDING = "pending", "待评审"
    PASSED = "passed", "评审通过"
    FAILED = "failed", "评审未通过"


class RecognitionState(State):
    """资格认定: empty until the scores (or the evaluation) pass."""

    PENDING = "pending", "待认定"
    RECOGNISED = "recognised", "已认定"
    CANCELLED = "cancelled", "已取消"  # an objection to the 公示 upheld as 取消: no recognition in this batch
    # notice §4(二) 弄虚作假: the grade withdrawn; undone only by a new recognition
    REVOKED = "revoked", "已撤销"


class BatchState(State):
    """考核批次."""

    NOT_OPEN = "not_open", "未开放"
    OPEN = "open", "申报中"
    CLOSED = "closed", "已截止"
    ARCHIVED = "archived", "已归档"


class IdentityState(State):
    """单位信息审核 (a unit's 名称, 信用代码, 组织类别, 所在区县, 主管部门)."""

    NEW = "new", "待完善"
    PENDING = "pending", "待审核"
    CONFIRMED = "confirmed", "已确认"
    RETURNED = "returned", "已退回"


class ArrangementState(State):
    """考场编排 of an exam session (市职鉴中心): re-runnable while 编排中, locked once 已发布."""

    DRAFT = "draft", "编排中"
    PUBLISHED = "published", "已发布"


class RecheckState(State):
    """查分 (score re-check) requested by a unit within the batch's working days after publication."""

    REQUESTED = "requested", "待复核"
    UPHELD = "upheld", "维持原成绩"
    CORRECTED = "corrected", "已更正"


class NoticeState(State):
    """合格名单公示 of a batch (市人力社保局): the list is fixed when published; the period runs on working days."""

    DRAFT = "draft", "待发布"
    PUBLISHED = "published", "已发布"


class ObjectionState(State):
    """An objection to a 公示 entry, recorded and resolved by the office."""

    OPEN = "open", "待处理"
    UPHELD = "upheld", "维持"
    CANCELLED = "cancelled", "取消"


class JobState(State):
    """A 下载任务 of the 下载中心 (services/jobs.py): queued on Redis, run by a worker, kept for 7 days. Not a
    workflow machine: nobody decides it; the job's own code moves it, by conditional UPDATEs."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    FINISHED = "finished", "已完成"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期"


class OutboxState(State):
    """An e-mail or SMS of the outbox (services/outbox.py). Not a workflow machine: the sender moves it, by
    conditional UPDATEs; 待发送 again after a failed attempt until the last one."""

    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "失败"


class ExamKind(State):
    """The kind of an exam session (a vocabulary, not a state)."""

    THEORY = "theory", "理论"
    PRACTICE = "practice", "实作"


class ExamCategory(State):
    """考试类别 chosen at 报名 (not a state, but a stored vocabulary of the registration)."""

    BOTH = "both", "理论和实作"
    THEORY = "theory", "仅理论"
    PRACTICE = "practice", "仅实作"


MACHINE_STATES = {
    "application": ApplicationState,
    "registration": RegistrationState,
    "scores": ScoreResult,
    "evaluation": EvaluationState,
    "recognition": RecognitionState,
    "batch": BatchState,
    "identity": IdentityState,
    "score_publication": ScorePublication,
    "arrangement": ArrangementState,
    "recheck": RecheckState,
    "notice": NoticeState,
    "objection": ObjectionState,
    "job": JobState,
}
