"""The record kept at submission (SPEC §8.2): every fact of the person and the unit that the rules and the
forms use, as one plain value.

``build(app)`` reads the facts from the live rows (the worker, its sub-records, the unit) as they are now;
``record_of(app)`` gives the record a form must print: the one kept when the application was last submitted,
or — for a draft, which has none — the live one. A recognition that raises the worker's grade later never
changes what an earlier form shows. ``dumps``/``loads`` turn a record into JSON text and back, losslessly.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from models import enums
from models.worker import full_years_between, years_by_month


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


def build(app, kept_at: datetime | None = None) -> Record:
    """The record of ``app`` read from the live rows now (the worker, its sub-records, the unit)."""
    worker, unit = app.worker, app.unit
    years = set(app.batch.assessment_years) if app.batch is not None else None
    person = Person(
        name=worker.name,
        gender=worker.gender,
        id_number=worker.id_number,
        birth_date=worker.birth_date,
        ethnicity=worker.ethnicity.name if worker.ethnicity else None,
        work_start_date=worker.work_start_date,
        phone=worker.phone,
        education=worker.education,
        current_trade_id=worker.current_trade_id,
        current_trade=worker.current_trade.name if worker.current_trade else None,
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
            Education(e.level, e.graduated_on, e.school, e.major, e.certificate_number)
            for e in worker.educations
        ),
        work_history=tuple(
            Job(w.start_month, w.end_month, w.employer, w.trade_text) for w in worker.work_history
        ),
        assessments={a.year: a.result for a in worker.assessments if years is None or a.year in years},
    )
    kept_unit = Unit(
        name=unit.name,
        address=unit.address,
        postcode=unit.postcode,
        contact_phone=unit.contact_phone,
        supervisor=unit.supervisor.name if unit.supervisor else None,
        org_category=unit.org_category,
        jurisdiction=unit.jurisdiction.name if unit.jurisdiction else None,
    )
    return Record(person=person, unit=kept_unit, kept_at=kept_at)


def record_of(app) -> Record:
    """What a form of ``app`` prints: the record kept at its last submission, else (a draft) the live one."""
    kept = getattr(app, "record_json", None)
    return loads(kept) if kept else build(app)


# --- JSON, losslessly ---------------------------------------------------------------------------------------
def _plain(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, dict):
        return {"$map": [[k, _plain(v)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


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
