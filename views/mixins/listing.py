"""Lists at scale: a capped count, deep pages by id, prefix search on the large tables, stable order, and
every many-to-one relation the columns show loaded with the page (FLASK_ADMIN_NOTES "Lists at scale")."""

import math
import re
import time
import unicodedata
from collections.abc import Callable, Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import RelationshipProperty, joinedload

from admin_app.extensions import db

# A list counts its rows up to this many (and at least to the page after the current one); beyond that the
# pager says "10,000+" instead of counting a million rows on every page view.
COUNT_CAP = 10_000
# A search's count stops sooner: a broad one (a 2-character name prefix matches ~10,000 people at 1M
# applications) reads every match up to the cap, each through a join, where a list's own condition reads
# one index range. Below this the count is exact; above it the page says "1,000+" (a whole name or an
# ID number matches a handful of rows and is counted exactly).
SEARCH_COUNT_CAP = 1_000
# A search of more matches than its cap finds its page by reading the list in order (``_walked_matches``):
# first this many rows per row wanted (a prefix of 1 person in 100 fills a page from ~100 per row), then as
# many as the rate of matches so far asks for, never more than ``SEARCH_WALK_ROWS`` rows in all (a rarer
# match: its ≥ 1,001 matches are sorted instead, as a narrow search's are).
SEARCH_WALK_FIRST = 200
# ... on a table of more rows than this (the planner's estimate; never on SQLite, which keeps none). Below it
# a broad search's matches are sorted as fast as they are walked (a 2-character name prefix at 1M
# applications: 25–28 ms a page either way, bench/README.md); above it the sort grows with the table, the
# walk does not (10M: 131 ms sorted, 38 ms walked).
SEARCH_WALK_TABLE_ROWS = 2_000_000
SEARCH_WALK_ROWS = 24_000

# Searched by prefix (an index range scan) instead of Flask-Admin's ILIKE '%…%' (a full scan): the columns
# of the large tables that people look up by name, ID number or 准考证号. Other searchable columns (of
# small tables) keep "contains".
PREFIX_SEARCH_COLUMNS = frozenset({"worker.name", "worker.id_number", "registration.ticket_number"})
_ID_LIKE = re.compile(r"[0-9xX]+")
# What a value of a prefix-searched column can hold, as every path that writes one checks it (an ID number:
# 17 digits and a digit or X, ``services.validators.parse_resident_id``; a 准考证号: digits,
# ``workflow.registrations``). A word that cannot begin such a value is not looked for in that column (SQL
# false, which an OR drops): a name also looked up among ID numbers made the database read every worker of
# the name from the table (two index ranges OR-ed are a bitmap scan: 15,015 pages for a 2-character name at
# 10M applications, 74 ms) where the name alone is read from its index (3 ms).
_PREFIX_ALPHABETS = {
    "worker.id_number": re.compile(r"[0-9X]{1,18}"),
    "registration.ticket_number": re.compile(r"[0-9]+"),
}


# A list of more rows than this is sorted by walking indexes in the sort's order (``_order_by``,
# ``page_ids``): a walk reads a number of rows that grows with the table's size over the list's (the
# sorted values of other lists are passed over), a sort the list's rows. At 1M applications a unit's
# 1,000 rows sort in ~1 ms where the 姓名 walk took 2 s; a 区县's 4,400 rows of one batch took 30–300 ms
# to sort (their rows are spread over the table) and 10 ms to walk.
SORT_WALK_FROM = 2_000
# ... for a table of this many rows. A walk finds a page's rows among every row of the table (a scope of
# s rows among n: ~page × n / s rows read), a sort reads the scope (s): the walk pays from s ≈ √(page × n ×
# a constant), so the threshold grows with the square root of the table (at 10M applications a 区县's 5,700
# waiting rows walked 2M names in 1.4 s; sorted, they are a few thousand index probes). Never lower than
# ``SORT_WALK_FROM``, on smaller tables too (there, both are fast).
SORT_WALK_TABLE_ROWS = 1_000_000
_TABLE_ROWS: dict[str, tuple[float, float | None]] = {}  # table -> (when read, estimated rows)
_TABLE_ROWS_FOR = 300.0  # seconds an estimate is used before it is read again
# Whether the list being read is longer than ``SORT_WALK_FROM`` (set by ``ListingMixin.get_list``).
_SORT_WALKS: ContextVar[bool] = ContextVar("sort_walks", default=False)


