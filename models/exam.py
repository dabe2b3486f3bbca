"""考试报名 → 缴费确认 → 成绩 → 考核评审 → 资格认定: one row per approved application, carrying each stage.

Each stage has its own state column; the workflow module is the only code that changes them.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app.workflow.states import (
    EvaluationState,
    ExamCategory,
    RecognitionState,
    RegistrationState,
    ScoreResult,
)
from models.application import Application
from models.dictionary import ExamBatch, Trade
from models.org import Jurisdiction, Organisation, utcnow
from models.worker import Worker

# A 准考证号 (digits) compared byte by byte on PostgreSQL; SQLite's default comparison already is.
TICKET_NUMBER = sa.String(30).with_variant(sa.String(30, collation="C"), "postgresql")
# A registration whose scores are entered and not yet published (待发布成绩): partial indexes of those rows alone.
UNPUBLISHED = (
    f"status = '{RegistrationState.REGISTERED}' AND score_result IS NOT NULL AND score_publication IS NULL"
)


class Registration(db.Model):
    __tablename__ = "registration"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "ticket_number"),
        # Batch, worker, unit and 工种 are the application's, checked by one key (one look-up per row when
        # the final approval creates thousands; the referred rows exist through the application's own keys);
        # a correction of the application's carries over (migration 0014).
        sa.ForeignKeyConstraint(
            ["application_id", "batch_id", "worker_id", "unit_id", "applied_trade_id"],
            [
                "application.id",
                "application.batch_id",
                "application.worker_id",
                "application.unit_id",
                "application.applied_trade_id",
            ],
            name="fk_registration_application_id_application",
            onupdate="CASCADE",
        ),
        # a batch's rows newest first (the 批次 filter, its sort groups), its 状态 and 等级 read in the index
        # (the counts by state, the 等级 sort groups); was (batch_id, status) until migration 0043
        sa.Index(
            "ix_registration_batch_order", "batch_id", "id", postgresql_include=["status", "applied_grade"]
        ),
        # 首页 to-dos (待认定, 待评审, 待确认/待缴费确认, 待录入成绩): only the rows waiting there (migration 0019)
        *(
            sa.Index(name, *columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
            for name, columns, where in (
                (
                    "ix_registration_recognition_pending",
                    ("jurisdiction_id", "id"),
                    f"recognition_status = '{RecognitionState.PENDING}'",
                ),
                (
                    "ix_registration_evaluation_pending",
                    ("jurisdiction_id", "id"),
                    f"evaluation_status = '{EvaluationState.PENDING}'",
                ),
                (
                    "ix_registration_waiting",
                    ("status", "id"),
                    f"status IN ('{RegistrationState.PENDING}', '{RegistrationState.FEE}')",
                ),
                (
                    "ix_registration_scores_missing",
                    ("id",),
                    f"status = '{RegistrationState.REGISTERED}' AND score_result IS NULL",
                ),
                # 待发放证书: recognised, not yet handed over (the office's to-do; migration 0029)
                (
                    "ix_registration_handover_pending",
                    ("jurisdiction_id", "id"),
                    f"recognition_status = '{RecognitionState.RECOGNISED}' AND handed_over_on IS NULL",
                ),
                # 违纪通报: the few rows whose scores were cancelled, in the list's order (migration 0040)
                (
                    "ix_registration_misconduct",
                    ("misconduct_at", "id"),
                    f"score_result = '{ScoreResult.MISCONDUCT}'",
                ),
                # 待发布成绩 (scores entered, not published; migration 0025)
                (
                    "ix_registration_scores_unpublished",
                    ("batch_id", "id"),
                    UNPUBLISHED,
                ),
            )
        ),
        # 统计分析 of a unit or a 区县 bureau: its rows whose scores are entered but not published, counted as not
        # yet scored (services.score_visibility.registration_tally), read from the index alone (migration 0044)
        sa.Index(
            "ix_registration_unpublished_jurisdiction",
            "jurisdiction_id",
            "batch_id",
            postgresql_include=[
                "org_category",
                "status",
                "score_result",
                "evaluation_status",
                "recognition_status",
            ],
            postgresql_where=sa.text(UNPUBLISHED),
            sqlite_where=sa.text(UNPUBLISHED),
        ),
        sa.Index("ix_registration_jurisdiction_status", "jurisdiction_id", "status"),
        # a 区县 bureau's rows newest first, counted by 批次, 状态, 等级, 工种, 组织类别 from the index alone (0046)
        sa.Index(
            "ix_registration_jurisdiction_order",
            "jurisdiction_id",
            "id",
            postgresql_include=[
                "worker_id",
                "batch_id",
                "status",
                "applied_grade",
                "applied_trade_id",
                "org_category",
            ],
        ),
        sa.Index("ix_registration_unit_order", "unit_id", "id", postgresql_include=["worker_id"]),
        # a bureau's name search of 考试报名 / 成绩查询 (the 区县's rows of one 批次), and its pages in 准考证号
        # order sorted from the index alone (migration 0048)
        sa.Index(
            "ix_registration_jurisdiction_batch_order",
            "jurisdiction_id",
            "batch_id",
            "id",
            postgresql_include=["worker_id", "status", "ticket_number"],
        ),
        # a name search of 考试报名 / 成绩录入 (the matching workers → their registrations of the list's batch)
        # and the worker's registrations, their 状态, 区县 and id read from the index (migrations 0041, 0045)
        sa.Index(
            "ix_registration_worker_id",
            "worker_id",
            "batch_id",
            postgresql_include=["status", "jurisdiction_id", "id"],
        ),
        # 准考证号 searched by prefix (views.mixins.listing.PREFIX_SEARCH_COLUMNS) and sorted (成绩录入's
        # order), ties by id: one index for both, as the column compares in byte order (migration 0017)
        sa.Index("ix_registration_ticket_order", "ticket_number", "id"),
        # 考试报名 / 成绩录入 filtered by 工种 (a join on the trade's name): the trade's rows by id (migration 0034)
        sa.Index("ix_registration_trade_order", "applied_trade_id", "id"),
        # 考核评审 and 资格认定: a batch's rows in the stage, newest first (partial: a new row is in neither)
        sa.Index(
            "ix_registration_evaluation_order",
            "batch_id",
            "id",
            postgresql_where=sa.text("evaluation_status IS NOT NULL"),
            sqlite_where=sa.text("evaluation_status IS NOT NULL"),
        ),
        sa.Index(
            "ix_registration_recognition_order",
            "batch_id",
            "id",
            postgresql_where=sa.text("recognition_status IS NOT NULL"),
            sqlite_where=sa.text("recognition_status IS NOT NULL"),
        ),
        # a batch's rows sorted by 报名时间 or a score: those with a value, in order (partial, as above); 实际操作 ↑
        # also with the lists' tie order (id descending: the backward walk of (…, id) serves ↓), and 成绩结果 read
        # value by value (ScoreView.column_sort_groups), a value no row has answered at once (migration 0043)
        *(
            sa.Index(
                f"ix_registration_batch_{name}",
                "batch_id",
                column,
                tie,
                postgresql_where=sa.text(f"{column} IS NOT NULL"),
                sqlite_where=sa.text(f"{column} IS NOT NULL"),
            )
            for name, column, tie in (
                ("registered", "registered_at", "id"),
                ("theory", "theory_score", "id"),
                ("practice", "practice_score", "id"),
                ("practice_ties", "practice_score", sa.literal_column("id").desc()),
                ("review", "review_score", "id"),
                ("result", "score_result", "id"),
            )
        ),
        # Conditions that few rows meet, on columns of few values (缺考, 自愿参加培训) or an exact time (成绩录入时间):
        # only those rows are in the index, so the filtered list and its count read them alone (migration 0028).
        *(
            sa.Index(name, *columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
            for name, columns, where in (
                ("ix_registration_absent", ("status", "id"), "absent"),
                ("ix_registration_voluntary_training", ("status", "id"), "voluntary_training"),
                (
                    "ix_registration_scores_entered",
                    ("scores_entered_at", "id"),
                    "scores_entered_at IS NOT NULL",
                ),
            )
        ),
        sa.CheckConstraint(
            "theory_score IS NULL OR (theory_score >= 0 AND theory_score <= 100)", name="theory"
        ),
        sa.CheckConstraint(
            "practice_score IS NULL OR (practice_score >= 0 AND practice_score <= 100)", name="practice"
        ),
        sa.CheckConstraint(
            "review_score IS NULL OR (review_score >= 0 AND review_score <= 100)", name="review"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(unique=True)
    batch_id: Mapped[int] = mapped_column()
    worker_id: Mapped[int] = mapped_column()  # indexed by ix_registration_worker_id
    # Snapshots copied from the application (scope and filters).
    unit_id: Mapped[int] = mapped_column()  # indexed by ix_registration_unit_order
    jurisdiction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    org_category: Mapped[str | None] = mapped_column(sa.String(20))
    applied_trade_id: Mapped[int] = mapped_column()
    applied_grade: Mapped[int] = mapped_column()

    # 考试报名
    status: Mapped[str] = mapped_column(sa.String(20), default=RegistrationState.UNREGISTERED)
    # Each file: the uploaded name (display only), the generated stored name, and the type detected from
    # its content at upload — the only type it is ever served as (services.uploads.send).
    photo_name: Mapped[str | None] = mapped_column(sa.String(255))
    photo_stored: Mapped[str | None] = mapped_column(sa.String(100))
    photo_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    id_copy_name: Mapped[str | None] = mapped_column(sa.String(255))
    id_copy_stored: Mapped[str | None] = mapped_column(sa.String(100))
    id_copy_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    voluntary_training: Mapped[bool] = mapped_column(default=False)
    exam_category: Mapped[str] = mapped_column(sa.String(20), default=ExamCategory.BOTH)
    remarks: Mapped[str | None] = mapped_column(sa.String(300))
    registered_at: Mapped[datetime | None] = mapped_column()
    return_reason: Mapped[str | None] = mapped_column(sa.String(500))
    fee_amount: Mapped[float | None] = mapped_column(sa.Numeric(10, 2))
    receipt_number: Mapped[str | None] = mapped_column(sa.String(50))
    fee_confirmed_at: Mapped[datetime | None] = mapped_column()
    # Byte order on PostgreSQL (COLLATE "C"): its index serves the prefix search and the sort (migration 0017).
    ticket_number: Mapped[str | None] = mapped_column(TICKET_NUMBER)

    # 成绩
    theory_score: Mapped[float | None] = mapped_column(sa.Numeric(4, 1))
    practice_score: Mapped[float | None] = mapped_column(sa.Numeric(4, 1))
    review_score: Mapped[float | None] = mapped_column(sa.Numeric(4, 1))
    absent: Mapped[bool] = mapped_column(default=False)
    score_result: Mapped[str | None] = mapped_column(sa.String(10))  # ScoreResult
    scores_entered_at: Mapped[datetime | None] = mapped_column()
    # 违纪 (notice §2(三), §4(三)): why this exam's scores are cancelled; it bars the next batch
    misconduct_reason: Mapped[str | None] = mapped_column(sa.String(200))
    misconduct_at: Mapped[datetime | None] = mapped_column()
    # 成绩发布: the unit and its bureau see the scores only once published (ScorePublication)
    score_publication: Mapped[str | None] = mapped_column(sa.String(10))
    scores_published_at: Mapped[datetime | None] = mapped_column()

    # 考核评审 (技师/高级技师 whose scores passed)
    evaluation_status: Mapped[str | None] = mapped_column(sa.String(10))  # EvaluationState
    vote_expected: Mapped[int | None] = mapped_column()
    vote_present: Mapped[int | None] = mapped_column()
    vote_yes: Mapped[int | None] = mapped_column()
    vote_no: Mapped[int | None] = mapped_column()
    vote_abstain: Mapped[int | None] = mapped_column()
    evaluated_at: Mapped[datetime | None] = mapped_column()

    # 资格认定
    recognition_status: Mapped[str | None] = mapped_column(sa.String(12))  # RecognitionState
    certificate_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    recognised_at: Mapped[datetime | None] = mapped_column()
    recognised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    # 撤销 (notice §4(二), 弄虚作假): when, why and by which 文号 the recognised grade was withdrawn
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(500))
    revoke_document: Mapped[str | None] = mapped_column(sa.String(100))
    # 证书发放: a record (not a state) of the day the certificate was handed over and to whom
    handed_over_on: Mapped[date | None] = mapped_column()
    handover_recipient: Mapped[str | None] = mapped_column(sa.String(50))

    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(
        primaryjoin=lambda: Registration.application_id == Application.id, foreign_keys=[application_id]
    )
    batch: Mapped[ExamBatch] = relationship(
        primaryjoin=lambda: Registration.batch_id == ExamBatch.id, foreign_keys=[batch_id]
    )
    worker: Mapped[Worker] = relationship(
        primaryjoin=lambda: Registration.worker_id == Worker.id, foreign_keys=[worker_id]
    )
    unit: Mapped[Organisation] = relationship(
        primaryjoin=lambda: Registration.unit_id == Organisation.id, foreign_keys=[unit_id]
    )
    jurisdiction: Mapped[Jurisdiction | None] = relationship()
    applied_trade: Mapped[Trade] = relationship(
        primaryjoin=lambda: Registration.applied_trade_id == Trade.id, foreign_keys=[applied_trade_id]
    )
    recognised_by: Mapped[Organisation | None] = relationship(foreign_keys=[recognised_by_id])

    def __str__(self) -> str:
        return f"{self.worker.name if self.worker else ''}（准考证 {self.ticket_number or '—'}）"
