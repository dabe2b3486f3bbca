"""Lists of one batch's rows (applications, registrations, post settings): years are never mixed by default.

A list that declares ``BatchFilter`` in its ``column_filters`` opens on the current batch
(``services.batches.current_batch``: the open one, else the latest): a request that carries no 组合查询
condition (no ``flt…`` argument) and not ``all_batches=1`` is read as if it had the condition 批次 = the
current batch. It is read so everywhere the list's arguments are read (the page, its count, 导出查询结果, the
operations on "all matching" rows, the forms exported from the list), and it is drawn as an ordinary active
condition, removable with its ×. Every list URL without a condition that the page builds (重置筛选, the ×
on the last condition, the pager and sort links of that page) carries ``all_batches=1``, so the default
does not come back once removed; the bare URL (menu, 重置) opens on the current batch again.
"""

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_admin.contrib.sqla.filters import IntEqualFilter

from admin_app.extensions import db
from admin_app.request_guard import parse_pk
from admin_app.services.batches import current_batch
from models import ApplicationTally, ExamBatch, enums
from views.mixins.listing import SortGroups

ALL_BATCHES = "all_batches"  # the list argument: every batch, no default condition


def batch_label(batch: ExamBatch) -> str:
    return f"{batch.year}年度"


def batch_options() -> list[tuple[str, str]]:
    """The 批次 condition's choices, newest first: (batch id, "2021年度")."""
    rows = db.session.execute(sa.select(ExamBatch.id, ExamBatch.year).order_by(ExamBatch.year.desc()))
    return [(str(pk), f"{year}年度") for pk, year in rows]


def batch_ids_by_year() -> list[int]:
    """Every batch's id, oldest year first: a sort by 批次 (the year, unique per batch) read batch by batch."""
    return list(db.session.scalars(sa.select(ExamBatch.id).order_by(ExamBatch.year)))


def tallied(column):
    """``SortGroups.present`` for a column a tally counts (``models.statistics``: ``ApplicationTally.status``
    …): the values that have rows — of the list's one 批次 when it shows one, else of any batch. The tally
    is exact (database triggers in the writers' own transactions, ``services.tallies``); a superset of the
    values in the list's scope, which is all a sort by groups needs. One read of the tally's rows of a batch
    (~1,300 at 1M applications) by its primary key."""
    tally = column.class_

    def present(view) -> set:
        query = sa.select(column).where(tally.n != 0).distinct()
        batch = view.chosen_batch() if isinstance(view, BatchListMixin) else None
        if batch is not None:
            query = query.where(tally.batch_id == batch.id)
        return set(db.session.scalars(query))

    return present


def grade_groups(column) -> SortGroups:
    """A sort by 等级 (``column``: an application's or a registration's) read grade by grade, lowest level first,
    over the grades the application tally counts: a registration's grade is its application's, copied when the
    application was approved (a final state: the grade never changes again)."""
    return SortGroups(
        column,
        lambda: sorted(enums.GRADE_ORDER),
        ordered=True,
        present=tallied(ApplicationTally.applied_grade),
    )


def state_groups(column, states, tally_column, nullable: bool = False) -> SortGroups:
    """A sort by a state (``column``, one of the values of the enum ``states``) read value by value, over the values
    ``tally_column`` counts."""
    return SortGroups(
        column, lambda: [state.value for state in states], nullable=nullable, present=tallied(tally_column)
    )


class BatchFilter(IntEqualFilter):
    """批次 等于 …: on the row's own batch id column (an index, no join); its choices are read per request
    (``BatchListMixin._get_filter_groups``), so a batch created later is offered at once."""

    def __init__(self, column, name: str = "批次"):
        super().__init__(column, name)


def _current_batch() -> ExamBatch | None:
    """``current_batch()``, read once per request: a list page needs it for its query and again for its caption."""
    if not has_request_context():
        return current_batch()
    if "gk_current_batch" not in g:
        g.gk_current_batch = current_batch()
    return g.gk_current_batch


class BatchListMixin:
    """The current-batch default of a list with a ``BatchFilter`` (see the module docstring)."""

    def batch_filter_index(self) -> int | None:
        """Position of the list's ``BatchFilter`` among its filters; None when it has none (found once per filter
        list: a page asks for it once per link it draws)."""
        filters = getattr(self, "_filters", None)
        cached = self.__dict__.get("_batch_filter_cache")
        if cached is not None and cached[0] is filters:
            return cached[1]
        found = next((i for i, flt in enumerate(filters or ()) if isinstance(flt, BatchFilter)), None)
        self._batch_filter_cache = (filters, found)
        return found

    def default_batch_filters(self) -> list:
        """The condition a request without any is read with: 批次 = the current batch (none without one)."""
        index = self.batch_filter_index()
        batch = _current_batch() if index is not None else None
        if batch is None:
            return []
        return [(index, str(self._filters[index].name), str(batch.id))]

    def _get_list_filter_args(self):
        filters = super()._get_list_filter_args()
        if filters or request.args.get(ALL_BATCHES) or any(k.startswith("flt") for k in request.args):
            return filters
        return self.default_batch_filters() or filters

    def _get_list_url(self, view_args):
        """A URL of this list without conditions asks for every batch; one with conditions needs no marker."""
        if self.batch_filter_index() is not None:
            extra = {k: v for k, v in view_args.extra_args.items() if k != ALL_BATCHES}
            if not view_args.filters:
                extra[ALL_BATCHES] = "1"
            view_args = view_args.clone(extra_args=extra)
        return super()._get_list_url(view_args)

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        index = self.batch_filter_index()
        if groups and index is not None:
            options = batch_options()
            for items in groups.values():
                for item in items:
                    if item["index"] == index:
                        item["options"] = options
        return groups

    def chosen_batch(self) -> ExamBatch | None:
        """The one batch the current request's 组合查询 selects (批次 = …, the default included); None when
        it selects all batches or several."""
        index = self.batch_filter_index()
        if index is None:
            return None
        values = {value for i, _name, value in self._get_list_extra_args().filters or () if i == index}
        if len(values) != 1:
            return None
        pk = parse_pk(values.pop())
        return db.session.get(ExamBatch, pk) if pk is not None else None

    def batch_caption(self) -> str:
        """What the page says it shows: "批次：2021年度" or "批次：全部"."""
        batch = self.chosen_batch()
        return f"批次：{batch_label(batch)}" if batch is not None else "批次：全部"