class CappedCount(int):
    """A row count that stopped at its cap (the value is cap + 1): shown as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self) - 1:,}+"


def _id_in(column, ids: list[int]):
    """``column IN ids`` as one parameter on PostgreSQL (an array: a thousand ids bound, sent and parsed as
    one), a list of them elsewhere."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _read(query, ids: bool = False) -> list:
    """The rows of a query (or a SELECT) of columns, no entities, read without the ORM's per-row work
    (4,000 rows of a search's walk: ~5 ms less); ``ids``: the first column alone."""
    result = db.session.connection().execute(getattr(query, "statement", query))
    return result.scalars().all() if ids else result.all()  # fetchall: iterating fetches row by row


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _qualified(field) -> str:
    return f"{field.table.name}.{field.name}"


def _search_terms(search: str) -> list[str]:
    """The words of a search, full-width characters folded (ＡＢ１ → AB1); each must match."""
    terms = (unicodedata.normalize("NFKC", term).strip() for term in search.split())
    return [term for term in terms if term]


def _prefix_value(term: str) -> str:
    """What a prefix column must start with: an ID number's letters upper-cased (its check digit X)."""
    return term.upper() if _ID_LIKE.fullmatch(term) else term


def _search_condition(field, alias, term: str):
    """``term`` matched against one searchable column (on ``alias`` when its table is joined under one):
    by prefix for ``PREFIX_SEARCH_COLUMNS`` (false where no value can begin with it: ``_PREFIX_ALPHABETS``),
    else "contains" ignoring case."""
    column = field if alias is None else getattr(alias, field.key)
    name = _qualified(field)
    if name in PREFIX_SEARCH_COLUMNS:
        value = _prefix_value(term)
        if name in _PREFIX_ALPHABETS and not _PREFIX_ALPHABETS[name].fullmatch(value):
            return sa.false()
        return column.like(_escape_like(value) + "%", escape="\\")
    return sa.cast(column, sa.Unicode).ilike(f"%{_escape_like(term)}%", escape="\\")


