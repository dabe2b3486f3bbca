"""The record kept at submission (SPEC §8.2): every fact of the person and the unit that the rules and the
forms use, as one plain value, kept in ``application_record`` at each 提交审核 and 重新提交.

``build(app)`` reads the facts from the live rows (the worker, its sub-records, the unit) as they are now;
``record_of(app)`` gives the record a form must print: the one kept when the application was last submitted
or resubmitted. A recognition that raises the worker's grade later, or an edit of the worker or the unit,
never changes what an earlier form, the rule check, 附表3 or an export of a submitted application shows.

Which record an application shows:
- 待提交 (a draft, also one withdrawn by 撤回) and 退回修改 (the unit is changing it): the live facts — the
  unit is editing them, and they are kept again when it submits or resubmits;
- every other state: the latest record kept (``application_record``, one row per submission and
  resubmission, the older ones the archive of what was submitted each time);
- a submitted application without any record (written outside the workflow, e.g. history imported as it
  ended): the live facts. Migration 0015 kept a record of every submitted application at upgrade time
  (``occasion`` "upgrade": the facts as they were then, not at its submission).

``keep`` is the workflow's capture (an effect of ``applications.SUBMIT`` and ``revisions.RESUBMIT``, in the
transaction of the state change, for exactly the rows that moved): the rows' workers with their sub-records
and units are read in a few queries and the records written with one COPY/executemany. ``dumps``/``loads``
turn a record into JSON text and back, losslessly; ``kept_text`` reads one text field of the latest record
in SQL (the streamed exports).
"""

import dataclasses
import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm)
from sqlalchemy.ext.compiler import compiles

from admin_app import limits
from admin_app.extensions import db
from admin_app.services.sql import among, insert_rows
from admin_app.workflow.states import ApplicationState
from models import Application, ApplicationRecord, Organisation, Worker, enums
from models.worker import full_years_between, mask_id_number, years_by_month


@dataclass(frozen=True)
class Education:
    level: str
    graduated_on: date | None = None
    school: str | None = None
    major: str | None = None
    certificate_number: str | None = None

    @property
    def level_label(self) -> str:
        return enums.EDUCATION_LABELS.get(self.level, self.level)


@dataclass(frozen=True)
class Job:
    """One line of 工作简历."""

    start_month: date
    end_month: date | None = None
    employer: str = ""
    trade_text: str | None = None


@dataclass(frozen=True)
class Person:
    """The worker's facts of 附表1/附表2 and of the eligibility rules (``eligibility.WorkerFacts``)."""

    name: str
    gender: str
    id_number: str
    birth_date: date
    ethnicity: str | None = None
    work_start_date: date | None = None
    phone: str | None = None
    education: str | None = None  # highest 学历 (a key of enums.EDUCATION_LABELS)
    current_trade_id: int | None = None
    current_trade: str | None = None
    current_grade: int | None = None
    current_grade_date: date | None = None
    certificate_number: str | None = None
    certificate_trade_id: int | None = None
    years_in_trade: int | None = None
    rewards_punishments: str | None = None
    discipline_until: date | None = None
    detained_or_probation: bool = False
    long_sick_leave_or_absence: bool = False
    holds_professional_title: bool = False
    other_exclusion: str | None = None
    is_veteran: bool = False
    competition_rank: int | None = None
    honour_title: str | None = None
    educations: tuple[Education, ...] = ()
    work_history: tuple[Job, ...] = ()
    assessments: dict[int, str] = field(default_factory=dict)  # year → result, the batch's years

    @property
    def gender_label(self) -> str:
        return enums.GENDER_LABELS.get(self.gender, "")

    @property
    def education_label(self) -> str:
        return enums.EDUCATION_LABELS.get(self.education or "", "")

    @property
    def grade_label(self) -> str:
        return enums.grade_label(self.current_grade)

    def seniority_years(self, at: date) -> int | None:
        """工龄 at a date (as ``Worker.seniority_years``)."""
        return full_years_between(self.work_start_date, at)

    def years_at_grade(self, at: date) -> int | None:
        """本等级工作年限 at a date (as ``Worker.years_at_grade``)."""
        return years_by_month(self.current_grade_date, at) if self.current_grade_date else None


