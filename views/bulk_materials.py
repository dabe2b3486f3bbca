"""批量上传申报材料 and the 申报材料 column (有/无) with its 组合查询 condition, for 待我审核.

The page takes many PDFs and/or ZIPs in one request (``BULK_UPLOAD_BYTES`` instead of MAX_CONTENT_LENGTH, set
before CSRF reads the form) and shows one row per file: attached to whom, or why not
(``services/bulk_materials.py``)."""

import sqlalchemy as sa
from flask import flash, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import bulk_materials
from admin_app.services.validators import InvalidInput
from models import Application, Material
from views.actor import current_actor


def has_material() -> sa.ColumnElement[bool]:
    """The application has at least one 申报材料 (an index probe on material.application_id per row)."""
    return sa.exists().where(Material.application_id == Application.id)


class MaterialFilter(BaseSQLAFilter):
    """组合查询 申报材料 有/无."""

    def __init__(self):
        super().__init__(Application.id, "申报材料", options=(("1", "有"), ("0", "无")))

    def apply(self, query, value, alias=None):
        return query.filter(has_material() if value == "1" else ~has_material())

    def clean(self, value):
        if value not in ("0", "1"):
            raise ValueError(value)
        return value

    def operation(self):
        return "为"


def material_column(view, context, model, name):
    """有/无 from the ids read once for the page or the export (``BulkMaterialsMixin``)."""
    return "有" if model.id in getattr(request, "gk_with_material", ()) else "无"


def _with_material(ids) -> set[int]:
    """Which of ``ids`` (a list or a subquery of application ids) have a 申报材料: one statement."""
    return set(
        db.session.scalars(
            sa.select(Material.application_id).where(Material.application_id.in_(ids)).distinct()
        )
    )


class BulkMaterialsMixin:
    """For a list of applications (``ApplicationView``): the bulk upload page, and the 申报材料 column
    (``material_column``; declare it in ``column_list`` and ``column_formatters``) read once per page and
    once per export, never once per row."""

    def get_list(
        self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None, eager=True
    ):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size, eager=eager
        )
        if execute and rows:
            request.gk_with_material = _with_material([row.id for row in rows])
        return count, rows

    def export_columns(self):
        query, _args = self.filtered_query(eager=False)
        ids = query.with_entities(Application.id).order_by(None).subquery()
        request.gk_with_material = _with_material(sa.select(ids.c.id))
        return super().export_columns()

    @expose("/materials/bulk/", methods=("GET", "POST"))
    def bulk_material_upload_view(self):
        result = None
        if request.method == "POST":
            try:
                result = bulk_materials.upload(current_actor(), request.files.getlist("files"))
            except InvalidInput as exc:
                flash(str(exc), "error")
            else:
                flash(f"已上传 {result.attached} 个文件", "success" if result.attached else "warning")
        return self.render(
            "gk/bulk_materials.html",
            result=result,
            outcomes=bulk_materials,
        )

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        endpoint = f"{self.endpoint}.bulk_material_upload_view"

        # URL value preprocessors run before every before_request function, CSRFProtect's too, which reads
        # the form: the bigger limit must be set before the body is parsed.
        @blueprint.url_value_preprocessor
        def _allow_many_files(endpoint_name, values):
            if endpoint_name == endpoint:
                request.max_content_length = limits.BULK_UPLOAD_BYTES

        return blueprint
