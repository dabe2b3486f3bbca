"""下载任务: long work (a large export, and every kind of services/jobs.py's KINDS) run by a background worker
and fetched from the 下载中心."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app.workflow.states import JobState
from models.org import User, utcnow


class Job(db.Model):
    """One export as its owner asked for it: the list and its 组合查询 (``parameters``, JSON: the view's
    endpoint and the request's arguments), replayed by the worker as that user, so the file holds exactly the
    rows the list showed. ``stored_name`` is set only when the whole file is in storage."""

    __tablename__ = "job"
    __table_args__ = (
        sa.Index("ix_job_owner", "owner_id", "id"),  # 下载中心: the owner's jobs, newest first
        sa.Index("ix_job_state", "state", "expires_at"),  # the sweep and the cleanup
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(100))
    parameters: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(20), default=JobState.QUEUED)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None] = mapped_column()
    stored_name: Mapped[str | None] = mapped_column(sa.String(200))
    download_name: Mapped[str | None] = mapped_column(sa.String(200))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    result: Mapped[str | None] = mapped_column(
        sa.Text
    )  # JSON: what the job's page shows (jobs.Outcome.result)
    # host:pid of the process running it, and when it last said it was alive (the sweep reads both)
    worker: Mapped[str | None] = mapped_column(sa.String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()

    owner: Mapped[User] = relationship()

    def __str__(self) -> str:
        return self.title