@dataclass(frozen=True)
class Unit:
    """The unit's facts printed on the forms (单位, 地址, 邮编, 电话, 主管部门)."""

    name: str
    address: str | None = None
    postcode: str | None = None
    contact_phone: str | None = None
    supervisor: str | None = None  # 主管部门
    org_category: str | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True)
class Record:
    person: Person
    unit: Unit
    # When it was kept (the submission); None for a record read live from a draft.
    kept_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.kept_at is None


def person_of(worker, *, ethnicity, current_trade, educations, work_history, assessments, years) -> Person:
    """The person's facts from a worker and its sub-records: ORM objects or rows with the same attribute
    names (migration 0015 passes rows); ``years``: the batch's assessment years kept (None: all)."""
    return Person(
        name=worker.name,
        gender=worker.gender,
        id_number=worker.id_number,
        birth_date=worker.birth_date,
        ethnicity=ethnicity,
        work_start_date=worker.work_start_date,
        phone=worker.phone,
        education=worker.education,
        current_trade_id=worker.current_trade_id,
        current_trade=current_trade,
        current_grade=worker.current_grade,
        current_grade_date=worker.current_grade_date,
        certificate_number=worker.certificate_number,
        certificate_trade_id=worker.certificate_trade_id,
        years_in_trade=worker.years_in_trade,
        rewards_punishments=worker.rewards_punishments,
        discipline_until=worker.discipline_until,
        detained_or_probation=bool(worker.detained_or_probation),
        long_sick_leave_or_absence=bool(worker.long_sick_leave_or_absence),
        holds_professional_title=bool(worker.holds_professional_title),
        other_exclusion=worker.other_exclusion,
        is_veteran=bool(worker.is_veteran),
        competition_rank=worker.competition_rank,
        honour_title=worker.honour_title,
        educations=tuple(
            Education(e.level, e.graduated_on, e.school, e.major, e.certificate_number) for e in educations
        ),
        work_history=tuple(Job(w.start_month, w.end_month, w.employer, w.trade_text) for w in work_history),
        assessments={a.year: a.result for a in assessments if years is None or a.year in years},
    )


def unit_of(unit, *, supervisor, jurisdiction) -> Unit:
    """The unit's facts (``supervisor``, ``jurisdiction``: names or None)."""
    return Unit(
        name=unit.name,
        address=unit.address,
        postcode=unit.postcode,
        contact_phone=unit.contact_phone,
        supervisor=supervisor,
        org_category=unit.org_category,
        jurisdiction=jurisdiction,
    )


def build(app, kept_at: datetime | None = None) -> Record:
    """The record of ``app`` read from the live rows now (the worker, its sub-records, the unit)."""
    worker, unit = app.worker, app.unit
    person = person_of(
        worker,
        ethnicity=worker.ethnicity.name if worker.ethnicity else None,
        current_trade=worker.current_trade.name if worker.current_trade else None,
        educations=worker.educations,
        work_history=worker.work_history,
        assessments=worker.assessments,
        years=set(app.batch.assessment_years) if app.batch is not None else None,
    )
    kept_unit = unit_of(
        unit,
        supervisor=unit.supervisor.name if unit.supervisor else None,
        jurisdiction=unit.jurisdiction.name if unit.jurisdiction else None,
    )
    return Record(person=person, unit=kept_unit, kept_at=kept_at)


# --- which record an application shows ----------------------------------------------------------------------
# The unit is editing these: they show the live facts (kept again at the next submission).
LIVE_STATES = frozenset({ApplicationState.DRAFT, ApplicationState.RETURNED})


def shows_kept(app) -> bool:
    """Whether ``app`` shows a kept record (submitted and not being edited by its unit)."""
    return app.status not in LIVE_STATES


def _latest():
    """The latest record of each application: its highest ``sequence``."""
    newer = sa.orm.aliased(ApplicationRecord)
    return ~sa.exists().where(
        newer.application_id == ApplicationRecord.application_id, newer.sequence > ApplicationRecord.sequence
    )


