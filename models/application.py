"""考试资格申请: the application, its review history, its materials, and the route table."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState
from models.dictionary import ExamBatch, Trade
from models.org import Jurisdiction, Organisation, User, utcnow
from models.worker import Worker


class RouteRule(db.Model):
    """Route table (SPEC §4.1) as data: for a 组织类别 and a set of grades, the chain of reviewing roles.

    ``grades`` and ``steps`` are comma-separated (e.g. "5,4,3" and "district_hr,office"). The chain is
    copied onto each application when it is submitted, so editing this table never moves one in flight.
    """

    __tablename__ = "route_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Each batch has its own table (copied when the next year's batch is made from this one).
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_batch.id"), index=True)
    org_category: Mapped[str] = mapped_column(sa.String(20), index=True)
    grades: Mapped[str] = mapped_column(sa.String(20))
    steps: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.String(200))

    batch: Mapped[ExamBatch] = relationship()

    @property
    def grade_list(self) -> list[int]:
        return [int(g) for g in self.grades.split(",") if g.strip()]

    @property
    def step_list(self) -> list[str]:
        return [s.strip() for s in self.steps.split(",") if s.strip()]


class Application(db.Model):
    __tablename__ = "application"
    __table_args__ = (
        # One application per worker and batch (a rejected one may be replaced: see the workflow).
        # A batch's rows in id order (the list's default order within a 批次 condition, a sort by 批次) and
        # by 提交时间 (a batch's list sorted by 提交时间) (issue 16).
        sa.Index("ix_application_batch_order", "batch_id", "id", postgresql_include=["status"]),
        # A worker's applications; a name search's matching workers → their rows of the list's 批次, their 状态,
        # 区县 and id from the index alone (migrations 0040, 0045)
        sa.Index(
            "ix_application_worker_id",
            "worker_id",
            "batch_id",
            postgresql_include=["status", "jurisdiction_id", "id"],
        ),
        sa.Index("ix_application_batch_submitted", "batch_id", "submitted_at", "id"),
        # Lists at scale (issue 7): a bureau's or a unit's list in id order, counted from the index alone
        # (worker_id included for name search); 区县 + 状态 + 等级; a review queue by status. A unit's index
        # leads with the batch too (its list opens on the current batch; the post quota counts per batch):
        # one index instead of two, each written again by every approval (migration 0021).
        sa.Index(
            "ix_application_jurisdiction_status_grade",
            "jurisdiction_id",
            "status",
            "applied_grade",
            "id",
            # a bureau's queue of one batch, by 申报工种 or 组织类别, in 提交时间 order, from the index (migration 0047)
            postgresql_include=["batch_id", "applied_trade_id", "org_category", "submitted_at"],
        ),
        # The 区县's rows carry the columns its list filters by (批次, 状态, 组织类别, 申报工种): a filtered count of a
        # bureau's list reads this index alone, not the rows spread over the table (migrations 0028, 0033).
        sa.Index(
            "ix_application_jurisdiction_order",
            "jurisdiction_id",
            "id",
            postgresql_include=["worker_id", "status", "org_category", "applied_trade_id", "batch_id"],
        ),
        sa.Index(
            "ix_application_unit_batch_order", "unit_id", "batch_id", "id", postgresql_include=["worker_id"]
        ),
        # A bureau's list as it opens, counted in (batch_id, id) order, and its name search (the 区县's rows of one
        # 批次 joined by hash with the name's workers): one range of the 批次 (migration 0048)
        sa.Index(
            "ix_application_jurisdiction_batch_order",
            "jurisdiction_id",
            "batch_id",
            "id",
            postgresql_include=["worker_id", "status"],
        ),
        # A review queue (a state) of one batch by 提交时间; a state's or a state and batch's rows counted, also
        # by 组织类别, 申报工种 or 申报等级 (included: the queue's filtered count reads the index alone; 0028).
        sa.Index(
            "ix_application_status_batch_submitted",
            "status",
            "batch_id",
            "submitted_at",
            "id",
            postgresql_include=["org_category", "applied_trade_id", "applied_grade"],
        ),
        # 市委组织部's 待我审核 (首页 count, list): its rows by 组织类别 (migration 0019)
        sa.Index(
            "ix_application_party_org_pending",
            "org_category",
            "id",
            postgresql_where=sa.text(f"status = '{ApplicationState.PENDING_PARTY_ORG}'"),
            sqlite_where=sa.text(f"status = '{ApplicationState.PENDING_PARTY_ORG}'"),
        ),
        # What a registration copies, as the key its one foreign key refers to (migration 0014), led by 申报工种
        # and the batch (any order serves the key): a list filtered by 申报工种 (and 批次) reads one range of it,
        # counted from the index alone with the state included (migration 0028).
        sa.Index(
            "uq_application_registration_key",
            "applied_trade_id",
            "batch_id",
            "id",
            "worker_id",
            "unit_id",
            unique=True,
            postgresql_include=["status"],
        ),
        sa.CheckConstraint("applied_grade BETWEEN 1 AND 5", name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_batch.id"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id"))
    # Snapshots of the unit at creation (refreshed at submission): later moves do not move the application.
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    jurisdiction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    org_category: Mapped[str | None] = mapped_column(sa.String(20))

    applied_trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trade.id"))
    applied_grade: Mapped[int] = mapped_column()
    achievements: Mapped[str | None] = mapped_column(sa.Text)  # 主要专业技术业绩
    publicity_start: Mapped[date | None] = mapped_column()
    publicity_end: Mapped[date | None] = mapped_column()
    publicity_result: Mapped[str | None] = mapped_column(sa.String(20))  # no_objection / objection
    quota_exempt_reason: Mapped[str | None] = mapped_column(sa.String(30))  # computed at submission
    certificate_class: Mapped[bool] = mapped_column(default=False)  # 证书班
    retire_two_in_one: Mapped[bool] = mapped_column(default=False)  # 退二进一
    veteran: Mapped[bool] = mapped_column(default=False)  # 退役士兵
    veteran_override: Mapped[str | None] = mapped_column(sa.String(300))  # staff: 比照同等条件人员, reason
    remarks: Mapped[str | None] = mapped_column(sa.String(300))

    status: Mapped[str] = mapped_column(sa.String(30), default=ApplicationState.DRAFT)
    route: Mapped[str | None] = mapped_column(sa.String(100))  # copied from RouteRule at submission
    step_index: Mapped[int] = mapped_column(default=0)
    # 退回修改: the parts (keys of workflow.revisions.PARTS, comma-separated) the unit may change this round.
    return_parts: Mapped[str | None] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    batch: Mapped[ExamBatch] = relationship()
    worker: Mapped[Worker] = relationship()
    unit: Mapped[Organisation] = relationship()
    jurisdiction: Mapped[Jurisdiction | None] = relationship()
    applied_trade: Mapped[Trade] = relationship()
    reviews: Mapped[list["ApplicationReview"]] = relationship(
        back_populates="application", order_by="ApplicationReview.id", cascade="all, delete-orphan"
    )
    materials: Mapped[list["Material"]] = relationship(
        back_populates="application", order_by="Material.id", cascade="all, delete-orphan"
    )
    revisions: Mapped[list["ApplicationRevision"]] = relationship(
        back_populates="application", order_by="ApplicationRevision.round", cascade="all, delete-orphan"
    )
    # The records kept at each submission and resubmission (SPEC §8.2), oldest first; read through
    # ``admin_app.services.records``.
    records: Mapped[list["ApplicationRecord"]] = relationship(
        back_populates="application",
        order_by="ApplicationRecord.sequence",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def route_steps(self) -> list[str]:
        return [s for s in (self.route or "").split(",") if s]

    def __str__(self) -> str:
        return f"{self.worker.name if self.worker else ''} 申报{self.applied_grade}级"


class ApplicationReview(db.Model):
    """One step of an application's history: submission or a reviewer's decision, with its opinion."""

    __tablename__ = "application_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    step_index: Mapped[int] = mapped_column()
    step_role: Mapped[str | None] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(20))  # submit / approve / reject
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    from_status: Mapped[str] = mapped_column(sa.String(30))
    to_status: Mapped[str] = mapped_column(sa.String(30))
    opinion: Mapped[str | None] = mapped_column(sa.Text)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="reviews")
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()


class ApplicationRevision(db.Model):
    """One round of 退回修改: the reviewer's step, opinion and parts, and the parts' content when returned
    (``before``) and when resubmitted (``after``), each a JSON list of [part, item, text] (see
    ``admin_app.workflow.revisions``)."""

    __tablename__ = "application_revision"
    __table_args__ = (sa.UniqueConstraint("application_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column()
    step_index: Mapped[int] = mapped_column()
    step_role: Mapped[str] = mapped_column(sa.String(20))
    parts: Mapped[str] = mapped_column(sa.String(100))
    opinion: Mapped[str] = mapped_column(sa.Text)
    before: Mapped[str] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)
    returned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    returned_at: Mapped[datetime] = mapped_column()
    resubmitted_at: Mapped[datetime | None] = mapped_column()

    application: Mapped[Application] = relationship(back_populates="revisions")
    returned_by: Mapped[User | None] = relationship()


class ApplicationRecord(db.Model):
    """The record kept at a submission (SPEC §8.2): every fact of the person and the unit that the rules and
    the forms use, as JSON text (``admin_app.services.records.dumps``). One row per 提交审核 and 重新提交
    (``occasion``), numbered per application (``sequence``); the forms read the latest. Rows are only ever
    added: the archive of what was submitted each time."""

    __tablename__ = "application_record"
    __table_args__ = (sa.UniqueConstraint("application_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("application.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column()
    occasion: Mapped[str] = mapped_column(sa.String(20))  # submit / resubmit / upgrade (migration 0015)
    kept_at: Mapped[datetime] = mapped_column()
    data: Mapped[str] = mapped_column(sa.Text)

    application: Mapped[Application] = relationship(back_populates="records")


class Material(db.Model):
    """申报材料: a stored upload. ``stored_name`` is generated; ``original_name`` is for display only."""

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="materials")
    uploaded_by: Mapped[User | None] = relationship()
