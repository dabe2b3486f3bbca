"""Relation pickers scoped by declaring them (as OpenWISP's ``multitenant_shared_relations``).

Flask-Admin fills a relation field from the whole related table. A view instead lists its pickers::

    scoped_relations = {
        "worker": pickers.own_workers,                        # a dropdown of what the scope returns
        "supervisor": searched(own_supervisor_candidates, "name"),  # search-as-you-type (large tables)
    }

A scope is ``scope(query) -> query`` over the related model (filter and order). The form converter applies
it to the dropdown's choices (``query_factory``); a ``searched`` picker gets a ``ScopedAjaxLoader`` (its
search and the submitted id both go through the scope, and an id outside it is refused in Chinese). A
writable view whose form has a relation nobody declared does not start: a new relation is never silently
unscoped (declare ``every_row`` for a dictionary every writer may pick from).

List filters need nothing here: Flask-Admin's filters on a relation are text conditions on the related
columns inside the list's own scope; they offer no rows of the related table.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.fields import AjaxSelectField

from admin_app.extensions import db
from admin_app.request_guard import parse_pk

Scope = Callable  # query of the related model -> the rows offered, in order


def every_row(query):
    """The whole related table (dictionaries such as 民族)."""
    return query


@dataclass(frozen=True)
class Searched:
    """A picker searched as the user types (``searched``)."""

    scope: Scope
    fields: tuple[str, ...]
    options: dict = field(default_factory=dict)


def searched(scope: Scope, *fields: str, **options) -> Searched:
    """A search-as-you-type picker over ``fields`` of the rows ``scope`` allows (options: page_size,
    placeholder, order_by … of Flask-Admin's ``QueryAjaxModelLoader``)."""
    return Searched(scope, fields, options)


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """A relation picker whose choices (search and the submitted value) go through a scope callable."""

    def __init__(self, name, model, scope, **options):
        options.setdefault("page_size", 20)
        options.setdefault("placeholder", "输入名称搜索并选择")
        super().__init__(name, db, model, **options)
        self.scope = scope

    def get_query(self):
        return self.scope(super().get_query())

    def get_one(self, pk):
        pk = parse_pk(pk)
        if pk is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(self.model.id == pk).one_or_none()


class ScopedRelationConverter(AdminModelConverter):
    """Builds every relation field of a form from the view's ``scoped_relations``."""

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        # An inline form's converter is given the InlineFormAdmin as its view: no declarations there.
        declared = isinstance(self.view, ScopedRelationsMixin)
        scope = self.view.scoped_relations.get(prop.key) if declared else None
        if scope is None and declared and self.view.writes_forms():
            raise TypeError(
                f"{type(self.view).__name__}: the relation picker {prop.key!r} is not declared in "
                "scoped_relations (declare its scope, or every_row for a dictionary)"
            )
        if scope is not None and not isinstance(scope, Searched):
            kwargs["query_factory"] = lambda: scope(db.session.query(remote_model))
        return super()._model_select_field(prop, multiple, remote_model, **kwargs)


class ScopedRelationsMixin:
    """Declare ``scoped_relations``: relation field name -> scope callable or ``searched(...)``."""

    scoped_relations: dict = {}
    model_form_converter = ScopedRelationConverter

    def writes_forms(self) -> bool:
        """Whether any role may ever submit this view's create or edit form."""
        return bool(self.write_roles) and (self.allow_create or self.allow_edit)

    @property
    def form_ajax_refs(self):
        """The ``searched`` pickers, as Flask-Admin's ajax loaders."""
        refs = {}
        for name, scope in self.scoped_relations.items():
            if isinstance(scope, Searched):
                model = getattr(self.model, name).property.mapper.class_
                refs[name] = ScopedAjaxLoader(
                    name, model, scope.scope, fields=list(scope.fields), **scope.options
                )
        return refs

    def validate_form(self, form):
        """Also refuse a relation-picker id outside the picker's scope (Flask-Admin would store None)."""
        forged = []
        for field_ in form:
            if isinstance(field_, AjaxSelectField):
                raw = getattr(field_, "_formdata", None)
                if raw not in (None, "", "__None") and field_.data is None:
                    forged.append(field_)
        valid = super().validate_form(form)
        for field_ in forged:
            field_.errors = [*field_.errors, "所选项不存在或不在可选范围内"]
        return valid and not forged