def kept_texts(ids) -> dict[int, str]:
    """{application id: JSON text of its latest record} for the ids that have one (one query)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(ApplicationRecord.application_id, ApplicationRecord.data).where(
            among(ApplicationRecord.application_id, ids), _latest()
        )
    )
    return dict(rows.all())


def record_of(app) -> Record:
    """What a form of ``app`` prints: the record kept at its last submission or resubmission; the live one
    for a draft or an application returned for revision (and for a submitted one without a record)."""
    if shows_kept(app):
        text = db.session.scalar(
            sa.select(ApplicationRecord.data)
            .where(ApplicationRecord.application_id == app.id)
            .order_by(ApplicationRecord.sequence.desc())
            .limit(1)
        )
        if text:
            return loads(text)
    return build(app)


def records_of(apps) -> dict[int, Record]:
    """``record_of`` of many applications at once: {id: Record}, the kept ones in one query, the live ones
    built from rows read in a few (no query per application)."""
    apps = list(apps)
    texts = kept_texts([a.id for a in apps if shows_kept(a)])
    live = [a.id for a in apps if a.id not in texts]
    # The live rows' workers, sub-records and units, in a few queries (in this session, whichever read apps).
    loaded = {a.id: a for a in load(live)} if live else {}
    return {a.id: loads(texts[a.id]) if a.id in texts else build(loaded.get(a.id, a)) for a in apps}


def paired(apps, size: int = limits.CHUNK):
    """(application, record) for each application of a stream, the records read ``size`` rows at a time."""
    chunk: list = []
    for app in apps:
        chunk.append(app)
        if len(chunk) >= size:
            yield from _pairs(chunk)
            chunk = []
    yield from _pairs(chunk)


def _pairs(chunk):
    kept = records_of(chunk) if chunk else {}
    return [(app, kept[app.id]) for app in chunk]


class Shown:
    """A row of a list as exported: its ``worker`` and ``unit`` as the record has them (name, ID number), every
    other attribute the row's own."""

    def __init__(self, row, record: Record):
        self._row, self.record = row, record
        person = record.person
        self.worker = SimpleNamespace(
            name=person.name, id_number=person.id_number, masked_id_number=mask_id_number(person.id_number)
        )
        self.unit = SimpleNamespace(name=record.unit.name)

    def __getattr__(self, name):
        return getattr(self._row, name)


def shown(rows, application_id=None, size: int = limits.CHUNK):
    """The rows of a stream (applications, or rows of another model whose ``application_id(row)`` names their
    application) as ``Shown``, the records read ``size`` rows at a time."""
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield from _shown(chunk, application_id)
            chunk = []
    yield from _shown(chunk, application_id)


def _shown(chunk, application_id):
    if not chunk:
        return []
    if application_id is None:
        kept = records_of(chunk)
        return [Shown(row, kept[row.id]) for row in chunk]
    ids = [application_id(row) for row in chunk]
    kept = records_of(db.session.scalars(sa.select(Application).where(among(Application.id, ids))).all())
    return [Shown(row, kept[i]) for row, i in zip(chunk, ids, strict=True)]


# --- keeping records (the workflow's effect) ----------------------------------------------------------------
def load(ids) -> list:
    """The applications ``ids`` with everything ``build`` reads: batch, worker (民族, 工种, 学历, 工作简历,
    年度考核) and unit (主管部门, 区县), in a few queries whatever their number."""
    worker, unit = sa.orm.selectinload(Application.worker), sa.orm.selectinload(Application.unit)
    options = (
        sa.orm.selectinload(Application.batch),
        sa.orm.selectinload(Application.applied_trade),
        worker.selectinload(Worker.ethnicity),
        worker.selectinload(Worker.current_trade),
        worker.selectinload(Worker.educations),
        worker.selectinload(Worker.work_history),
        worker.selectinload(Worker.assessments),
        unit.selectinload(Organisation.supervisor),
        unit.selectinload(Organisation.jurisdiction),
    )
    return db.session.scalars(
        sa.select(Application).where(among(Application.id, ids)).options(*options)
    ).all()


