"""统计分析: tables and charts of one batch and of all years, each table exportable to Excel.

Read from the reporting session (the read replica when one is configured), in the user's own scope.
"""

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from admin_app.extensions import reporting_session
from admin_app.request_guard import download, parse_pk
from admin_app.services import excel, statistics
from models import Application, ExamBatch, enums
from views.base import RoleGate, send_temporary_file

STATISTICS_ROLES = frozenset({enums.OFFICE, enums.CITY_HR, enums.DISTRICT_HR})


def table_columns(table: statistics.Table) -> list[excel.Column]:
    return [
        excel.Column(header, (lambda row, i=i: row[i]), kind)
        for i, (header, kind) in enumerate(zip(table.headers, table.kinds, strict=True))
    ]


class StatisticsView(RoleGate, BaseView):
    read_roles = STATISTICS_ROLES

    def _batch(self, session) -> ExamBatch | None:
        """The batch asked for (``?batch=id``), else the latest one that has applications."""
        raw = request.args.get("batch", "")
        if raw:
            pk = parse_pk(raw)  # "abc", -1, 2**31 …: no such batch (never sent to an integer column)
            batch = session.get(ExamBatch, pk) if pk is not None else None
            if batch is None:
                abort(404)
            return batch
        return session.scalar(
            sa.select(ExamBatch)
            .where(sa.exists().where(Application.batch_id == ExamBatch.id))
            .order_by(ExamBatch.year.desc())
            .limit(1)
        ) or session.scalar(sa.select(ExamBatch).order_by(ExamBatch.year.desc()).limit(1))

    def scope_label(self) -> str:
        user = current_user
        if user.role == enums.DISTRICT_HR:
            return f"{user.organisation.jurisdiction or ''}（本辖区）"
        return "全市"

    def row_links(self, table: statistics.Table, batch: ExamBatch | None) -> list:
        """Per row, the 考试资格申请 list filtered to that row (batch and the row's value; the 合计 row: the
        batch), whose count is the row's 合计; None where the list has no such filter."""
        applications = next(
            (v for v in self.admin._views if getattr(v, "endpoint", None) == "applications"), None
        )
        if (
            batch is None
            or not table.filter_column
            or applications is None
            or not applications.is_accessible()
        ):
            return [None] * len(table.rows)
        links = []
        for key in table.keys:
            if key is None:  # rows without a 区县 (市属 units): the list filters on a 区县 name
                links.append(None)
                continue
            wanted = {"application.batch_id": batch.id}
            if key != statistics.TOTAL:
                wanted[table.filter_column] = key
            filters = applications.column_filters_for(wanted)
            links.append(url_for("applications.index_view", **applications.filter_url_args(filters)))
        return links

    @expose("/")
    def index(self):
        with reporting_session() as session:
            batch = self._batch(session)
            tables = statistics.all_tables(session, current_user, batch.id if batch else None)
            batches = session.scalars(sa.select(ExamBatch).order_by(ExamBatch.year.desc())).all()
            return self.render(
                "gk/statistics.html",
                batch=batch,
                batches=batches,
                tables=tables,
                links={t.key: self.row_links(t, batch) for t in tables},
                charts=[t.as_chart_data() for t in tables if t.chart and t.rows],
                scope_label=self.scope_label(),
            )

    @expose("/export/")
    @download
    def export_view(self):
        """One table (``?table=key``) or every table (``?table=all``, one sheet each) as an .xlsx file."""
        wanted = request.args.get("table", "all")
        with reporting_session() as session:
            batch = self._batch(session)
            tables = statistics.all_tables(session, current_user, batch.id if batch else None)
            if wanted != "all":
                tables = [t for t in tables if t.key == wanted]
                if not tables:
                    abort(404)
            year = f"{batch.year}年度" if batch else ""
            path = excel.temporary_path()
            excel.write_sheets(
                path,
                (
                    (
                        t.title,
                        f"{'' if t.key == 'year_on_year' else year}{t.title}（{self.scope_label()}）",
                        table_columns(t),
                        t.rows,
                    )
                    for t in tables
                ),
            )
        name = "统计分析" if wanted == "all" else tables[0].title
        return send_temporary_file(path, f"{name}-{year or '历年'}.xlsx")
