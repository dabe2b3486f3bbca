"""统计分析: tables and charts of one batch and of all years, each table exportable to Excel.

Read from the reporting session (the read replica when one is configured), in the user's own scope.

Guarantees of the export:
- One table (``?table=key``): one sheet of a few dozen rows, sent at once.
- 「导出全部」 (``?table=all``, one sheet per table, a multi-sheet workbook): a 下载中心 job of kind
  ``statistics_xlsx`` (issue 19 point 2), the user sent to the 下载中心; Redis down: a Chinese message, nothing
  queued. The job replays the request as its owner (``jobs.as_owner``: the same batch, the owner's scope, re-read
  when it runs: a 区县 bureau's tables hold its district only) and writes the same sheets the one-table export
  writes, calling ``report(rows done, rows in all tables)`` after each sheet.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from markupsafe import Markup, escape

from admin_app.extensions import reporting_session
from admin_app.request_guard import download, parse_pk
from admin_app.services import excel, jobs, statistics
from admin_app.services.validators import InvalidInput
from models import Application, ExamBatch, enums
from views.actor import current_actor
from views.base import RoleGate, send_temporary_file

STATISTICS_ROLES = frozenset({enums.OFFICE, enums.CITY_HR, enums.DISTRICT_HR})
KIND = "statistics_xlsx"
ALL = "all"
NO_BATCH = "该批次已不存在，统计表格未生成，请重新导出"
LINK = Markup('<a class="gk-stats-link" href="{}" title="查看这些申请">{}</a>')


def row_cells(row, kinds, link) -> Markup:
    """The ``<td>`` cells of one table row: — for no value, a percentage to one decimal, the rest as they are;
    the count (second cell) a link to the applications it counts when there is one. A function, not a macro per
    cell: a page draws ~110 rows of ~7 cells, and a Jinja macro call costs several times a Python call."""
    cells = []
    for index, value in enumerate(row):
        kind = kinds[index]
        text = "—" if value is None else f"{value * 100:.1f}%" if kind == "percent" else escape(value)
        if index == 1 and link:
            text = LINK.format(link, text)
        cells.append(Markup('<td class="text-right">{}</td>' if index else "<td>{}</td>").format(text))
    return Markup("").join(cells)


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
                row_cells=row_cells,
            )

    def write_tables(self, path: str, tables: list, batch: ExamBatch | None, report=None) -> int:
        """``tables`` to ``path``, one sheet each, titled with the batch and the user's scope; calls
        ``report(rows done, rows in all)`` after each sheet if given. The data rows written."""
        year = f"{batch.year}年度" if batch else ""
        total = sum(len(t.rows) for t in tables)

        def sheets():
            done = 0
            for t in tables:
                title = f"{'' if t.key == 'year_on_year' else year}{t.title}（{self.scope_label()}）"
                yield t.title, title, table_columns(t), t.rows
                done += len(t.rows)  # resumed once the sheet is written
                if report is not None:
                    report(done, total)

        excel.write_sheets(path, sheets())
        return total

    @expose("/export/", methods=("POST",))  # a form (``?table=all`` queues a job): no link may start it
    @download
    def export_view(self):
        """One table (``?table=key``) as an .xlsx file; every table (``?table=all``) as a 下载中心 job."""
        wanted = request.args.get("table", ALL)
        with reporting_session() as session:
            batch = self._batch(session)  # an unknown batch is 404 before anything is queued
            if wanted == ALL:
                return self._queue_all(batch)
            tables = [
                t
                for t in statistics.all_tables(session, current_user, batch.id if batch else None)
                if t.key == wanted
            ]
            if not tables:
                abort(404)
            path = excel.temporary_path()
            self.write_tables(path, tables, batch)
        return send_temporary_file(path, f"{tables[0].title}-{file_year(batch)}.xlsx")

    def _queue_all(self, batch: ExamBatch | None):
        actor = current_actor()
        title = f"统计分析全部表格（{file_year(batch)}，{self.scope_label()}）"
        try:
            jobs.submit(
                actor, KIND, title, jobs.request_parameters(actor, self.endpoint, request.path, request.args)
            )
        except jobs.QueueUnavailable:
            flash("后台任务服务暂时不可用，全部表格暂时无法导出。可逐个导出单张表格，或稍后再试。", "error")
            return redirect(url_for(".index", batch=batch.id if batch else None))
        flash(
            "统计分析全部表格的导出已转为后台任务。文件生成后将以站内消息通知，请在“下载中心”查看进度并下载。",
            "success",
        )
        return redirect(url_for("downloads.index_view"))


def file_year(batch: ExamBatch | None) -> str:
    return f"{batch.year}年度" if batch else "历年"


def _produce(app, job, path, report) -> jobs.Outcome:
    """The owner's 统计分析 of the batch the request named, every table a sheet (see the module's guarantees)."""
    with jobs.as_owner(app, job) as view, reporting_session() as session:
        raw = request.args.get("batch", "")
        pk = parse_pk(raw) if raw else None
        if raw and (pk is None or session.get(ExamBatch, pk) is None):
            raise InvalidInput(NO_BATCH)
        batch = view._batch(session)
        tables = statistics.all_tables(session, current_user, batch.id if batch else None)
        total = sum(len(t.rows) for t in tables)
        report(0, total)
        rows = view.write_tables(path, tables, batch, report)
    return jobs.Outcome(rows=rows, name=f"统计分析-{file_year(batch)}")


def _ready(job, outcome, expires) -> tuple[str, str]:
    return "统计分析表格已生成", jobs.ready_message(job.title, expires)


jobs.register(
    jobs.Kind(KIND, _produce, failed="导出统计分析表格时发生错误，文件未生成，请稍后重试", ready=_ready)
)
