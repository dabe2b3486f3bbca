"""Links: to this list already filtered (the 首页 to-dos), and the row actions of a list page, built once
per page instead of once per row; a row's cells written in one call."""

from flask import g, url_for
from flask_admin.model import template
from jinja2 import pass_context
from markupsafe import Markup, escape

from views.mixins.batches import ALL_BATCHES

# Flask-Admin's "equals" filter classes (column_filters_for)
_EQUAL_FILTERS = frozenset(
    {
        "FilterEqual",
        "IntEqualFilter",
        "BooleanEqualFilter",
        "ChoiceTypeEqualFilter",
        "BatchFilter",
        "NoticeStageFilter",  # 公示情况 of 资格认定 (views/result_notice.py)
    }
)


class _NotEmpty:
    """A to-do's condition "has a value" (Flask-Admin's FilterEmpty with 0): ``NOT_EMPTY``."""

    def __repr__(self) -> str:
        return "NOT_EMPTY"


NOT_EMPTY = _NotEmpty()

_ROW_ID = "GKROWID"  # stands for the row's id in a link built once per page

# The short label written next to a row icon (its tooltip keeps the longer title).
ROW_ACTION_LABELS = {
    template.ViewRowAction: "查看",
    template.EditRowAction: "编辑",
    template.DeleteRowAction: "删除",
}


class RowLink(template.EndpointLinkRowAction):
    """A row icon linking to one of the view's pages, drawn only on the rows that page serves
    (``shown(row)``; 准考证 once there is a 准考证号, 证书 once recognised): no icon is refused when clicked."""

    def __init__(self, icon_class: str, endpoint: str, title: str, shown):
        super().__init__(icon_class, endpoint, title=title)
        self.shown = shown

    def open_on(self, row) -> bool:
        return self.shown(row)


class LinksMixin:
    # --- links to this list, already filtered (首页 to-dos) ------------------------------------------------
    def column_filters_for(self, wanted: dict) -> list[tuple[int, str, str]]:
        """This list's 组合查询 for {"table.column": value} (equality; None: "is empty", ``NOT_EMPTY``: "has a
        value"), in the form
        ``get_list`` takes. Columns are table-qualified: ``jurisdiction.name`` and ``organisation.name`` are
        different filters. Raises LookupError when the list has no such filter."""
        found = []
        lookup = self._filter_lookup()
        for column, value in wanted.items():
            empty = value is None or value is NOT_EMPTY
            hit = lookup.get((column, empty))
            if hit is None:
                raise LookupError(f"{self.endpoint}: no filter on {column}")
            index, flt = hit
            text = "1" if value is None else "0" if value is NOT_EMPTY else str(value)
            found.append((index, str(flt.name), text))
        return found

    def _filter_lookup(self) -> dict:
        """{("table.column", empty?): (index, filter)}: the first equality ("is empty" when ``empty``) filter of
        each column, built once per view and filter list (统计分析 asks for ~120 links per page)."""
        cached = self.__dict__.get("_filter_lookup_cache")
        if cached is not None and cached[0] is self._filters:
            return cached[1]
        lookup = {}
        for index, flt in enumerate(self._filters or ()):
            target = getattr(flt, "column", None)
            column = f"{getattr(target, 'table', None)}.{getattr(target, 'key', None)}"
            name = type(flt).__name__
            if name == "FilterEmpty":
                lookup.setdefault((column, True), (index, flt))
            elif name in _EQUAL_FILTERS:
                lookup.setdefault((column, False), (index, flt))
        self._filter_lookup_cache = (self._filters, lookup)
        return lookup

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

    def row_action_open(self, action, row, rows=()) -> bool:
        """Whether ``row`` gets the icon of ``action``: 编辑 and 删除 only on a row the view would let change
        (``row_lock_reason`` / ``delete_lock_reason``), an icon with ``open_on`` only where it opens. ``rows``:
        the page's rows, for a view that reads the locks of a page at once."""
        if isinstance(action, template.EditRowAction):
            return self.row_lock_reason(row) is None
        if isinstance(action, template.DeleteRowAction):
            return self.delete_lock_reason(row) is None
        open_on = getattr(action, "open_on", None)
        return open_on is None or open_on(row)

    @staticmethod
    def row_action_label(action) -> str:
        """The short Chinese label shown next to a row icon (查看, 编辑, 删除, or the action's title)."""
        return ROW_ACTION_LABELS.get(type(action)) or action.title or ""

    def row_link(self, action, return_url):
        """(before id, after id, icon, title, label) of a row action that is a plain link (查看, 编辑, extra
        endpoint links), built with url_for once per page instead of once per row; None for the others (删除
        is a form: ``row_link_delete_url``)."""

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
            return before, after, icon, action.title or "", self.row_action_label(action)

        return self._per_page((self.endpoint, id(action), return_url), build)

    @pass_context
    def list_cells(self, context, row, columns) -> Markup:
        """The ``<td>`` of each column of ``row``, as Flask-Admin's list template writes them (the view's
        ``get_list_value``, escaped, empty for None), in one call. Through the template each cell cost three
        template calls and an editability check: the cells of 20 rows × 10 columns took ~2 ms, in one call ~1.
        Only for a view without inline-editable columns (gk/list.html keeps the stock row for the others)."""
        value_of = self.get_list_value  # a view may override it (成绩 hidden until published)
        cells = []
        for name, _label in columns:
            value = value_of(context, row, name)
            cells.append(f'<td class="col-{escape(name)}">{escape("" if value is None else value)}</td>')
        return Markup("".join(cells))

    def row_link_delete_url(self) -> str:
        return self._per_page((self.endpoint, "delete"), lambda: self.get_url(".delete_view"))
