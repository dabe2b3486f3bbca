"""Tallies for 统计分析: how many applications and registrations share each combination of the facts its tables
group by. Derived data, kept exact by database triggers on ``application`` and ``registration`` (every writer:
the workflow, imports, seeds, bulk COPY, cascades), created and filled by migration 0020 and rebuilt by
``flask statistics-rebuild`` (``admin_app.services.tallies``).

A key column never holds NULL (a NULL would defeat the upsert's conflict target): a missing 区县 is
``NO_ID`` and a missing text value ``NO_TEXT``. A row whose count went back to 0 stays (cheap, and a rebuild
drops it).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db

NO_ID = 0  # no 区县 (市属单位)
NO_TEXT = ""  # no 组织类别 / 成绩结论 / 评审结论 / 认定状态 yet


class ApplicationTally(db.Model):
    """Applications per batch, 区县, 组织类别, 申报等级 and state."""

    __tablename__ = "application_tally"

    batch_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    jurisdiction_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    org_category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    applied_grade: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    n: Mapped[int] = mapped_column()


class ApplicationTradeTally(db.Model):
    """Applications per batch, 区县, 申报工种 and state (apart: with the other facts it would be ~50× the rows)."""

    __tablename__ = "application_trade_tally"

    batch_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    jurisdiction_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    applied_trade_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    n: Mapped[int] = mapped_column()


class RegistrationTally(db.Model):
    """Registrations per batch, 区县, 组织类别, 报名状态 and the outcome of each later stage."""

    __tablename__ = "registration_tally"

    batch_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    jurisdiction_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    org_category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    score_result: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    evaluation_status: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    recognition_status: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    n: Mapped[int] = mapped_column()


class PublicationTally(db.Model):
    """Registrations per batch, 报名状态, 成绩结论 and 成绩发布 (the 成绩发布 page's 已录入 / 已发布 / 待发布 per
    batch; apart from ``RegistrationTally``, whose other facts would multiply its rows by the publication's)."""

    __tablename__ = "publication_tally"

    batch_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    score_result: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    score_publication: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    n: Mapped[int] = mapped_column()