class ListingMixin:
    """The list page and the queries built from it (``filtered_query``: exports, links, "all matching")."""

    can_set_page_size = True
    page_size = 20  # Flask-Admin's default; 50 and 100 can be chosen on the page
    column_default_sort = ("id", True)  # Flask-Admin has no default order: pages would not be stable
    # The order (column names) in which the capped count of the list as it opens (no search, no filter but
    # the 批次) reads its rows, or () for any order. A list whose current 批次 lies at the end of its heap gets
    # an index order here: a sequential scan would otherwise read the older batches first whenever it starts
    # at block 0 (bench/README.md, the p95 spikes). Not with other filters: an index of theirs counts without
    # the order's sort.
    count_order: tuple = ()

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
        # Filters before the search: a search over several tables repeats the query so far (scope and
        # filters) in each of its id sets (``_apply_search``).
        if filters and self._filters:
            query, _none, joins, _joins = self._apply_filters(query, None, joins, {}, filters)
        unsearched = (query, dict(joins), filters, search)
        if self._search_supported and search:
            query, _none, joins, _joins = self._apply_search(query, None, joins, {}, search)
        if not execute:
            query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
            query = self._apply_pagination(query, page, page_size)
            return None, (self.eager(query) if eager else query)
        size = self.page_size if page_size is None else page_size
        searched = bool(self._search_supported and search and search.split())
        if searched and size and ((page or 0) + 2) * size <= SEARCH_COUNT_CAP:
            return self._searched_page(query, joins, unsearched, sort_column, sort_desc, page or 0, size)
        # Counted without the sort's joins (each a row's one related row: the same count). A short list is
        # sorted as it is; a longer one walks indexes in the sort's order (``_order_by``, ``page_ids``).
        count = self.capped_count(
            query,
            page or 0,
            size,
            SEARCH_COUNT_CAP if searched else COUNT_CAP,
            ordered=not searched and self._batch_only(filters),
        )
        walk = _SORT_WALKS.set(count > sort_walk_from(table_rows(self.model.__table__.name)))
        try:
            query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
            ids = self.page_ids(query, sort_column, sort_desc, page, size)
        finally:
            _SORT_WALKS.reset(walk)
        return count, self._page_rows(ids)

    def _searched_page(self, query, joins, unsearched, sort_column, sort_desc, page: int, size: int):
        """A searched list's page and its count (up to ``SEARCH_COUNT_CAP``).

        On a table of up to ``SEARCH_WALK_TABLE_ROWS`` rows, one statement: the first matches in the sort's
        order up to the cap + 1, counted and sliced here. No index gives the matches in the list's order:
        every one is found to sort them (a 2-character name prefix: 2,048 workers at 1M applications, then
        their rows), which grows with the table. On a larger one (20,000 workers of the prefix at 10M:
        120–200 ms), first the matches in any order up to the cap + 1 (a statement that stops there: the
        first ~1,200 workers of the prefix, whatever the table's size); then the page:

        - at most the cap: those rows in the list's order (read by id);
        - more: read from the list in its order, a stretch at a time, keeping the rows that match
          (``_walked_matches``: ~200 rows per row shown for a prefix of 1 person in 100, at 1M as at 10M),
          or, when that walk reads ``SEARCH_WALK_ROWS`` rows without filling the page, the first matches
          in the sort's order, as on a smaller table."""
        page = max(page, 0)  # ?page=-5 is the first page, as an offset of the query would be
        rows = table_rows(self.model.__table__.name)
        if rows is not None and rows > SEARCH_WALK_TABLE_ROWS:
            found = self._first_matches(query, unsearched)
            if len(found) <= SEARCH_COUNT_CAP:
                return len(found), self._page_rows(
                    self._sorted_among(unsearched, found, sort_column, sort_desc, page, size)
                )
            # sorted by a searched column (姓名 searched by 姓名), the matches lie together in the list's order:
            # a walk would read past every other row first
            searched_sort = sort_column in self._searched_columns()
            ids = (
                None
                if searched_sort
                else self._walked_matches(unsearched, sort_column, sort_desc, page, size)
            )
            if ids is not None:
                return CappedCount(len(found)), self._page_rows(ids)
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        first = _read(query.with_entities(self.model.id).limit(SEARCH_COUNT_CAP + 1), ids=True)
        count = CappedCount(len(first)) if len(first) > SEARCH_COUNT_CAP else len(first)
        return count, self._page_rows(first[page * size : (page + 1) * size])

    def _first_matches(self, query, unsearched) -> list[int]:
        """Ids of the searched list ``query``'s rows in any order, up to ``SEARCH_COUNT_CAP`` + 1. A word
        searched over several tables (考试报名: 姓名 and 身份证号码 on the worker, 准考证号 on the
        registration) is a union of one id set per table (``_apply_search``), which the database reads
        whole to remove duplicates (every worker of a broad prefix at 10M); here each set is read up to the
        cap + 1 and they are united here: as many rows as the cap tells apart."""
        groups = self._search_groups()
        base, _joins, _filters, search = unsearched
        terms = _search_terms(search)
        if len(groups) < 2 or len(terms) != 1:
            return _read(
                query.with_entities(self.model.id).order_by(None).limit(SEARCH_COUNT_CAP + 1), ids=True
            )
        found: dict[int, None] = {}
        for path, fields in groups:
            ids = _read(
                self._matching_ids(base, path, fields, terms[0]).limit(SEARCH_COUNT_CAP + 1), ids=True
            )
            found.update(dict.fromkeys(ids))
            if len(found) > SEARCH_COUNT_CAP:
                break
        return list(found)[: SEARCH_COUNT_CAP + 1]  # a capped count is the cap + 1 ("1,000+"), never more

    def _searched_columns(self) -> set[str]:
        """The list column names of the searchable columns ("worker.name" for 姓名 on the worker)."""
        return {
            ".".join([*(attr.key for attr in path or ()), field.key])
            for field, path in self._search_fields or ()
        }

    def _sorted_among(self, unsearched, found: list[int], sort_column, sort_desc, page: int, size: int):
        """The ids of page ``page`` of the rows ``found`` (at most ``SEARCH_COUNT_CAP``) in the list's order:
        sorted here by id when that is the order, else by the database (the unsearched list's query on
        those ids)."""
        if sort_column is None and self.column_default_sort == ("id", True):
            return sorted(found, reverse=True)[page * size : (page + 1) * size]
        if not found:
            return []
        base, joins, _filters, _search = unsearched
        rows, _joins = self._apply_sorting(
            base.filter(_id_in(self.model.id, found)), dict(joins), sort_column, sort_desc
        )
        return _read(rows.with_entities(self.model.id).offset(page * size or None).limit(size), ids=True)

    def _walked_matches(self, unsearched, sort_column, sort_desc, page: int, size: int):
        """The ids of page ``page`` of a searched list, found by reading the unsearched list (``unsearched``:
        its query, joins and filters before the search, and the search) in the sort's order a stretch at a
        time (``ids_at``: walked by index as the list's own pages are), each row with whether it matches
        (the search's condition as a column of the rows read, through a primary key lookup per row: in the
        WHERE clause the database would plan it from the search's side, every worker of the prefix, the
        enumeration the walk is there to avoid). The stretches: ``SEARCH_WALK_FIRST`` rows per row wanted,
        then as many as the rate of matches so far asks for, up to ``SEARCH_WALK_ROWS`` rows in all; None
        when the page was not filled by then (the caller sorts the matches instead)."""
        base, joins, filters, search = unsearched
        # Walked by index as a page of the list would be (its length decides; the list's default order,
        # by id, is an index order either way)
        long = sort_column is not None and self.capped_count(
            base, 0, 0, COUNT_CAP, ordered=self._batch_only(filters)
        ) > sort_walk_from(table_rows(self.model.__table__.name))
        walk = _SORT_WALKS.set(long)
        try:
            query, joins = self._apply_sorting(base, dict(joins), sort_column, sort_desc)
            query, hit = self._search_hit(query, joins, search)
            wanted, found, read = (page + 1) * size, [], 0
            stretch = wanted * SEARCH_WALK_FIRST
            while len(found) < wanted:
                if read >= SEARCH_WALK_ROWS:
                    return None
                stretch = min(stretch, SEARCH_WALK_ROWS - read)
                rows = self.ids_at(query, sort_column, sort_desc, read, stretch, (hit,))
                found.extend(pk for pk, matched in rows if matched)
                read += len(rows)
                if len(rows) < stretch:  # the end of the list: every match has been seen
                    break
                # the rows still wanted at the rate of matches so far, and half as many again (four times
                # this stretch when it found none)
                stretch = math.ceil((wanted - len(found)) * read / len(found) * 1.5) if found else 4 * stretch
        finally:
            _SORT_WALKS.reset(walk)
        return found[page * size : wanted]

    def _search_hit(self, query, joins, search: str):
        """(``query`` with every searched table outer-joined, whether a row matches ``search``): the
        condition of ``_apply_search`` as one expression (each word matches one of the searchable columns;
        a row without a relation matches none of its columns)."""
        columns = []
        for field, path in self._search_fields or ():
            query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
            columns.append((field, alias))
        words = [
            sa.or_(*(_search_condition(f, alias, term) for f, alias in columns))
            for term in _search_terms(search)
        ]
        return query, sa.and_(*words).label("hit")

    def _page_rows(self, ids: list[int]) -> list:
        """The rows ``ids`` in that order, with the relations the columns show (one statement)."""
        if not ids:
            return []
        rows = self.eager(self.get_query().filter(self.model.id.in_(ids))).all()
        position = {pk: index for index, pk in enumerate(ids)}
        rows.sort(key=lambda row: position[row.id])
        return rows

    def _batch_only(self, filters) -> bool:
        """Whether the list's filters are at most its 批次 (``BatchFilterMixin``)."""
        index = getattr(self, "batch_filter_index", lambda: None)()
        return all(index is not None and flt[0] == index for flt in filters or ())

    def capped_count(
        self, query, page: int, page_size: int, cap: int | None = None, ordered: bool = False
    ) -> int:
        """Rows of ``query``, counted up to ``cap`` (``COUNT_CAP`` by default; at least to the page after
        ``page``): exact when the filtered set is small, a ``CappedCount`` ("10,000+") when it is not.
        ``ordered``: read in ``count_order`` (the list as it opens)."""
        cap = COUNT_CAP if cap is None else cap
        cap = max(cap, (page + 2) * page_size) if page_size else cap
        ids = query.with_entities(self.model.id)
        ordered = ordered and bool(self.count_order)
        if ordered:
            ids = ids.order_by(None).order_by(*(getattr(self.model, name) for name in self.count_order))
        count = count_up_to(db.session, ids, cap, ordered=ordered)
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
        (ID numbers upper-cased, full-width characters folded), by "contains" for the others.

        The columns of one table are matched in one OR (the database combines an index range per column).
        When they lie on several tables (考试报名: 姓名 and 身份证号码 on the worker, 准考证号 on the
        registration), each table's matches are a set of the list's ids and a row must be in their union:
        the same rows as one OR across the joined tables, which the database can only evaluate by joining
        every row of both tables (issue 16). Each id set is taken from the query so far (scope, filters), so
        that a narrow scope (a unit's few hundred rows) bounds it as it bounds the list."""
        groups = self._search_groups()
        base = query
        for term in _search_terms(search) if groups else ():
            if len(groups) == 1:
                path, fields = groups[0]
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                query = query.filter(sa.or_(*(_search_condition(f, alias, term) for f in fields)))
            else:
                id_sets = [self._matching_ids(base, path, fields, term) for path, fields in groups]
                query = query.filter(self.model.id.in_(sa.union(*id_sets)))
        return query, count_query, joins, count_joins

    def _search_groups(self) -> list[tuple[list, list]]:
        """The searchable columns grouped by the join path that reaches their table, in declaration order:
        [(path, [column, …]), …]."""
        groups: dict[tuple, tuple[list, list]] = {}
        for field, path in self._search_fields or ():
            groups.setdefault(tuple(path or ()), (list(path or ()), []))[1].append(field)
        return list(groups.values())

    def _matching_ids(self, base, path, fields, term: str):
        """SELECT of the ids of the rows of ``base`` (the list's query) whose table on ``path`` matches
        ``term`` in one of ``fields`` (an inner join: a row without that relation cannot match its columns)."""
        query = base.with_entities(self.model.id).order_by(None)
        query, _joins, alias = self._apply_path_joins(query, {}, path, inner_join=True)
        return query.filter(sa.or_(*(_search_condition(f, alias, term) for f in fields))).statement

    def search_placeholder(self):
        placeholder = super().search_placeholder()
        prefix = any(_qualified(f) in PREFIX_SEARCH_COLUMNS for f, _p in self._search_fields or ())
        return f"{placeholder}（从开头匹配）" if placeholder and prefix else placeholder

    # --- sort --------------------------------------------------------------------------------------------
    # Columns of few values (a state, a grade, a batch), paged one value at a time (``page_groups``):
    # {sort column name: SortGroups}.
    column_sort_groups: dict = {}

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """The chosen (or default) sort, then the primary key (descending, whatever the sort's direction):
        pages are stable even when values tie."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(self.model.id.desc()), joins

    def _order_by(self, query, joins, sort_joins, sort_field, sort_desc):
        """One sort key, as Flask-Admin orders it, except that

        - on a list of more rows than ``SORT_WALK_FROM``, a column reached through many-to-one relations
          that every row has (a NOT NULL foreign key: 申报人员, 考核批次) is joined with an inner join:
          the same rows, and the database may walk the related table's index in the sort's order and look
          each one's rows up (姓名: the worker name index, then the applications by worker id) instead of
          sorting the whole scope (on a short list, a unit's, that walk would pass most names in vain);
        - empty values come last in either direction, on every database (PostgreSQL puts them first
          descending, SQLite first ascending): both give the same pages, and a list sorted by 提交时间
          shows the submitted applications first whichever way."""
        if sort_field is None:
            return query, joins
        inner = _SORT_WALKS.get() and bool(sort_joins) and all(_always_joined(a) for a in sort_joins)
        query, joins, alias = self._apply_path_joins(query, joins, sort_joins, inner_join=inner)
        column = sort_field if alias is None else getattr(alias, sort_field.key)
        key = column.desc() if sort_desc else column.asc()
        return query.order_by(key.nulls_last() if _nullable(column) else key), joins

    def page_ids(self, query, sort_column, sort_desc, page, size) -> list[int]:
        """The ids of page ``page`` (of ``size`` rows; 0: every row) of ``query`` (the list's sorted query),
        in its order."""
        return self.ids_at(query, sort_column, sort_desc, (page or 0) * size if size else 0, size)

    def ids_at(self, query, sort_column, sort_desc, skip: int, size: int, columns: Sequence = ()) -> list:
        """The ids of the ``size`` rows (0: every row) of ``query`` (the list's sorted query) after its
        first ``skip``, in its order; with ``columns``, rows (id, *columns).

        On a list of more rows than ``SORT_WALK_FROM``, they are read group by group (``page_groups``),
        each group an index range of at most the rows still wanted, where the whole sort would read every
        row of the scope. The same rows in the same order as the sorted query (a test compares them)."""
        groups = self.page_groups(sort_column, sort_desc) if _SORT_WALKS.get() else None
        if groups is None:
            paged = query.with_entities(self.model.id, *columns).offset(skip or None).limit(size or None)
            return _read(paged, ids=not columns)
        base = query.with_entities(self.model.id, *columns).order_by(None)
        ids: list = []
        for condition, order in groups:
            wanted = size - len(ids) if size else None
            if wanted == 0:
                break
            group = base.filter(condition).order_by(*order)
            found = _read(group.offset(skip or None).limit(wanted), ids=not columns)
            if found:
                ids.extend(found)
                skip = 0
            elif skip:  # the whole group lies before the page: skip its rows (counted up to ``skip``)
                inner = group.with_entities(self.model.id).order_by(None).limit(skip).subquery()
                skip -= db.session.scalar(sa.select(sa.func.count()).select_from(inner))
        return ids

    def page_groups(self, sort_column, sort_desc) -> list | None:
        """The sorted list as consecutive groups [(condition, ORDER BY), …] (None: read it in one piece):

        - a column of ``column_sort_groups`` (批次, 等级, 状态): one group per value in the sort's order,
          each by id descending (the list's tie order);
        - a nullable column of the list's own table (提交时间): the rows with a value, in the index's own
          order (the same, as they hold no empty value), then those without, by id descending. Read in one
          piece, a descending walk of the index would start with every empty value (143k drafts)."""
        tie = self.model.id.desc()
        few = self.column_sort_groups.get(sort_column) if sort_column is not None else None
        if few is not None:
            return [(condition, (tie,)) for condition in few.conditions(reverse=bool(sort_desc), view=self)]
        column, desc = self._own_sort_column(sort_column, sort_desc)
        if column is None or not _nullable(column):
            return None
        key = column.desc().nulls_first() if desc else column.asc().nulls_last()
        return [(column.is_not(None), (key, tie)), (column.is_(None), (tie,))]

    def _own_sort_column(self, sort_column, sort_desc):
        """(column of the list's own table the page is sorted by, descending?); (None, …) for a column of
        another table or a sort Flask-Admin builds otherwise."""
        if sort_column is None:
            default = self.column_default_sort
            name, sort_desc = default if isinstance(default, tuple) else (default, False)
        else:
            name = sort_column
        if not isinstance(name, str) or "." in name:
            return None, bool(sort_desc)
        return getattr(self.model, name, None), bool(sort_desc)

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


def sort_walk_from(rows: float | None) -> float:
    """The length from which a list of a table of ``rows`` rows (None: not known) is sorted by walking
    indexes rather than by sorting its rows: ``SORT_WALK_FROM``, grown with √rows above
    ``SORT_WALK_TABLE_ROWS``."""
    if not rows or rows <= SORT_WALK_TABLE_ROWS:
        return SORT_WALK_FROM
    return SORT_WALK_FROM * math.sqrt(rows / SORT_WALK_TABLE_ROWS)


def table_rows(table: str) -> float | None:
    """The planner's estimate of ``table``'s rows (PostgreSQL's statistics, read at most every
    ``_TABLE_ROWS_FOR`` seconds per process); None where the database keeps none (SQLite)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    now = time.monotonic()
    read_at, rows = _TABLE_ROWS.get(table, (None, None))
    if read_at is None or now - read_at > _TABLE_ROWS_FOR:
        rows = db.session.scalar(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)"), {"table": table}
        )
        rows = float(rows) if rows is not None and rows >= 0 else None
        _TABLE_ROWS[table] = (now, rows)
    return rows


def _nullable(column) -> bool:
    """Whether ``column`` (a mapped column, maybe of an alias) may hold NULL."""
    return bool(getattr(getattr(column, "expression", column), "nullable", False))


def _always_joined(attr) -> bool:
    """Whether every row has the many-to-one relation ``attr`` (its foreign key columns are NOT NULL)."""
    prop = getattr(attr, "property", None)
    if not isinstance(prop, RelationshipProperty) or prop.uselist:
        return False
    return all(not column.nullable for column in prop.local_columns)


@dataclass(frozen=True)
class SortGroups:
    """A sort column of few values, read one value at a time (``ListingMixin.page_ids``).

    ``column`` is the list model's column that holds the value; ``values()`` returns every value it can
    hold (a row with another value would be left out of the pages); ``ordered``: already in the sort's
    ascending order, else the database orders them (its collation, as it orders the column); ``nullable``:
    the rows without a value come last, in either direction (as the sorted query puts them); ``present``:
    given the list view, the values that have rows (a superset is enough: ``batches.tallied``). A value
    without rows is not read: its group would walk the whole scope to find nothing (申报等级 ↓ starts with
    五级, which nobody applies for: 200k index entries at 1M applications, 2M at 10M)."""

    column: Any
    values: Callable[[], Sequence]
    ordered: bool = False
    nullable: bool = False
    present: Callable[[Any], Collection] | None = None

    def conditions(self, reverse: bool = False, view: Any = None) -> list:
        values = list(self.values())
        if self.present is not None and view is not None:
            have = set(self.present(view))
            values = [value for value in values if value in have]
        if not self.ordered and len(values) > 1:
            literals = [sa.select(sa.literal(v, self.column.type).label("v")) for v in values]
            values = list(db.session.scalars(sa.union_all(*literals).order_by(sa.text("v"))))
        if reverse:
            values.reverse()
        empty = [self.column.is_(None)] if self.nullable else []
        return [self.column == value for value in values] + empty


def count_up_to(session, ids_query, cap: int, ordered: bool = False) -> int:
    """The rows of ``ids_query`` (a query of ids), counted in ``session`` up to ``cap + 1``: exact up to
    ``cap``; above it only "more than ``cap``" is known (the lists' "10,000+", the export's row limit).
    ``ordered``: keep the query's order (a hint of where to read, see ``ListingMixin.count_order``)."""
    inner = (ids_query if ordered else ids_query.order_by(None)).limit(cap + 1).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(inner))