def keep(ids, occasion: str, now: datetime, loaded=()) -> int:
    """Keep the record of each application ``ids`` as its facts are now (``occasion``: submit / resubmit),
    numbered after its earlier ones; one COPY/executemany for all. ``loaded``: applications already read by
    ``load`` in this transaction (those of ``ids`` are not read again). Not committed here. Returns the count."""
    ids = list(ids)
    if not ids:
        return 0
    wanted = set(ids)
    apps = [app for app in loaded if app.id in wanted]
    if len(apps) < len(wanted):
        apps = load(ids)
    sequences = dict(
        db.session.execute(
            sa.select(ApplicationRecord.application_id, sa.func.max(ApplicationRecord.sequence))
            .where(among(ApplicationRecord.application_id, ids))
            .group_by(ApplicationRecord.application_id)
        ).all()
    )
    rows = [
        {
            "application_id": app.id,
            "sequence": (sequences.get(app.id) or 0) + 1,
            "occasion": occasion,
            "kept_at": now,
            "data": dumps(build(app, kept_at=now)),
        }
        for app in apps
    ]
    insert_rows(ApplicationRecord.__table__, rows)
    return len(rows)


def keep_at(occasion: str):
    """The workflow effect ``(ctx, ids, step)`` that keeps the records of the rows that moved."""

    def effect(ctx, ids, step):
        keep(ids, occasion, ctx.now, loaded=ctx.cache.get("applications", ()))

    effect.__name__ = f"keep_record_at_{occasion}"
    return effect


# --- one field of the latest record, in SQL (streamed exports) ----------------------------------------------
_NAME = re.compile(r"^[a-z_]+$")


class _JsonText(sa.sql.functions.FunctionElement):
    """The text at a path of a JSON text column (a path of identifiers, constant in the code)."""

    type = sa.String()
    inherit_cache = True
    name = "json_text"


@compiles(_JsonText)
def _json_text_sqlite(element, compiler, **kw):
    column, *path = element.clauses
    return f"json_extract({compiler.process(column, **kw)}, '$.{'.'.join(p.name for p in path)}')"


@compiles(_JsonText, "postgresql")
def _json_text_postgresql(element, compiler, **kw):
    column, *path = element.clauses
    *through, last = (f"'{p.name}'" for p in path)
    steps = "".join(f" -> {p}" for p in through)
    return f"(CAST({compiler.process(column, **kw)} AS JSON){steps} ->> {last})"


# The list columns (paths from an Application or a Registration) that are facts of the record, and where.
KEPT_COLUMNS = {
    "worker.name": ("person", "name"),
    "worker.id_number": ("person", "id_number"),
    "unit.name": ("unit", "name"),
}


def kept_text(application_id, *path: str):
    """SQL: the text at ``path`` (e.g. "person", "name") of the latest record of the application whose id is
    the column ``application_id``; NULL when it has none. A correlated subquery (one index look-up a row)."""
    if not path or not all(_NAME.match(p) for p in path):
        raise ValueError(f"not a record path: {path}")
    field_text = _JsonText(ApplicationRecord.data, *(sa.literal_column(p) for p in path))
    return (
        sa.select(field_text)
        .where(ApplicationRecord.application_id == application_id)
        .order_by(ApplicationRecord.sequence.desc())
        .limit(1)
        .scalar_subquery()
    )


# --- JSON, losslessly ---------------------------------------------------------------------------------------
_SCALARS = (str, int, float, bool, type(None))


def _plain(value):
    if isinstance(value, _SCALARS):  # most values: first, and cheaply
        return value
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, dict):
        return {"$map": [[k, _plain(v)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    return value


@functools.cache
def _field_names(cls) -> tuple:
    return tuple(f.name for f in dataclasses.fields(cls))


def _typed(value):
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$map" in value:
            return {k: _typed(v) for k, v in value["$map"]}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


def dumps(record: Record) -> str:
    return json.dumps(_plain(record), ensure_ascii=False, sort_keys=True)


def loads(text: str) -> Record:
    data = json.loads(text)
    person = {k: _typed(v) for k, v in data["person"].items()}
    person["educations"] = tuple(Education(**_fields(e)) for e in data["person"].get("educations", []))
    person["work_history"] = tuple(Job(**_fields(j)) for j in data["person"].get("work_history", []))
    known = {f.name for f in dataclasses.fields(Person)}
    unit = {k: v for k, v in _fields(data["unit"]).items() if k in {f.name for f in dataclasses.fields(Unit)}}
    return Record(
        person=Person(**{k: v for k, v in person.items() if k in known}),
        unit=Unit(**unit),
        kept_at=_typed(data.get("kept_at")),
    )


def _fields(data: dict) -> dict:
    return {k: _typed(v) for k, v in data.items()}
