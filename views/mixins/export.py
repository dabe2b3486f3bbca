"""导出查询结果: every row of the current 组合查询 (filters, search, sort; scope applied), streamed to a
typed workbook. Flask-Admin's own export loads every row and writes every cell as text (17.9 s and 731 MB
for 100,000 rows, FLASK_ADMIN_NOTES "Export"); this one reads a server-side cursor and sends the workbook
while reading it (``excel.stream_workbook``): the first bytes leave after the first rows, not the last."""

import os
from operator import itemgetter

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    after_this_request,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy.orm import ColumnProperty, RelationshipProperty, aliased

from admin_app import limits
from admin_app.extensions import db, reporting_session
from admin_app.request_guard import download
from admin_app.services import audit, clock, excel, jobs, uploads
from admin_app.services.excel import Column
from admin_app.services.validators import InvalidInput
from models.enums import STAFF_ROLES
from models.worker import mask_id_number
from views.actor import current_actor
from views.mixins.access import current_role
from views.mixins.listing import count_up_to


def export_too_many() -> str:
    """The message of a refused export job: Excel's sheet limit, and how to narrow the query."""
    return (
        f"当前查询超过{limits.EXPORT_ROWS:,}行，超出Excel单个工作表的行数上限，无法导出。"
        "请用组合查询（如批次、区县、状态）或搜索缩小范围后再导出，或分几次导出。"
    )


