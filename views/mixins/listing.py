"""Lists at scale: a capped count, deep pages by id, prefix search on the large tables, stable order, and
every many-to-one relation the columns show loaded with the page (FLASK_ADMIN_NOTES "Lists at scale")."""

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipProperty, joinedload

from admin_app.extensions import db

# A list counts its rows up to this many (and at least to the page after the current one); beyond that the
# pager says "10,000+" instead of counting a million rows on every page view.
COUNT_CAP = 10_000

# Searched by prefix (an index range scan) instead of Flask-Admin's ILIKE '%…%' (a full scan): the columns
# of the large tables that people look up by name, ID number or 准考证号. Other searchable columns (of
# small tables) keep "contains".
PREFIX_SEARCH_COLUMNS = frozenset({"worker.name", "worker.id_number", "registration.ticket_number"})
_ID_LIKE = re.compile(r"[0-9xX]+")


class CappedCount(int):
    """A row count that stopped at its cap (the value is cap + 1): shown as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self) - 1:,}+"


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ListingMixin:
    """The list page and the queries built from it (``filtered_query``: exports, links, "all matching")."""

    can_set_page_size = True
    page_size = 20  # Flask-Admin's default; 50 and 100 can be chosen on the page
    column_default_sort = ("id", True)  # Flask-Admin has no default order: pages would not be stable

    def get_list(
        self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None, eager=True
    ):
        """The list page: scope, search, filters and sort as Flask-Admin builds them, then

        - a capped count (``COUNT_CAP``; exact below it) instead of COUNT(*) over the whole table;
        - the page's ids first (an index scan even for a deep page), then just those rows with every
          many-to-one relation the columns show loaded in the same statement: a constant number of SQL
          statements per page, whatever the number of rows.

        ``execute=False`` returns the whole query (all pages when ``page_size=0``), eagerly loaded."""
        joins: dict = {}
        query = self.get_query()
        if self._search_supported and search:
            query, _none, joins, _joins = self._apply_search(query, None, joins, {}, search)
        if filters and self._filters:
            query, _none, joins, _joins = self._apply_filters(query, None, joins, {}, filters)
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        if not execute:
            query = self._apply_pagination(query, page, page_size)
            return None, (self.eager(query) if eager else query)
        size = self.page_size if page_size is None else page_size
        count = self.capped_count(query, page or 0, size)
        ids = [pk for (pk,) in self._apply_pagination(query.with_entities(self.model.id), page, page_size)]
        if not ids:
            return count, []
        rows = self.eager(self.get_query().filter(self.model.id.in_(ids))).all()
        position = {pk: index for index, pk in enumerate(ids)}
        rows.sort(key=lambda row: position[row.id])
        return count, rows

    def capped_count(self, query, page: int, page_size: int) -> int:
        """Rows of ``query``, counted up to the cap (at least to the page after ``page``): exact when the
        filtered set is small, a ``CappedCount`` ("10,000+") when it is not."""
        cap = max(COUNT_CAP, (page + 2) * page_size) if page_size else COUNT_CAP
        inner = query.with_entities(self.model.id).order_by(None).limit(cap + 1).subquery()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(inner))
        return CappedCount(count) if count > cap else count

    def filtered_query(self, eager: bool = True):
        """The list's query for the current request's 组合查询 (filters, search, sort; scope applied), all
        pages; and the parsed list arguments."""
        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        if sort_column is not None:
            sort_column = sort_column[0]
        _count, query = self.get_list(
            0,
            sort_column,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            execute=False,
            page_size=0,
            eager=eager,
        )
        return query, view_args

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Every word must match one of the searchable columns: by prefix for ``PREFIX_SEARCH_COLUMNS``
        (ID numbers upper-cased, full-width characters folded), by "contains" for the others."""
        for term in search.split():
            term = unicodedata.normalize("NFKC", term).strip()
            if not term:
                continue
            conditions = []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                if f"{field.table.name}.{field.name}" in PREFIX_SEARCH_COLUMNS:
                    value = term.upper() if _ID_LIKE.fullmatch(term) else term
                    conditions.append(column.like(_escape_like(value) + "%", escape="\\"))
                else:
                    conditions.append(
                        sa.cast(column, sa.Unicode).ilike(f"%{_escape_like(term)}%", escape="\\")
                    )
            query = query.filter(sa.or_(*conditions))
        return query, count_query, joins, count_joins

    def search_placeholder(self):
        placeholder = super().search_placeholder()
        prefix = any(
            f"{f.table.name}.{f.name}" in PREFIX_SEARCH_COLUMNS for f, _p in self._search_fields or ()
        )
        return f"{placeholder}（从开头匹配）" if placeholder and prefix else placeholder

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """The chosen (or default) sort, then the primary key: pages are stable even when values tie."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(self.model.id.desc()), joins

    def eager(self, query):
        """Load every many-to-one relation the list's columns go through in the same query (no N+1)."""
        paths = set()
        for name, _label in self.get_list_columns():
            parts = name.split(".")  # a column may itself be a relation ("supervisor", "batch")
            for depth in range(1, len(parts) + 1):
                paths.add(tuple(parts[:depth]))
        for path in sorted(paths, key=len):
            model, option, ok = self.model, None, True
            for part in path:
                attr = getattr(model, part, None)
                prop = getattr(attr, "property", None)
                if not isinstance(prop, RelationshipProperty) or prop.uselist:
                    ok = False
                    break
                option = joinedload(attr) if option is None else option.joinedload(attr)
                model = prop.mapper.class_
            if ok and option is not None:
                query = query.options(option)
        return query
