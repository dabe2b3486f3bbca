"""Links: to this list already filtered (the 首页 to-dos), and the row actions of a list page, built once
per page instead of once per row."""

from flask import g, url_for
from flask_admin.model import template

from views.mixins.batches import ALL_BATCHES

# Flask-Admin's "equals" filter classes (column_filters_for)
_EQUAL_FILTERS = frozenset(
    {"FilterEqual", "IntEqualFilter", "BooleanEqualFilter", "ChoiceTypeEqualFilter", "BatchFilter"}
)

_ROW_ID = "GKROWID"  # stands for the row's id in a link built once per page


class LinksMixin:
    # --- links to this list, already filtered (首页 to-dos) ------------------------------------------------
    def column_filters_for(self, wanted: dict) -> list[tuple[int, str, str]]:
        """This list's 组合查询 for {"table.column": value} (equality; None: "is empty"), in the form
        ``get_list`` takes. Columns are table-qualified: ``jurisdiction.name`` and ``organisation.name`` are
        different filters. Raises LookupError when the list has no such filter."""
        found = []
        for column, value in wanted.items():
            kind = "FilterEmpty" if value is None else None
            for index, flt in enumerate(self._filters or ()):
                target = getattr(flt, "column", None)
                if f"{getattr(target, 'table', None)}.{getattr(target, 'key', None)}" != column:
                    continue
                name = type(flt).__name__
                if name == kind or (kind is None and name in _EQUAL_FILTERS):
                    found.append((index, str(flt.name), "1" if value is None else str(value)))
                    break
            else:
                raise LookupError(f"{self.endpoint}: no filter on {column}")
        return found

    def filter_url_args(self, filters) -> dict:
        """The list URL's arguments for ``filters`` as ``column_filters_for`` returns them (none: every batch of
        a list that would otherwise open on the current one, ``mixins.batches``)."""
        args = {
            f"flt{pos}_{self.get_filter_arg(index, self._filters[index])}": value
            for pos, (index, _name, value) in enumerate(filters)
        }
        if not args and self.batch_filter_index() is not None:
            args[ALL_BATCHES] = "1"
        return args

    def filtered_link(self, wanted: dict) -> tuple[int, str]:
        """(row count, URL) of this list filtered by ``wanted``: the count is the one the list shows."""
        filters = self.column_filters_for(wanted)
        _none, query = self.get_list(0, None, False, None, filters, execute=False, page_size=0, eager=False)
        url = url_for(f"{self.endpoint}.index_view", **self.filter_url_args(filters))
        return self.capped_count(query, 0, 0), url

    # --- row actions of the list page ---------------------------------------------------------------------
    def _per_page(self, key, build):
        """A value built once per request (links shared by every row of the page)."""
        cache = g.setdefault("gk_row_links", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def row_link(self, action, return_url):
        """(before id, after id, icon, title) of a row action that is a plain link (查看, 编辑, extra endpoint
        links), built with url_for once per page instead of once per row; None for the others (删除 is a
        form: ``row_link_delete_url``)."""

        def build():
            kind = type(action)
            if kind is template.ViewRowAction:
                spec = (".details_view", "id", {"url": return_url}, "fa fa-eye glyphicon glyphicon-eye-open")
            elif kind is template.EditRowAction:
                spec = (".edit_view", "id", {"url": return_url}, "fa fa-pencil glyphicon glyphicon-pencil")
            elif isinstance(action, template.EndpointLinkRowAction):  # views.bulk.TransitionRowAction too
                spec = (action.endpoint, action.id_arg, dict(action.url_args or {}), action.icon_class)
            else:
                return None
            endpoint, id_arg, args, icon = spec
            before, _, after = self.get_url(endpoint, **{id_arg: _ROW_ID, **args}).partition(_ROW_ID)
            return before, after, icon, action.title or ""

        return self._per_page((self.endpoint, id(action), return_url), build)

    def row_link_delete_url(self) -> str:
        return self._per_page((self.endpoint, "delete"), lambda: self.get_url(".delete_view"))