class ExportMixin:
    can_export = False  # Flask-Admin's in-memory export is off; export_xlsx_view streams instead
    exportable = True  # 导出查询结果 offered (False: a list whose rows are not data to take away, 下载中心)
    export_name: str | None = None  # file and sheet name of 导出查询结果 (default: the view's name)
    # Date columns that hold a month (the list shows them as YYYY.MM): exported as typed dates shown yyyy.mm.
    export_month_columns: tuple = ()
    # Columns whose screen formatter only decorates the stored value (批次 2021 → "2021年度"): exported as the
    # value itself, typed, so the list keeps the one-statement streamed export.
    export_raw_columns: tuple = ("batch.year",)

    def export_columns(self) -> list:
        """The exported columns: the list's columns, typed, with the list's labels and enum formatters.
        ID numbers are written in full only for staff roles (masked for units)."""
        staff = current_role() in STAFF_ROLES
        columns = []
        for name, label in self.get_list_columns():
            if name.endswith("id_number"):
                getter = _path_getter(name)
                value = getter if staff else (lambda row, g=getter: mask_id_number(g(row)))
                columns.append(Column(str(label), value, "text", 22))
            elif name in self.export_month_columns:
                columns.append(Column(str(label), _path_getter(name), "month"))
            elif name in self.export_raw_columns:
                columns.append(Column(str(label), _path_getter(name)))
            elif name in (self.column_formatters or {}):
                formatter = self.column_formatters[name]
                columns.append(
                    Column(str(label), lambda row, f=formatter, n=name: _plain(f(self, None, row, n)), "text")
                )
            else:
                columns.append(Column(str(label), _path_getter(name)))
        return columns

    # POST only (its button is a form with the CSRF token, the list's query string in its action): it may queue a
    # job, which no link or cross-site navigation must start; a GET is 405.
    @expose("/export.xlsx", methods=("POST",))
    @download
    def export_xlsx_view(self):
        """导出查询结果: every row of the current 组合查询 (filters, search, sort; scope applied). Up to
        ``EXPORT_JOB_ROWS`` rows (counted up to it, before any other work) streamed while the rows are read;
        above it a background job of the 下载中心 (services/jobs.py) replays this request as this user, and the
        clerk is sent there. Redis down: the larger export is refused with a message, smaller ones still stream."""
        if not self.exportable:
            abort(404)
        query, view_args = self.filtered_query()
        threshold = current_app.config["EXPORT_JOB_ROWS"]
        with reporting_session() as session:  # a read: on the replica when there is one, like the rows
            count = count_up_to(session, query.with_entities(self.model.id), threshold)
        if count > threshold:
            return self._export_as_job(threshold)
        # Everything that reads the request, the user or its role is done here: under a WSGI server the
        # request's database session is closed when this view returns, before the body is read.
        name, columns, statement, is_plan = self.export_source(query, view_args)
        # Recorded before the first byte: an export that is interrupted is still an export.
        audit.record(
            "export",
            user=current_actor(),
            object_type=self.model.__name__,
            detail={"rows": count, "view": self.endpoint},
        )
        db.session.commit()
        rows = self._export_stream(statement, is_plan, name, columns)
        response = Response(stream_with_context(rows), mimetype=uploads.XLSX_TYPE)
        response.headers["Content-Disposition"] = uploads.content_disposition(
            "attachment", self.export_download_name(name), uploads.XLSX_TYPE
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def export_download_name(self, name: str) -> str:
        return f"{name}_{clock.now():%Y%m%d%H%M}.xlsx"

    def export_source(self, query, view_args) -> tuple:
        """(sheet name, typed columns, what to read, whether it is a Core SELECT) of the list's query."""
        name = self.export_name or str(self.name)
        plan = self.export_plan(query, view_args)
        if plan is not None:
            return name, plan[1], plan[0], True
        return name, self.export_columns(), query, False

    def _export_as_job(self, threshold: int):
        """The export handed to the 下载中心: recorded and queued, or refused when the queue is down."""
        name = self.export_name or str(self.name)
        list_url = self.get_url(".index_view", **request.args.to_dict(flat=False))
        try:
            jobs.submit_export(current_actor(), self.endpoint, name, request.path, request.args)
        except jobs.QueueUnavailable:
            flash(jobs.queue_down_message(threshold), "error")
            return redirect(list_url)
        flash(
            f"查询结果超过{threshold:,}行，已转为后台导出任务。文件生成后将以站内消息通知，请在“下载中心”查看进度并下载。",
            "success",
        )
        return redirect(url_for("downloads.index_view"))

    def export_to_file(self, path: str, progress) -> tuple[int, str]:
        """Run inside a replay of the export's request as its user (services/jobs.py): write the workbook of
        the list's query to ``path``, calling ``progress(done, total)`` as rows are written; (rows, sheet
        name). Raises InvalidInput above Excel's sheet limit, before anything is written."""
        query, view_args = self.filtered_query()
        with reporting_session() as session:
            total = count_up_to(session, query.with_entities(self.model.id), limits.EXPORT_ROWS)
        if total > limits.EXPORT_ROWS:
            raise InvalidInput(export_too_many())
        progress(0, total)
        name, columns, statement, is_plan = self.export_source(query, view_args)
        audit.record(
            "export",
            user=current_actor(),
            object_type=self.model.__name__,
            detail={"rows": total, "view": self.endpoint, "background": True},
        )
        db.session.commit()
        rows = self._export_rows_read(statement, is_plan)
        written = 0

        def counted():
            nonlocal written
            for row in rows:
                written += 1
                if written % excel.CHUNK == 0:
                    progress(written, total)
                yield row

        try:
            with open(path, "wb") as out:
                for piece in excel.stream_workbook(name, columns, counted()):
                    out.write(piece)
        finally:
            rows.close()
        progress(written, total)
        return written, name

    def _export_stream(self, statement, is_plan: bool, name: str, columns: list):
        """The workbook's bytes; its first piece leaves before the query runs."""
        rows = self._export_rows_read(statement, is_plan)
        try:
            yield from excel.stream_workbook(name, columns, rows)
        finally:
            rows.close()  # the cursor and the session, also when the client went away

    def _export_rows_read(self, statement, is_plan: bool):
        """The rows, from a server-side cursor read in chunks of ``excel.CHUNK`` (on the replica when
        ``REPLICA_DATABASE_URL`` is configured), the query run at the first read: ``statement`` is
        ``export_plan``'s SELECT, or else the list's ORM query (rows with their relations, ``export_rows``)."""
        with reporting_session() as session:
            if is_plan:
                yield from session.execute(
                    statement.execution_options(stream_results=True, yield_per=excel.CHUNK)
                )
            else:
                yield from self.export_rows(
                    self.eager(statement.with_session(session))
                    .execution_options(stream_results=True)
                    .yield_per(excel.CHUNK)
                )

    def export_plan(self, query, view_args):
        """A Core SELECT of just the exported columns for the rows of ``query`` (its filters, search and
        scope, by id), with outer joins along many-to-one paths, and the matching typed Excel columns.
        None when a column is not a plain column (a computed property): then the ORM path is used."""
        staff = current_role() in STAFF_ROLES
        aliases, joins, selected, columns = {}, [], [], []
        for index, (name, label) in enumerate(self.get_list_columns()):
            parts = name.split(".")
            entity, model, path = self.model, self.model, ()
            for part in parts[:-1]:
                prop = getattr(getattr(model, part, None), "property", None)
                if not isinstance(prop, RelationshipProperty) or prop.uselist:
                    return None
                path += (part,)
                if path not in aliases:
                    target = aliased(prop.mapper.class_)
                    aliases[path] = target
                    joins.append(getattr(entity, part).of_type(target))
                entity, model = aliases[path], prop.mapper.class_
            column = getattr(entity, parts[-1], None)
            if not isinstance(getattr(column, "property", None), ColumnProperty):
                return None
            selected.append(self.export_expression(name, column))
            get = itemgetter(index)
            choices = dict((self.column_choices or {}).get(name, []))
            if name.endswith("id_number"):
                value = get if staff else (lambda row, g=get: mask_id_number(g(row)))
                columns.append(Column(str(label), value, "text", 22))
            elif name in self.export_month_columns:
                columns.append(Column(str(label), get, "month"))
            elif name in self.export_raw_columns:
                columns.append(Column(str(label), get))
            elif choices:
                columns.append(
                    Column(str(label), lambda row, g=get, c=choices: c.get(g(row), g(row)), "text")
                )
            elif name in (self.column_formatters or {}):
                return None  # a formatter that is not an enum label: keep the ORM path
            else:
                columns.append(Column(str(label), get))
        ids = query.with_entities(self.model.id).order_by(None).options(sa.orm.lazyload("*"))
        statement = sa.select(*selected).select_from(self.model)
        for join in joins:
            statement = statement.outerjoin(join)
        statement = statement.where(self.model.id.in_(ids.subquery().select()))
        return statement.order_by(*self._export_order(view_args, aliases)), columns

    def export_rows(self, rows):
        """The rows the ORM path writes (default: as read); a view may show them otherwise, e.g. with the
        person and the unit kept at submission (services/records.py), read in bulk."""
        return rows

    def export_expression(self, name, column):
        """The SQL a column ``name`` of the list is exported as (default: the column itself); a view may read
        a value from elsewhere, e.g. the record kept at submission (services/records.py)."""
        return column

    def _export_order(self, view_args, aliases):
        """The list's order: the sort the user chose, else column_default_sort, then id."""
        sort = self._get_column_by_idx(view_args.sort)
        wanted = []
        if sort is not None:
            wanted = [(sort[0], bool(view_args.sort_desc))]
        elif self.column_default_sort:
            default = self.column_default_sort
            items = default if isinstance(default, list) else [default]
            for item in items:
                wanted.append((item, False) if isinstance(item, str) else (item[0], bool(item[1])))
        order = []
        for name, desc in wanted:
            parts = name.split(".") if isinstance(name, str) else []
            entity = aliases.get(tuple(parts[:-1]), self.model) if len(parts) > 1 else self.model
            column = getattr(entity, parts[-1], None) if parts else None
            if column is not None:
                order.append(column.desc() if desc else column.asc())
        order.append(self.model.id.desc())
        return order


def _path_getter(path: str):
    """row -> value of a dotted attribute path ("worker.unit.name"), None-safe."""
    parts = path.split(".")

    def get(row):
        value = row
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    return get


def _plain(value):
    """Formatter output as plain text for Excel (Markup stripped to its text)."""
    if isinstance(value, Markup):
        return value.striptags()
    return value


def send_temporary_file(path: str, download_name: str):
    """Send a generated file as an attachment and delete it once the response is closed."""

    @after_this_request
    def _cleanup(response):
        response.call_on_close(lambda: os.path.exists(path) and os.remove(path))
        return response

    return send_file(path, as_attachment=True, download_name=download_name, max_age=0)
